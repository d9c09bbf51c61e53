package checks

import (
	"context"
	"errors"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// NowQuerier connects to MySQL and runs SELECT NOW() on that fresh
// connection; a failure to connect or log in is a *ConnectError.
type NowQuerier interface {
	Now(ctx context.Context) error
}

// MySQL is MMM's mysql check: can the monitor user connect and run a
// query? Too many connections (1040, and max_user_connections, 1203) is
// UNKNOWN as in MMM: a busy server is no reason to fail over.
type MySQL struct {
	Server  NowQuerier
	Timeout time.Duration
}

var _ Check = MySQL{}

// Name returns "mysql".
func (MySQL) Name() string { return "mysql" }

// Run connects and queries once.
func (c MySQL) Run(ctx context.Context) Result {
	return run(ctx, c.Name(), c.Timeout, func(ctx context.Context) (Status, string) {
		err := c.Server.Now(ctx)
		if err == nil {
			return StatusOK, ""
		}
		var ce *ConnectError
		switch {
		case errors.Is(err, dbctl.ErrTooManyConnections):
			return StatusUnknown, tooManyConnections(err)
		case cancelled(ctx, err):
			return StatusUnknown, "Error occurred: check cancelled"
		case errors.As(err, &ce):
			return StatusFailed, ce.Error()
		case timedOut(ctx, err):
			return StatusFailed, "Timeout"
		}
		return StatusFailed, "SQL Query Error: " + detail(err)
	})
}
