package checks

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// RepThreads is MMM's rep_threads check: are both replication threads
// running? As in MMM a stopped thread fails it ("Replication is broken")
// and an IO thread that is Connecting counts as running, but only for
// MaxConnecting: an IO thread that has been Connecting for
// longer fails, since the replica is then serving data it cannot refresh.
type RepThreads struct {
	Server  ReplicaStatusReader
	Timeout time.Duration
	// User is the account, named in the missing-privilege message.
	User string
	// MaxConnecting bounds how long the IO thread may stay Connecting
	// (or Preparing); 0 never fails it (MMM).
	MaxConnecting time.Duration
	// Connecting remembers since when the IO thread has been connecting,
	// across runs; nil remembers nothing, so the bound never trips (a
	// one-shot run such as mmm-check's).
	Connecting *ConnectingSince
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

var _ Check = RepThreads{}

// Name returns "rep_threads".
func (RepThreads) Name() string { return "rep_threads" }

// Run reads the replica status once.
func (c RepThreads) Run(ctx context.Context) Result {
	return run(ctx, c.Name(), c.Timeout, func(ctx context.Context) (Status, string) {
		st, err := c.Server.ReplicaStatus(ctx)
		if err != nil {
			return replicaError(ctx, err, c.User)
		}
		now := time.Now
		if c.Now != nil {
			now = c.Now
		}
		switch {
		case st.IO == dbctl.ThreadStopped || st.SQL == dbctl.ThreadStopped:
			c.Connecting.observe(false, now())
			return StatusFailed, "Replication is broken"
		case st.IO == dbctl.ThreadUnknown || st.SQL == dbctl.ThreadUnknown:
			return StatusUnknown, "Unknown state. " + threads(st)
		case st.IO == dbctl.ThreadRunning:
			c.Connecting.observe(false, now())
			return StatusOK, ""
		}
		// Connecting or Preparing.
		d := c.Connecting.observe(true, now())
		if c.MaxConnecting > 0 && d > c.MaxConnecting {
			msg := fmt.Sprintf("Replication is broken: the IO thread has been %s for %v (max_connecting %v)",
				st.IO, d.Round(time.Second), c.MaxConnecting)
			if st.LastIOError != "" {
				msg += fmt.Sprintf(": Last_IO_Error %d: %s", st.LastIOErrno, st.LastIOError)
			}
			return StatusFailed, msg
		}
		return StatusOK, fmt.Sprintf("IO thread %s for %v", st.IO, d.Round(time.Second))
	})
}

// ConnectingSince remembers since when a replica's IO thread has been
// connecting, for RepThreads. The zero value is ready; a nil
// *ConnectingSince remembers nothing. Safe for concurrent use.
type ConnectingSince struct {
	mu    sync.Mutex
	since time.Time // zero: not connecting at the last run
}

// observe records whether the IO thread is connecting at now and returns
// for how long it has been.
func (c *ConnectingSince) observe(connecting bool, now time.Time) time.Duration {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !connecting {
		c.since = time.Time{}
		return 0
	}
	if c.since.IsZero() {
		c.since = now
	}
	return now.Sub(c.since)
}
