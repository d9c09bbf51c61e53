package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
	"github.com/mmm-keepalived/mmm-keepalived/internal/fence"
	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

// fakeObserver answers Observe calls in order; the last one repeats.
type fakeObserver struct {
	mu    sync.Mutex
	obs   []Observation
	calls int
}

func (f *fakeObserver) Observe() Observation {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.obs[min(f.calls, len(f.obs)-1)]
	f.calls++
	o.Where = "198.18.0.100 on eth0"
	return o
}

type fakeFencer struct {
	res     fence.Result
	err     error
	calls   int
	started chan struct{} // closed when Fence is called, if set
}

func (f *fakeFencer) Fence(ctx context.Context) (fence.Result, error) {
	f.calls++
	if f.started != nil {
		close(f.started)
	}
	return f.res, f.err
}

// fakeReporter records reports; with wait set it blocks until wait is
// closed or ctx ends (a hung coordinator).
type fakeReporter struct {
	mu   sync.Mutex
	got  []api.VRRPReport
	err  error
	wait chan struct{}
}

func (f *fakeReporter) ReportVRRP(ctx context.Context, r api.VRRPReport) error {
	if f.wait != nil {
		select {
		case <-f.wait:
		case <-ctx.Done():
			return fmt.Errorf("api: coordinator unavailable: %w", ctx.Err())
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, r)
	return f.err
}

var (
	fenced     = fence.Result{ReadOnlyAttempts: 1, Rounds: 2, Verified: true, Killed: []dbctl.Client{{ID: 7, User: "app", Host: "198.18.0.30:4000"}}}
	errRefused = errors.New("dial unix /run/mmm.sock: connect: connection refused")
)

func transition(s keepalived.State) keepalived.Transition {
	return keepalived.Transition{Kind: keepalived.KindInstance, Name: keepalived.InstanceName, State: s, Priority: 150}
}

func TestHandle(t *testing.T) {
	closed, eligible, holding := Observation{}, Observation{Eligible: true}, Observation{HoldsVIP: true, Eligible: true}
	tests := []struct {
		name      string
		state     keepalived.State
		obs       []Observation
		fencer    *fakeFencer
		reporter  *fakeReporter // nil: no coordinator configured
		want      Action
		fences    int
		reports   int
		err       error // Outcome.Err
		line      []string
		masterNow bool
	}{
		{name: "FAULT fences and reports", state: keepalived.StateFault, obs: []Observation{closed},
			fencer: &fakeFencer{res: fenced}, reporter: &fakeReporter{}, want: ActionFence, fences: 1, reports: 1,
			line: []string{"db1: INSTANCE \"mmm_writer\" FAULT 150: fence:", "fenced: read_only=1 set (was 0)", "killed 1 client (app@198.18.0.30 x1)", "reported to the coordinator"}},
		{name: "fence fails: Err wraps ErrNotFenced", state: keepalived.StateStop, obs: []Observation{closed},
			fencer: &fakeFencer{err: fmt.Errorf("fence: %w: boom", fence.ErrUnreachable)}, reporter: &fakeReporter{}, want: ActionFence,
			fences: 1, reports: 1, err: fence.ErrUnreachable, line: []string{"NOT FENCED: fence: server unreachable: boom"}},
		{name: "coordinator down: fenced anyway, report failure is no error", state: keepalived.StateBackup, obs: []Observation{closed},
			fencer: &fakeFencer{res: fenced}, reporter: &fakeReporter{err: errRefused}, want: ActionFence, fences: 1, reports: 1,
			line: []string{"fenced:", "not reported (best effort): dial unix"}},
		{name: "no coordinator configured", state: keepalived.StateFault, obs: []Observation{closed},
			fencer: &fakeFencer{res: fenced}, want: ActionFence, fences: 1, line: []string{"no coordinator to report to"}},
		{name: "keepalived took the VIP during the fence", state: keepalived.StateFault, obs: []Observation{closed, holding},
			fencer: &fakeFencer{res: fenced}, reporter: &fakeReporter{}, want: ActionFence, fences: 1, reports: 1, masterNow: true,
			line: []string{"held read-only until the coordinator opens writes"}},
		{name: "MASTER reports only", state: keepalived.StateMaster, obs: []Observation{holding},
			fencer: &fakeFencer{}, reporter: &fakeReporter{}, want: ActionReport, reports: 1, line: []string{"report: keepalived holds"}},
		{name: "BACKUP on the way to MASTER reports only", state: keepalived.StateBackup, obs: []Observation{eligible},
			fencer: &fakeFencer{}, reporter: &fakeReporter{}, want: ActionReport, reports: 1},
		{name: "stale BACKUP: nothing", state: keepalived.StateBackup, obs: []Observation{holding},
			fencer: &fakeFencer{}, reporter: &fakeReporter{}, want: ActionIgnore, line: []string{"ignore: stale"}},
		{name: "stale MASTER: nothing", state: keepalived.StateMaster, obs: []Observation{closed},
			fencer: &fakeFencer{}, reporter: &fakeReporter{}, want: ActionIgnore},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &Handler{Host: "db1", Observer: &fakeObserver{obs: tt.obs}, Fencer: tt.fencer}
			if tt.reporter != nil {
				h.Reporter = tt.reporter
			}
			o := h.Handle(context.Background(), transition(tt.state))
			if o.Action != tt.want || tt.fencer.calls != tt.fences || o.MasterAfterFence != tt.masterNow {
				t.Errorf("action %v, fences %d, master after %v; want %v, %d, %v (%s)",
					o.Action, tt.fencer.calls, o.MasterAfterFence, tt.want, tt.fences, tt.masterNow, o)
			}
			if tt.reporter != nil {
				if len(tt.reporter.got) != tt.reports {
					t.Fatalf("%d reports, want %d", len(tt.reporter.got), tt.reports)
				}
				if tt.reports > 0 {
					r := tt.reporter.got[0]
					if r.Host != "db1" || r.Instance != keepalived.InstanceName || r.State != tt.state.String() || r.Priority != 150 || r.Seen.IsZero() {
						t.Errorf("report %+v", r)
					}
				}
			}
			switch err := o.Err(); {
			case tt.err == nil && err != nil:
				t.Errorf("Err() = %v", err)
			case tt.err != nil && (!errors.Is(err, tt.err) || !errors.Is(err, ErrNotFenced)):
				t.Errorf("Err() = %v, want %v and ErrNotFenced", err, tt.err)
			}
			line := o.String()
			if strings.Contains(line, "\n") {
				t.Errorf("outcome spans lines: %q", line)
			}
			for _, part := range tt.line {
				if !strings.Contains(line, part) {
					t.Errorf("outcome %q lacks %q", line, part)
				}
			}
		})
	}
}

// TestHandleHungCoordinator: a coordinator that never answers delays
// neither the fence nor Handle past its context.
func TestHandleHungCoordinator(t *testing.T) {
	rep := &fakeReporter{wait: make(chan struct{})}
	fe := &fakeFencer{res: fenced, started: make(chan struct{})}
	h := &Handler{Host: "db1", Observer: &fakeObserver{obs: []Observation{{}}}, Fencer: fe, Reporter: rep}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Outcome)
	go func() { done <- h.Handle(ctx, transition(keepalived.StateFault)) }()
	select {
	case <-fe.started: // the fence ran while the report hangs
	case <-time.After(10 * time.Second):
		t.Fatal("the fence waited for the coordinator")
	}
	cancel() // the deadline
	o := <-done
	if o.Err() != nil || o.Reported || !errors.Is(o.ReportErr, context.Canceled) {
		t.Errorf("outcome %s (report err %v)", o, o.ReportErr)
	}
}
