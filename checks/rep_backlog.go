package checks

import (
	"context"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// RepBacklog is MMM's rep_backlog check: is Seconds_Behind_Master at most
// MaxBacklog? As in MMM, 0 and NULL are "Backlog is null". Unlike MMM, a
// NULL while a replication thread is stopped fails: the lag is then
// unknown and growing, not zero.
type RepBacklog struct {
	Server     ReplicaStatusReader
	Timeout    time.Duration
	User       string        // named in the missing-privilege message
	MaxBacklog time.Duration // the lag allowed; more fails (MMM: 60 s)
}

var _ Check = RepBacklog{}

// Name returns "rep_backlog".
func (RepBacklog) Name() string { return "rep_backlog" }

// Run reads the replica status once.
func (c RepBacklog) Run(ctx context.Context) Result {
	return run(ctx, c.Name(), c.Timeout, func(ctx context.Context) (Status, string) {
		st, err := c.Server.ReplicaStatus(ctx)
		if err != nil {
			return replicaError(ctx, err, c.User)
		}
		lag := st.SecondsBehind
		switch {
		case !lag.Valid && (st.IO == dbctl.ThreadStopped || st.SQL == dbctl.ThreadStopped):
			return StatusFailed, "Backlog is unknown: replication is stopped (" + threads(st) + ")"
		case !lag.Valid || lag.Int64 == 0:
			return StatusOK, "Backlog is null"
		case time.Duration(lag.Int64)*time.Second > c.MaxBacklog:
			return StatusFailed, "Backlog is too big"
		}
		return StatusOK, ""
	})
}
