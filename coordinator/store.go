package coordinator

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// ErrCorruptStore: raft.db, the raft log and stable store, cannot be
// read safely. bbolt trusts its pages: on garbage it panics (slice
// bounds, "invalid page type") or faults on a page past the end of a
// truncated file, so the coordinator reads the whole file once before
// raft does and refuses to start on one that fails.
var ErrCorruptStore = errors.New("raft data is corrupt")

const (
	raftDBName = "raft.db"
	// storeCheckBudget bounds the read of raft.db at open. Its log is
	// short (TrailingLogs plus SnapshotThreshold entries): the read takes
	// milliseconds (a 280 MB file about a second), the budget is for a
	// slow disk. The walk and the log read look at it; bbolt's Check
	// cannot be stopped, and costs about what the walk did. A file still
	// unread then is used as it is, under guardedStore.
	storeCheckBudget = 20 * time.Second
	// checkEvery is how many keys the read goes between looks at the
	// budget.
	checkEvery = 1024
)

// corruptStore is the error of a raft.db that failed: where, why, and
// what the operator does about it (README, "Recovering a node's raft
// data").
func corruptStore(path string, cause error) error {
	return fmt.Errorf("coordinator: %s: %w (%w): stop the coordinator, move the data_dir %s aside (keep it for inspection) and start it again with an empty one; this node then rejoins the raft group from its peers",
		path, ErrCorruptStore, cause, filepath.Dir(path))
}

// panicked turns a recovered panic value into an error.
func panicked(r any) error {
	if err, ok := r.(error); ok {
		return fmt.Errorf("bbolt panicked: %w", err)
	}
	return fmt.Errorf("bbolt panicked: %v", r)
}

// openFailure sorts bbolt.Open's errors: a held lock (another
// coordinator on the same data dir) or an error of the file system is
// no corruption; bbolt's own refusals ("invalid database", a checksum
// or version mismatch, "file size too small") are.
func openFailure(path string, err error) error {
	var pe *fs.PathError
	var errno syscall.Errno
	if errors.Is(err, bolterrors.ErrTimeout) || errors.As(err, &pe) || errors.As(err, &errno) {
		return fmt.Errorf("coordinator: open %s: %w", path, err)
	}
	return corruptStore(path, err)
}

// checkRaftDB reads raft.db at path once from end to end, read-only:
// every bucket, key and value through bbolt, bbolt's own consistency
// check, then every raft log entry from the first index to the last
// through raft-boltdb, as raft will. A panic or memory fault on the way
// (debug.SetPanicOnFault: a page past the end of a truncated file) is
// the file's fault and comes back as ErrCorruptStore, as do a missing
// or misplaced entry. A missing or empty file passes: bbolt makes a new
// one. It returns ctx's error when the budget ran out first.
func checkRaftDB(ctx context.Context, path string, log *slog.Logger) (err error) {
	if fi, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) || (err == nil && fi.Size() == 0) {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = corruptStore(path, panicked(r))
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))

	hasLogs, err := checkBolt(ctx, path, log)
	if err != nil || !hasLogs {
		return err
	}
	return checkRaftLog(ctx, path)
}

// checkBolt is checkRaftDB's bbolt part. It reports whether the file
// has raft-boltdb's log bucket (a file that crashed between its creation
// and its first transaction has none, and is fine). A panic inside
// bbolt.Open leaves the file open (bbolt recovers nothing there): the
// coordinator exits on the error anyway.
func checkBolt(ctx context.Context, path string, log *slog.Logger) (hasLogs bool, err error) {
	// PreLoadFreelist: read the freelist here, where a panic on it is
	// recovered, not in Check's goroutine.
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, ReadOnly: true, PreLoadFreelist: true})
	if err != nil {
		return false, openFailure(path, err)
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error {
		if err := walkBolt(ctx, tx); err != nil {
			if ctx.Err() != nil {
				return err
			}
			return corruptStore(path, err)
		}
		// The walk read every page reachable from the root without a
		// panic, so Check (which runs in a goroutine of its own, where a
		// panic could not be recovered) reads only sound pages; it adds
		// what a walk cannot see: pages both in use and free, pages
		// referenced twice, keys out of order.
		var bad error
		leaked := 0
		for cerr := range tx.Check() {
			switch {
			case strings.Contains(cerr.Error(), "unreachable unfreed"):
				// A page neither in use nor free is lost space, not lost
				// data: older bbolt versions leave such pages behind.
				leaked++
			case bad == nil:
				bad = corruptStore(path, fmt.Errorf("bbolt check: %w", cerr))
			}
		}
		if leaked > 0 && bad == nil {
			log.Warn("raft.db has pages neither in use nor free (lost space, no lost data)", "path", path, "pages", leaked)
		}
		hasLogs = tx.Bucket([]byte("logs")) != nil
		return bad
	})
	return hasLogs, err
}

// walkBolt reads every bucket, key and value of tx. Every value is read
// to the end: its pages may lie past the end of a truncated file.
func walkBolt(ctx context.Context, tx *bbolt.Tx) error {
	n := 0
	var sum uint32
	var walk func(b *bbolt.Bucket) error
	walk = func(b *bbolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if n++; n%checkEvery == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			if v == nil {
				if sub := b.Bucket(k); sub != nil {
					return walk(sub)
				}
			}
			sum = crc32.Update(sum, crc32.IEEETable, v)
			return nil
		})
	}
	return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
		if b == nil {
			return fmt.Errorf("root key %q is no bucket", name)
		}
		return walk(b)
	})
}

// checkRaftLog is checkRaftDB's raft part: every entry decodes and sits
// under its own index, and none is missing between the first and the
// last.
func checkRaftLog(ctx context.Context, path string) error {
	store, err := raftboltdb.New(raftboltdb.Options{Path: path,
		BoltOptions: &bbolt.Options{Timeout: time.Second, ReadOnly: true}})
	if err != nil {
		return openFailure(path, err)
	}
	defer store.Close()
	first, err := store.FirstIndex()
	if err != nil {
		return corruptStore(path, fmt.Errorf("first index: %w", err))
	}
	last, err := store.LastIndex()
	if err != nil {
		return corruptStore(path, fmt.Errorf("last index: %w", err))
	}
	var l raft.Log
	for i := first; i != 0 && i <= last; i++ {
		if i%checkEvery == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if err := store.GetLog(i, &l); err != nil {
			return corruptStore(path, fmt.Errorf("log entry %d of %d..%d: %w", i, first, last, err))
		}
		if l.Index != i {
			return corruptStore(path, fmt.Errorf("log entry %d holds index %d", i, l.Index))
		}
	}
	return nil
}

// openBoltStore opens raft.db for raft. bbolt reads the freelist here
// and may panic on it as well.
func openBoltStore(path string) (store *raftboltdb.BoltStore, err error) {
	defer func() {
		if r := recover(); r != nil {
			store, err = nil, corruptStore(path, panicked(r))
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	// A second coordinator on the same data dir fails here at once
	// instead of waiting forever for bolt's file lock.
	store, err = raftboltdb.New(raftboltdb.Options{Path: path, BoltOptions: &bbolt.Options{Timeout: time.Second}})
	if err != nil {
		return nil, openFailure(path, err)
	}
	return store, nil
}

// guardedStore is raft's log and stable store on raft.db with a panic or
// memory fault inside bbolt (pages that went bad after the check at
// open) returned as an ErrCorruptStore error instead of killing the
// process. raft handles the error where it can; where it cannot, it
// panics with this error, which says what to do.
type guardedStore struct {
	db   *raftboltdb.BoltStore
	path string
	log  *slog.Logger
}

var (
	_ raft.LogStore    = (*guardedStore)(nil)
	_ raft.StableStore = (*guardedStore)(nil)
)

// catch is deferred by every method, after debug.SetPanicOnFault(true).
func (g *guardedStore) catch(err *error) {
	if r := recover(); r != nil {
		*err = corruptStore(g.path, panicked(r))
		g.log.Error("raft data is corrupt", "path", g.path, "err", *err)
	}
}

func (g *guardedStore) FirstIndex() (i uint64, err error) {
	defer g.catch(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return g.db.FirstIndex()
}

func (g *guardedStore) LastIndex() (i uint64, err error) {
	defer g.catch(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return g.db.LastIndex()
}

func (g *guardedStore) GetLog(index uint64, l *raft.Log) (err error) {
	defer g.catch(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return g.db.GetLog(index, l)
}

func (g *guardedStore) StoreLog(l *raft.Log) (err error) {
	defer g.catch(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return g.db.StoreLog(l)
}

func (g *guardedStore) StoreLogs(logs []*raft.Log) (err error) {
	defer g.catch(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return g.db.StoreLogs(logs)
}

func (g *guardedStore) DeleteRange(lo, hi uint64) (err error) {
	defer g.catch(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return g.db.DeleteRange(lo, hi)
}

func (g *guardedStore) Set(k, v []byte) (err error) {
	defer g.catch(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return g.db.Set(k, v)
}

func (g *guardedStore) Get(k []byte) (v []byte, err error) {
	defer g.catch(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return g.db.Get(k)
}

func (g *guardedStore) SetUint64(k []byte, v uint64) (err error) {
	defer g.catch(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return g.db.SetUint64(k, v)
}

func (g *guardedStore) GetUint64(k []byte) (v uint64, err error) {
	defer g.catch(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return g.db.GetUint64(k)
}
