package checks

import (
	"context"
	"sync"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// shareWindow is how long a persistent Server serves a SHOW SLAVE STATUS
// answer to later callers. The readers of one monitor round
// (rep_threads, rep_backlog and the leader's inspection) ask within
// milliseconds of each other; a round later (check_period, 1 s at the
// least in practice) the answer is long stale and read afresh.
const shareWindow = 200 * time.Millisecond

// replicaShare lets the callers of a persistent Server's ReplicaStatus
// share one query: a caller joins the one in flight, or takes an answer
// younger than shareWindow. Each query is a round trip and a few
// goroutine wake-ups; on an idle leader those wake-ups are its CPU.
type replicaShare struct {
	mu       sync.Mutex
	inflight *replicaCall
	last     *replicaCall     // an answer, served until shareWindow passed
	now      func() time.Time // time.Now when nil (tests)
}

// replicaCall is one SHOW SLAVE STATUS; done is closed once st, err and
// at are set.
type replicaCall struct {
	done chan struct{}
	at   time.Time
	st   *dbctl.ReplicaStatus
	err  error
}

// result returns a copy, so that no caller can change another's answer.
func (c *replicaCall) result() (*dbctl.ReplicaStatus, error) {
	if c.st == nil {
		return nil, c.err
	}
	st := *c.st
	return &st, c.err
}

// get returns a shared answer or runs read. A caller that joins a query
// in flight gets its outcome, also a timeout of the caller that started
// it (the callers of one round have about the same deadlines), but
// stops waiting when its own ctx ends.
func (sh *replicaShare) get(ctx context.Context, read func(context.Context) (*dbctl.ReplicaStatus, error)) (*dbctl.ReplicaStatus, error) {
	now := sh.now
	if now == nil {
		now = time.Now
	}
	sh.mu.Lock()
	if c := sh.last; c != nil && now().Sub(c.at) < shareWindow {
		sh.mu.Unlock()
		return c.result()
	}
	if c := sh.inflight; c != nil {
		sh.mu.Unlock()
		select {
		case <-c.done:
			return c.result()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	c := &replicaCall{done: make(chan struct{})}
	sh.inflight = c
	sh.mu.Unlock()

	c.st, c.err = read(ctx)
	c.at = now()
	sh.mu.Lock()
	sh.inflight = nil
	if answered(c.err) {
		sh.last = c
	}
	sh.mu.Unlock()
	close(c.done)
	return c.result()
}

// forget drops the answer kept, after the pool was dropped or closed:
// the next caller reads afresh.
func (sh *replicaShare) forget() {
	sh.mu.Lock()
	sh.last = nil
	sh.mu.Unlock()
}
