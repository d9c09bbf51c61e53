package coordinator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/failover"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// Executor carries out the actions of one kind (see the Kind constants).
// Execute must be idempotent: a new leader runs again every action its
// predecessor did not record as finished, and a failed action is retried.
// It returns by ctx's deadline. An error wrapping ErrPermanent is not
// retried.
type Executor interface {
	Execute(ctx context.Context, a fsm.Action) error
}

// ExecutorFunc adapts a function to Executor.
type ExecutorFunc func(ctx context.Context, a fsm.Action) error

// Execute calls f.
func (f ExecutorFunc) Execute(ctx context.Context, a fsm.Action) error { return f(ctx, a) }

// RetryPolicy says how often and how fast a failing action is retried.
type RetryPolicy struct {
	Attempts int           // executions before it is recorded failed; default 3
	Backoff  time.Duration // before the second execution, doubled after; default 1 s
	Timeout  time.Duration // per execution, unless Timeouts names the kind; default 10 s
	// Timeouts per kind (fence: fence_timeout, catch-up: catchup_timeout).
	Timeouts map[string]time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts < 1 {
		p.Attempts = 3
	}
	if p.Backoff <= 0 {
		p.Backoff = time.Second
	}
	if p.Timeout <= 0 {
		p.Timeout = 10 * time.Second
	}
	return p
}

func (p RetryPolicy) timeout(kind string) time.Duration {
	if t, ok := p.Timeouts[kind]; ok && t > 0 {
		return t
	}
	return p.Timeout
}

// dispatcher runs on the leader: it executes the replicated pending
// actions strictly in order, one at a time (the ordering contract of
// fsm.Action spans batches too: a later demotion must never overtake an
// earlier promotion of the same host), and commits each outcome. It
// never blocks the monitor: rounds keep being committed meanwhile.
type dispatcher struct {
	node    *node
	replica *Replica
	execs   map[string]Executor
	policy  RetryPolicy
	log     *slog.Logger
	now     func() time.Time
	warned  map[string]bool // kinds without an executor, logged once
	// idle, when set, runs between actions while none is pending, at
	// most every idleEvery, bounded by idleTimeout: upkeep that must
	// never run beside an action (the semisync layout).
	idle     func(ctx context.Context)
	nextIdle time.Time
}

const (
	idleEvery   = 2 * time.Second
	idleTimeout = 5 * time.Second
)

func (d *dispatcher) run(ctx context.Context) {
	for ctx.Err() == nil {
		changed := d.replica.Changed()
		pending := d.replica.Pending()
		if len(pending) == 0 {
			d.waitIdle(ctx, changed)
			continue
		}
		p := pending[0]
		if wait := p.NotBefore.Sub(d.now()); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
			case <-changed:
			case <-t.C:
			}
			t.Stop()
			continue
		}
		res, told := d.execute(ctx, p)
		if ctx.Err() != nil {
			return // leadership lost mid-action: the next leader runs it again
		}
		data, err := newEntry(d.now(), told, []ActionResult{res})
		if err == nil {
			_, err = d.node.apply(ctx, data)
		}
		if err == nil && res.Outcome == OutcomeOK && (p.Kind == KindOpenWriter || p.Kind == KindCloseWriter) {
			// Followers learn that the gate changed with the next
			// entry: send one now rather than after raft's CommitTimeout,
			// so the host's track file follows at once.
			if data, err2 := newEntry(d.now(), []fsm.Input{fsm.Tick{}}, nil); err2 == nil {
				_, _ = d.node.apply(ctx, data)
			}
		}
		if errors.Is(err, ErrNotLeader) {
			return
		}
		if err != nil {
			d.log.Error("recording an action's outcome", "action", p.Text, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

// waitIdle waits for the next change with nothing pending, running the
// idle upkeep when it is due.
func (d *dispatcher) waitIdle(ctx context.Context, changed <-chan struct{}) {
	if d.idle == nil {
		select {
		case <-ctx.Done():
		case <-changed:
		}
		return
	}
	if wait := d.nextIdle.Sub(d.now()); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-changed:
		case <-t.C:
		}
		return
	}
	// Upkeep gives way to an action: a failover decided while it runs
	// (it may be dialling the host that just died) must not wait for it.
	ictx, cancel := context.WithTimeout(ctx, idleTimeout)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-ictx.Done():
				return
			case <-changed:
				if len(d.replica.Pending()) > 0 {
					cancel()
					return
				}
				changed = d.replica.Changed()
			}
		}
	}()
	d.idle(ictx)
	cancel()
	<-watched
	d.nextIdle = d.now().Add(idleEvery)
}

// execute runs one pending action once and returns its result, and what
// the outcome tells the state machine (refusal), to be committed with it.
func (d *dispatcher) execute(ctx context.Context, p PendingAction) (ActionResult, []fsm.Input) {
	res := d.once(ctx, p)
	return res.ActionResult, d.refusal(p, res)
}

// outcome is an execution's result and the executor's error.
type outcome struct {
	ActionResult
	action fsm.Action
	err    error
}

// refusal turns the outcome of a replication repair into Refusal
// inputs: a rejoin or repoint refused for errant transactions marks that
// host (the error names it; for the ring, the writer's peer), and one
// that succeeded clears the marks of the hosts it involved. Committed in
// the same entry as the result, so that no set_online slips in between
// (the replication checks would only see the stopped replication after
// trap_period).
func (d *dispatcher) refusal(p PendingAction, o outcome) []fsm.Input {
	// The host whose replication was repaired: the subject, or, when the
	// subject is the writer (the ring closed again), its peer, which
	// was rejoined first. Never the master of a repair: a host that
	// others replicate from has not been checked itself.
	var repaired string
	switch a := o.action.(type) {
	case fsm.Repoint:
		repaired = a.Host
	case fsm.StartReplication:
		repaired = a.Host
		if d.replica.Owner() == a.Host {
			repaired = a.Master
		}
	default:
		return nil
	}
	var ee *failover.ErrantError
	if errors.As(o.err, &ee) {
		return []fsm.Input{fsm.Refusal{Host: ee.Host, Reason: ee.Error()}}
	}
	if o.Outcome != OutcomeOK {
		return nil
	}
	st := d.replica.View().State
	if hs := st.Host(repaired); hs != nil && (hs.Refused != "" || hs.MustRejoin) {
		return []fsm.Input{fsm.Refusal{Host: repaired}}
	}
	return nil
}

// once executes p once.
func (d *dispatcher) once(ctx context.Context, p PendingAction) (o outcome) {
	res := ActionResult{ID: p.ID, Attempt: p.Attempts + 1}
	defer func() { o.ActionResult = res }()
	ex := d.execs[p.Kind]
	if ex == nil {
		if !d.warned[p.Kind] {
			d.warned[p.Kind] = true
			d.log.Warn("no executor for this kind of action: recorded as skipped", "kind", p.Kind, "action", p.Text)
		}
		res.Outcome, res.Error = OutcomeSkipped, "no executor"
		return o
	}
	a, err := p.Decode()
	if err != nil {
		res.Outcome, res.Error = OutcomeFailed, err.Error()
		return o
	}
	o.action = a
	start := d.now()
	actx, cancel := context.WithTimeout(ctx, d.policy.timeout(p.Kind))
	err = ex.Execute(actx, a)
	cancel()
	o.err = err
	res.Duration = d.now().Sub(start)
	switch {
	case err == nil:
		res.Outcome = OutcomeOK
		d.log.Info("action done", "action", p.Text, "host", p.Host, "took", res.Duration.Round(time.Millisecond))
	case errors.Is(err, ErrSkipped):
		res.Outcome, res.Error = OutcomeSkipped, err.Error()
		d.log.Warn("action skipped", "action", p.Text, "host", p.Host, "why", err)
	case errors.Is(err, ErrWarning):
		res.Outcome, res.Error = OutcomeOK, err.Error()
		d.log.Warn("action done with a warning", "action", p.Text, "host", p.Host,
			"took", res.Duration.Round(time.Millisecond), "warning", err)
	case res.Attempt >= d.policy.Attempts || errors.Is(err, ErrPermanent):
		res.Outcome, res.Error = OutcomeFailed, err.Error()
		d.log.Error("action failed", "action", p.Text, "host", p.Host, "attempt", res.Attempt, "err", err)
	default:
		res.Outcome, res.Error = OutcomeRetrying, err.Error()
		res.RetryAt = d.now().Add(d.policy.Backoff << (res.Attempt - 1))
		d.log.Warn("action failed, will retry", "action", p.Text, "host", p.Host, "attempt", res.Attempt,
			"retry_at", res.RetryAt.Format(time.RFC3339Nano), "err", err)
	}
	return o
}

// gateExecutor executes CloseWriter and OpenWriter. Their effect is the
// committed OK result itself: applying it opens or closes the host's
// writer gate in every replica, and the host's own coordinator writes its
// track_file from the gate and its lease (see local). Execute only
// refuses to open the gate of a host the state no longer makes writer.
type gateExecutor struct{ replica *Replica }

func (g gateExecutor) Execute(ctx context.Context, a fsm.Action) error {
	if o, ok := a.(fsm.OpenWriter); ok {
		if owner := g.replica.Owner(); owner != o.Host {
			return fmt.Errorf("%w: %s no longer holds the writer role (owner %q)", ErrPermanent, o.Host, owner)
		}
	}
	return nil
}
