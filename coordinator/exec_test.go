package coordinator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/failover"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
	"github.com/mmm-keepalived/mmm-keepalived/internal/gtid"
)

// TestDispatcherOutcomes: how an executor's error becomes the recorded
// outcome.
func TestDispatcherOutcomes(t *testing.T) {
	tests := []struct {
		err     error
		attempt int
		want    Outcome
		text    string
	}{
		{nil, 0, OutcomeOK, ""},
		{fmt.Errorf("%w: db1 does not answer", ErrSkipped), 0, OutcomeSkipped, "db1 does not answer"},
		{fmt.Errorf("%w: promoted without 0-1-5", ErrWarning), 0, OutcomeOK, "0-1-5"},
		{fmt.Errorf("%w: not a failover target", ErrPermanent), 0, OutcomeFailed, "failover target"},
		{errors.New("connection refused"), 0, OutcomeRetrying, "refused"},
		{errors.New("connection refused"), 2, OutcomeFailed, "refused"},
	}
	for _, tt := range tests {
		d := &dispatcher{policy: RetryPolicy{}.withDefaults(), log: slog.New(slog.DiscardHandler), now: time.Now,
			warned: map[string]bool{}, execs: map[string]Executor{
				KindFence: ExecutorFunc(func(context.Context, fsm.Action) error { return tt.err }),
			}}
		wa, err := encodeAction(fsm.Fence{Host: "db1"})
		if err != nil {
			t.Fatal(err)
		}
		res, _ := d.execute(context.Background(), PendingAction{Kind: KindFence, Action: wa, Attempts: tt.attempt})
		if res.Outcome != tt.want || !strings.Contains(res.Error, tt.text) {
			t.Errorf("%v (attempt %d): %s %q, want %s containing %q", tt.err, tt.attempt+1, res.Outcome, res.Error, tt.want, tt.text)
		}
	}
}

func TestKillHost(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "monitor"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "args")
	write := func(name, body string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, "monitor", name), []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("kill_ok", "#!/bin/sh\necho \"$@\" > "+out+"\necho killed\n", 0o755)
	write("kill_fail", "#!/bin/sh\necho cannot reach the PDU\nexit 3\n", 0o755)
	write("kill_noexec", "#!/bin/sh\n", 0o644)
	tests := []struct {
		bin, binPath string
		ping         bool
		want         error // nil, ErrSkipped or ErrPermanent
		args, text   string
	}{
		{"kill_ok", dir, true, nil, "db1 1\n", ""},
		{filepath.Join(dir, "monitor", "kill_ok"), "", false, nil, "db1 0\n", ""},
		{"kill_fail", dir, false, ErrPermanent, "", "PDU"},
		{"kill_missing", dir, false, ErrSkipped, "", "No binary found"},
		{"kill_noexec", dir, false, ErrSkipped, "", "not executable"},
		{"kill_host", "", false, ErrSkipped, "", "no binary configured"},
	}
	for _, tt := range tests {
		os.Remove(out)
		cfg := &config.Config{Monitor: config.Monitor{KillHostBin: tt.bin, BinPath: tt.binPath}}
		err := newKillHost(cfg, slog.New(slog.DiscardHandler)).Execute(context.Background(), fsm.KillHost{Host: "db1", Ping: tt.ping})
		if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(fmt.Sprint(err), tt.text) {
			t.Errorf("%s: err %v, want %v containing %q", tt.bin, err, tt.want, tt.text)
		}
		if tt.args != "" {
			if b, _ := os.ReadFile(out); string(b) != tt.args {
				t.Errorf("%s: ran with %q, want %q", tt.bin, b, tt.args)
			}
		}
	}
}

func TestCatchUpOthers(t *testing.T) {
	hosts := []string{"db1", "db2", "db3", "db4"}
	tests := []struct {
		a    fsm.CatchUp
		want []string
	}{
		{fsm.CatchUp{Host: "db2", Previous: "db1"}, []string{"db3", "db4"}},
		{fsm.CatchUp{Host: "db2", Previous: "db1", Sources: []string{"db4", "db1"}}, []string{"db4", "db3"}},
		{fsm.CatchUp{Host: "db1"}, []string{"db2", "db3", "db4"}},
	}
	for _, tt := range tests {
		if got := catchUpOthers(tt.a, hosts); !slices.Equal(got, tt.want) {
			t.Errorf("%v: %v, want %v", tt.a, got, tt.want)
		}
	}
}

func TestNotCovered(t *testing.T) {
	pos := func(s string) failover.Position {
		p, err := gtid.ParseMariaDB(s)
		if err != nil {
			t.Fatal(err)
		}
		return failover.MariaDBPosition(p)
	}
	tests := []struct {
		target  fsm.Position
		applied failover.Position
		want    string
	}{
		{nil, pos("0-1-10"), ""},
		{fsm.Position{"0": 10}, pos("0-1-10"), ""},
		{fsm.Position{"0": 10}, pos("0-2-12"), ""},
		{fsm.Position{"0": 12, "1": 3}, pos("0-2-10,1-1-3"), "0:12"},
		{fsm.Position{"0": 12}, failover.Position{}, "0:12"},
	}
	for _, tt := range tests {
		if got := notCovered(tt.target, tt.applied).String(); got != tt.want {
			t.Errorf("target %v applied %v: %q, want %q", tt.target, tt.applied, got, tt.want)
		}
	}
}

// fakeSQL is a server that answers read_only and nothing else.
type fakeSQL struct {
	failover.Server
	readOnly        bool
	semisync        bool
	semisyncTimeout time.Duration
	closed          bool
}

func (f *fakeSQL) ReadOnly(ctx context.Context) (dbctl.ReadOnlyState, error) {
	return dbctl.ReadOnlyState{ReadOnly: f.readOnly}, nil
}
func (f *fakeSQL) SetReadOnly(ctx context.Context, on bool) error { f.readOnly = on; return nil }
func (f *fakeSQL) KillClients(ctx context.Context) ([]dbctl.Client, error) {
	return nil, nil
}
func (f *fakeSQL) Close() error { f.closed = true; return nil }
func (f *fakeSQL) SetSemisyncMaster(ctx context.Context, on bool) error {
	f.semisync = on
	return nil
}
func (f *fakeSQL) SetSemisyncMasterTimeout(ctx context.Context, d time.Duration) error {
	f.semisyncTimeout = d
	return nil
}

// TestEnableWrites: without a handover the writer's writes are enabled
// and nothing else is touched (the embedded failover.Server is nil: any
// replication call would panic).
func TestEnableWrites(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	e, err := newSQLExecutors(cfg, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := &fakeSQL{readOnly: true}
	if err := e.enableWrites(context.Background(), "db1", srv); err != nil || srv.readOnly || !srv.semisync {
		t.Fatalf("err %v, read_only %v, semisync %v", err, srv.readOnly, srv.semisync)
	}
	if want := cfg.Coordinator.SemisyncTimeout(); srv.semisyncTimeout != want {
		t.Errorf("semisync timeout %v, want the owned %v", srv.semisyncTimeout, want)
	}
	// Writable already (my.cnf, an existing cluster's writer): its
	// semisync timeout is still made the owned one.
	srv = &fakeSQL{}
	if err := e.enableWrites(context.Background(), "db1", srv); err != nil || !srv.semisync || srv.semisyncTimeout == 0 || srv.readOnly {
		t.Fatalf("writable host: err %v, semisync %v timeout %v", err, srv.semisync, srv.semisyncTimeout)
	}
}

// TestFenceExecutor: a fence target that does not answer is skipped (its
// own side fences it) unless retrying can help, also when the other
// fence killed the connection under its first query; one that answers is
// fenced, its semisync master side turned off and its connection closed.
func TestFenceExecutor(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	rep, err := NewReplica(fsm.SpecFromConfig(cfg), 10, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	// killed: mmm-notify's fence killed the connection under Open's
	// first query.
	killed := fmt.Errorf("dbctl: detect flavour: %w", mysql.ErrInvalidConn)
	tests := []struct {
		openErrs []error // one per open, then success
		want     error
	}{
		{nil, nil},
		{[]error{errors.New("dial tcp 127.0.0.11:3306: connect: connection refused")}, ErrSkipped},
		{[]error{fmt.Errorf("dbctl: open: %w", dbctl.ErrTooManyConnections)}, dbctl.ErrTooManyConnections},
		{[]error{killed}, nil},
		{[]error{killed, killed}, ErrSkipped},
	}
	for _, tt := range tests {
		srv := &fakeSQL{semisync: true} // the writer's master side
		e, err := newSQLExecutors(cfg, rep, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		opens := 0
		e.open = func(ctx context.Context, host string, dial time.Duration) (sqlServer, error) {
			opens++
			if opens <= len(tt.openErrs) {
				return nil, tt.openErrs[opens-1]
			}
			return srv, nil
		}
		err = e.executors()[KindFence].Execute(context.Background(), fsm.Fence{Host: "db1"})
		if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("open errors %v: fence error %v, want %v", tt.openErrs, err, tt.want)
		}
		if tt.want == nil && (!srv.readOnly || !srv.closed || srv.semisync) {
			t.Errorf("open errors %v: fenced server: read_only %v, closed %v, semisync master %v",
				tt.openErrs, srv.readOnly, srv.closed, srv.semisync)
		}
	}
	// Actions about a writer the state does not name are refused for good.
	e, _ := newSQLExecutors(cfg, rep, slog.New(slog.DiscardHandler))
	for _, a := range []fsm.Action{fsm.CatchUp{Host: "db2"}, fsm.Promote{Host: "db2"}} {
		if err := e.executors()[ActionKind(a)].Execute(context.Background(), a); !errors.Is(err, ErrPermanent) {
			t.Errorf("%v with no writer in the state: %v, want ErrPermanent", a, err)
		}
	}
}

// TestUnanswered: which connection failures skip an action.
func TestUnanswered(t *testing.T) {
	down := fmt.Errorf("%w: %w: db1 is HARD_OFFLINE", failover.ErrUnreachable, errNotDialled)
	refused := errors.New("dial tcp 127.0.0.11:3306: connect: connection refused")
	busy := fmt.Errorf("dbctl: open: %w", dbctl.ErrTooManyConnections)
	tests := []struct {
		err           error
		fence, repair bool // skipped?
	}{
		{down, true, true},
		{refused, true, false},
		{busy, false, false},
	}
	for _, tt := range tests {
		if got := errors.Is(unanswered(tt.err, "fence db1", ""), ErrSkipped); got != tt.fence {
			t.Errorf("fence, %v: skipped %v, want %v", tt.err, got, tt.fence)
		}
		if got := errors.Is(unansweredRepair(tt.err, "replicate db1", ""), ErrSkipped); got != tt.repair {
			t.Errorf("repair, %v: skipped %v, want %v", tt.err, got, tt.repair)
		}
	}
}

// TestRepairDialsHostWithFailingPing: a replication repair dials a host
// whose ping failed once within its trap_period (a host just back, whose
// first ping after the return was lost): skipping it as down put the
// repair off until ReplicationRetry. The failover's actions still skip
// such a host (a dead host's ping fails before its trap_period ends).
func TestRepairDialsHostWithFailingPing(t *testing.T) {
	f, _ := started(t)
	f.apply(t0.Add(time.Second), []fsm.Input{fsm.Probe{Host: "db3", Check: fsm.CheckPing, Result: fsm.ResultFailed, Message: "ERROR: Could not ping"}}, nil)
	e, err := newSQLExecutors(testConfig(t, t.TempDir()), f.r, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex // openAll dials in parallel
	var dialled []string
	e.open = func(ctx context.Context, host string, dial time.Duration) (sqlServer, error) {
		mu.Lock()
		defer mu.Unlock()
		dialled = append(dialled, host)
		return nil, errors.New("dial tcp: i/o timeout")
	}
	err = e.executors()[KindStartReplication].Execute(context.Background(), fsm.StartReplication{Host: "db3", Master: "db1"})
	if !slices.Contains(dialled, "db3") || errors.Is(err, ErrSkipped) {
		t.Errorf("repair: dialled %v, err %v; want db3 dialled and the error retried", dialled, err)
	}
	dialled = nil
	if cs := e.openAll(context.Background(), "db3"); slices.Contains(dialled, "db3") || !errors.Is(cs.errs["db3"], errNotDialled) {
		t.Errorf("failover path: dialled %v, err %v; want db3 not dialled", dialled, cs.errs["db3"])
	}
}

// TestIdleGivesWay: the idle upkeep (the semisync keeper, which may be
// dialling a host that just died) is cancelled as soon as an action is
// pending, instead of holding the failover up to idleTimeout; an entry
// that brings no action leaves it running.
func TestIdleGivesWay(t *testing.T) {
	f := newFeeder(t)
	started, ended := make(chan struct{}), make(chan error, 1)
	d := &dispatcher{replica: f.r, now: time.Now, idle: func(ctx context.Context) {
		close(started)
		<-ctx.Done()
		ended <- ctx.Err()
	}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		d.waitIdle(ctx, f.r.Changed())
	}()
	<-started
	f.apply(t0, []fsm.Input{fsm.Tick{}}, nil) // before startup: no action
	select {
	case err := <-ended:
		t.Fatalf("an entry without actions ended the upkeep: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	f.apply(t0, append(healthyRound(), fsm.Start{}), nil) // the startup's actions
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the upkeep ended with %v, want cancelled for the pending actions", err)
		}
	case <-time.After(idleTimeout - time.Second):
		t.Fatal("the upkeep still runs with actions pending")
	}
	<-returned
}
