package notify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// LockFile is the lock that serialises the mmm-notify processes of host:
// keepalived starts one per transition without waiting, and two fences
// running at once would kill each other's connections. It sits beside the
// track file, whose directory exists whenever keepalived runs.
func LockFile(trackFile, host string) string {
	return filepath.Join(filepath.Dir(trackFile), ".mmm-notify."+host+".lock")
}

// lockPoll is how often Lock retries a held lock.
const lockPoll = 5 * time.Millisecond

// Lock takes an exclusive flock on path, waiting until ctx ends. The
// kernel drops it when the process dies. The returned function releases
// it. Because each mmm-notify observes after it holds the lock, a later
// process sees what an earlier one did.
func Lock(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("notify: lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("notify: lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("notify: lock %s held by another mmm-notify: %w", path, ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}
