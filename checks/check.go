package checks

import (
	"context"
	"fmt"
	"time"
)

// Check is one health check of one host. Run never returns later than
// the sooner of the caller's deadline and the check's own timeout, and
// never returns a Result with StatusInvalid. Checks are safe for
// concurrent use.
type Check interface {
	// Name is MMM's check name: ping, mysql, rep_threads, rep_backlog,
	// or ours: semisync, read_only.
	Name() string
	Run(ctx context.Context) Result
}

// DefaultTimeout is a check's timeout when none is set (MMM's default).
const DefaultTimeout = 2 * time.Second

// maxGrace is how much earlier than the check's deadline the probe's
// context ends, at most: time for a probe that honours its context to
// classify the timeout itself ("Connect error ... timed out") before the
// runner gives up on it.
const maxGrace = 25 * time.Millisecond

// probe does a check's I/O and judges the outcome.
type probe func(ctx context.Context) (Status, string)

// run runs p under the check's deadline: timeout from now (DefaultTimeout
// when zero) or the caller's, whichever comes first. It returns at that
// deadline even if p does not: p then goes on in the background and its
// outcome is dropped. A panic in p is an UNKNOWN, like an exception in
// MMM's checker.
func run(ctx context.Context, name string, timeout time.Duration, p probe) Result {
	start := time.Now()
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dl, _ := ctx.Deadline()
	pctx, pcancel := context.WithDeadline(ctx, dl.Add(-min(maxGrace, time.Until(dl)/10)))
	defer pcancel()

	type outcome struct {
		st  Status
		msg string
	}
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- outcome{StatusUnknown, fmt.Sprintf("Error occurred: panic: %v", v)}
			}
		}()
		st, msg := p(pctx)
		done <- outcome{st, msg}
	}()
	var o outcome
	select {
	case o = <-done:
	case <-ctx.Done():
		select {
		case o = <-done: // finished at the same moment: keep its word
		default:
			o = outcome{StatusFailed, "Timeout"}
			if cancelled(ctx, nil) {
				o = outcome{StatusUnknown, "Error occurred: check cancelled"}
			}
		}
	}
	return Result{Check: name, Status: o.st, Message: o.msg, Duration: time.Since(start)}
}
