package checks

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// want is one expected outcome of a check.
type want struct {
	name   string
	f      *fake
	status Status
	msg    string // exact, or a prefix when it ends in "..."
}

// runTable runs mk's check against each case's fake.
func runTable(t *testing.T, mk func(*fake) Check, cases []want) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := mk(tc.f).Run(context.Background())
			checkResult(t, r, tc.status, tc.msg)
		})
	}
}

func checkResult(t *testing.T, r Result, st Status, msg string) {
	t.Helper()
	ok := r.Message == msg
	if p, cut := strings.CutSuffix(msg, "..."); cut {
		ok = strings.HasPrefix(r.Message, p)
	}
	if r.Status != st || !ok {
		t.Errorf("got %v %q, want %v %q", r.Status, r.Message, st, msg)
	}
}

func TestRunAbandonsAProbeThatIgnoresItsDeadline(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	const timeout = 100 * time.Millisecond
	for _, c := range []Check{
		Ping{Pinger: &fake{block: release}, Timeout: timeout},
		MySQL{Server: &fake{block: release}, Timeout: timeout},
		RepThreads{Server: &fake{block: release}, Timeout: timeout},
		RepBacklog{Server: &fake{block: release}, Timeout: timeout},
		Semisync{Server: &fake{block: release}, Timeout: timeout, MinClients: 1},
		ReadOnly{Server: &fake{block: release}, Timeout: timeout},
	} {
		t.Run(c.Name(), func(t *testing.T) {
			start := time.Now()
			r := c.Run(context.Background())
			took := time.Since(start)
			checkResult(t, r, StatusFailed, "Timeout")
			if took > timeout+time.Second { // a bound: the check returned at its deadline, not when the probe did
				t.Errorf("returned after %v; its deadline was %v", took, timeout)
			}
			if r.Check != c.Name() || r.Duration <= 0 {
				t.Errorf("result %+v: want check %s and a duration", r, c.Name())
			}
		})
	}
}

func TestRunDeadlines(t *testing.T) {
	var seen time.Duration
	p := func(ctx context.Context) (Status, string) {
		dl, ok := ctx.Deadline()
		if !ok {
			t.Error("the probe's context has no deadline")
		}
		seen = time.Until(dl)
		return StatusOK, ""
	}
	t.Run("own timeout", func(t *testing.T) {
		run(context.Background(), "x", 300*time.Millisecond, p)
		if seen > 300*time.Millisecond-maxGrace+time.Millisecond || seen < 100*time.Millisecond {
			t.Errorf("probe deadline in %v, want about 300ms minus the grace", seen)
		}
	})
	t.Run("caller's deadline is sooner", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		run(ctx, "x", time.Hour, p)
		if seen > 200*time.Millisecond {
			t.Errorf("probe deadline in %v, want under the caller's 200ms", seen)
		}
	})
	t.Run("zero timeout is the default", func(t *testing.T) {
		run(context.Background(), "x", 0, p)
		if seen > DefaultTimeout || seen < DefaultTimeout/2 {
			t.Errorf("probe deadline in %v, want about %v", seen, DefaultTimeout)
		}
	})
}

func TestRunCancelledAndPanics(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	r := MySQL{Server: &fake{block: release}, Timeout: time.Minute}.Run(ctx)
	checkResult(t, r, StatusUnknown, "Error occurred: check cancelled")

	r = run(context.Background(), "x", time.Second, func(context.Context) (Status, string) { panic("boom") })
	checkResult(t, r, StatusUnknown, "Error occurred: panic: boom")
}

func TestTimedOut(t *testing.T) {
	bg := context.Background()
	expired, cancel := context.WithDeadline(bg, time.Now().Add(-time.Second))
	defer cancel()
	for _, tc := range []struct {
		ctx  context.Context
		err  error
		want bool
	}{
		{bg, context.DeadlineExceeded, true},
		{bg, os.ErrDeadlineExceeded, true},
		{bg, &net.DNSError{IsTimeout: true}, true}, // any net.Error that says Timeout
		{bg, errors.New("invalid connection"), false},
		{expired, errors.New("invalid connection"), true}, // the driver closed it at the deadline
	} {
		if got := timedOut(tc.ctx, tc.err); got != tc.want {
			t.Errorf("timedOut(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
