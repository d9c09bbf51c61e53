package checks

import (
	"context"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// ReadOnlyReader connects to MySQL and reads read_only and
// super_read_only; a failure to connect or log in is a *ConnectError.
type ReadOnlyReader interface {
	ReadOnly(ctx context.Context) (dbctl.ReadOnlyState, error)
}

// ReadOnly checks, for the coordinator, that the server's write fence is
// what the cluster expects: read_only ON everywhere but on the writer,
// OFF on the writer (and there super_read_only OFF too, where it exists).
type ReadOnly struct {
	Server  ReadOnlyReader
	Timeout time.Duration
	Want    bool // the expected read_only: false on the writer only
}

var _ Check = ReadOnly{}

// Name returns "read_only".
func (ReadOnly) Name() string { return "read_only" }

// Run reads the fence once.
func (c ReadOnly) Run(ctx context.Context) Result {
	return run(ctx, c.Name(), c.Timeout, func(ctx context.Context) (Status, string) {
		st, err := c.Server.ReadOnly(ctx)
		switch {
		case err != nil:
			return queryError(ctx, err)
		case st.ReadOnly != c.Want:
			return StatusFailed, "read_only is " + onOff(st.ReadOnly) + ", expected " + onOff(c.Want)
		case !c.Want && st.SuperReadOnly:
			return StatusFailed, "super_read_only is ON, expected OFF"
		}
		return StatusOK, ""
	})
}

func onOff(b bool) string {
	if b {
		return "ON"
	}
	return "OFF"
}
