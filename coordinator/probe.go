package coordinator

import (
	"context"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// Prober runs one of MMM's four checks against one host and returns
// MMM's result and message ("OK", "ERROR: Replication is broken", …).
// It should return by ctx's deadline; the leader stops waiting for it at
// the deadline anyway and counts it as "ERROR: Timeout" (MMM's alarm).
// The checks package provides the implementation.
type Prober interface {
	Probe(ctx context.Context, host string, check fsm.Check) (fsm.Result, string)
}

// ProberFunc adapts a function to Prober.
type ProberFunc func(ctx context.Context, host string, check fsm.Check) (fsm.Result, string)

// Probe calls f.
func (f ProberFunc) Probe(ctx context.Context, host string, check fsm.Check) (fsm.Result, string) {
	return f(ctx, host, check)
}

// Inspector reads what the leader observes of a host's MySQL besides the
// checks: whether it is writable, whom it replicates from, its GTID
// position, and the details `mmmctl status` shows. Unknown values stay
// nil.
type Inspector interface {
	Inspect(ctx context.Context, host string) (Inspection, error)
}

// Inspection is one reading of a host's MySQL.
type Inspection struct {
	Writable *bool
	Follows  *string // host name of its master; "" = none or unknown
	Position fsm.Position
	Obs      api.HostObs
}

// inputs turns an inspection into state machine inputs.
func (i Inspection) inputs(host string) []fsm.Input {
	var out []fsm.Input
	if i.Writable != nil {
		out = append(out, fsm.Writable{Host: host, Writable: *i.Writable})
	}
	if i.Follows != nil {
		out = append(out, fsm.Follows{Host: host, Master: *i.Follows})
	}
	if i.Position != nil {
		out = append(out, fsm.GTID{Host: host, Position: i.Position})
	}
	return out
}

// bounded runs f and returns its value, or def when ctx ends first: a
// Prober or Inspector that ignores its context delays nobody (f keeps
// running in the background until it returns).
func bounded[T any](ctx context.Context, def T, f func(context.Context) T) T {
	ch := make(chan T, 1)
	go func() { ch <- f(ctx) }()
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		return def
	}
}

// CheckTiming is one check's schedule (MMM's check_period and timeout).
type CheckTiming struct {
	Period  time.Duration
	Timeout time.Duration
}

// deadline is how long one probe may take: MMM guards a probe with an
// alarm of timeout + 1 s.
func (t CheckTiming) deadline() time.Duration { return t.Timeout + time.Second }
