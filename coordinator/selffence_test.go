package coordinator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/checks/checkstest"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/internal/fence"
)

// fakeClock advances only when after is waited on.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// TestSelfFencerRun: the self-fence retries a fence that fails until it
// is confirmed, counts a mysqld that is not running as fenced, and kills
// an unfenceable mysqld once fence_timeout has passed — never before,
// and never when the kill is off.
func TestSelfFencerRun(t *testing.T) {
	frozen := fmt.Errorf("fence: %w: dbctl: detect flavour: context deadline exceeded", fence.ErrUnreachable)
	refused := fmt.Errorf("fence: %w: dial unix: %w", fence.ErrUnreachable, syscall.ECONNREFUSED)
	tests := []struct {
		name      string
		errs      []error // one per attempt; past the end: frozen
		kill      bool
		killErrs  int // kills that fail first
		wantHow   string
		wantTries int
		wantKills int
	}{
		{"answers at once", []error{nil}, true, 0, SelfFencedReadOnly, 1, 0},
		{"answers after a stall", []error{frozen, frozen, nil}, true, 0, SelfFencedReadOnly, 3, 0},
		{"mysqld not running", []error{frozen, refused}, true, 0, SelfFencedDown, 2, 0},
		{"frozen: killed after fence_timeout", nil, true, 0, SelfFencedKilled, 11, 1},
		{"kill fails, then works", nil, true, 2, SelfFencedKilled, 13, 3},
		{"frozen, kill off: never done", nil, false, 0, "", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{now: t0}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			attempts, kills, updates := 0, 0, 0
			var killedAt time.Duration
			s := selfFencer{
				fence: func(context.Context) (fence.Result, error) {
					attempts++
					if attempts > 200 {
						cancel() // kill off: give up the test's loop
					}
					if attempts <= len(tt.errs) {
						return fence.Result{}, tt.errs[attempts-1]
					}
					return fence.Result{}, frozen
				},
				down: func(err error) string {
					if errors.Is(err, syscall.ECONNREFUSED) {
						return "connection refused"
					}
					return ""
				},
				killAfter: 2 * time.Second,
				retry:     200 * time.Millisecond,
				now:       clock.Now,
				after:     clock.After,
				update:    func(SelfFence) { updates++ },
				warn:      func(string, ...any) {},
			}
			if tt.kill {
				s.kill = func(context.Context) (string, error) {
					kills++
					killedAt = clock.now.Sub(t0)
					if kills <= tt.killErrs {
						return "", errors.New("no such pid file")
					}
					return "SIGKILL to pid 42", nil
				}
			}
			got := s.run(ctx, SelfFence{Since: 7, Why: "test"})
			if tt.wantHow == "" {
				if got.Done {
					t.Fatalf("done: %+v", got)
				}
				return
			}
			if !got.Done || got.How != tt.wantHow || got.Tries != tt.wantTries || kills != tt.wantKills || got.Since != 7 || updates == 0 {
				t.Errorf("got %+v after %d kills, %d updates; want %s after %d tries and %d kills", got, kills, updates, tt.wantHow, tt.wantTries, tt.wantKills)
			}
			if kills > 0 && killedAt < s.killAfter {
				t.Errorf("first kill %v after the start, before fence_timeout %v", killedAt, s.killAfter)
			}
		})
	}
}

// TestKillMySQLD kills a process named mysqld through its pid file, and
// refuses a pid file naming anything else.
func TestKillMySQLD(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary to stand in for mysqld:", err)
	}
	dir := t.TempDir()
	fake := filepath.Join(dir, "mysqld")
	b, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fake, b, 0o755); err != nil {
		t.Fatal(err)
	}
	start := func(bin string) *exec.Cmd {
		cmd := exec.Command(bin, "600")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pidfile := filepath.Join(dir, "mysqld.pid")

	other := start(sleep)
	os.WriteFile(pidfile, []byte(strconv.Itoa(other.Process.Pid)+"\n"), 0o644)
	if _, err := killMySQLD(ctx, pidfile); err == nil || !strings.Contains(err.Error(), "not mysqld") {
		t.Errorf("a pid file naming sleep: %v", err)
	}
	if gone(other.Process.Pid) {
		t.Error("the process that is not mysqld was killed")
	}

	mysqld := start(fake)
	os.WriteFile(pidfile, []byte(strconv.Itoa(mysqld.Process.Pid)+"\n"), 0o644)
	detail, err := killMySQLD(ctx, pidfile)
	if err != nil || !strings.Contains(detail, "SIGKILL") {
		t.Fatalf("kill: %q, %v", detail, err)
	}
	if st := mysqld.Wait(); st == nil || !strings.Contains(st.Error(), "killed") {
		t.Errorf("mysqld ended with %v, want killed", st)
	}

	if _, err := killMySQLD(ctx, filepath.Join(dir, "missing.pid")); err == nil {
		t.Error("a missing pid file: no error")
	}
}

// TestReportBookSelfFenced: a self-fence counts only when done and
// reported by a coordinator that had applied the decision's entry.
func TestReportBookSelfFenced(t *testing.T) {
	b := newReportBook()
	if _, ok := b.selfFenced("db1", 5); ok {
		t.Error("no report: confirmed")
	}
	b.put(Report{Host: "db1", Applied: 9, SelfFence: &SelfFence{Since: 3}})
	if _, ok := b.selfFenced("db1", 5); ok {
		t.Error("not done yet: confirmed")
	}
	b.put(Report{Host: "db1", Applied: 4, SelfFence: &SelfFence{Since: 3, Done: true, How: SelfFencedKilled}})
	if _, ok := b.selfFenced("db1", 5); ok {
		t.Error("reported before the decision was applied: confirmed")
	}
	b.put(Report{Host: "db1", Applied: 5, SelfFence: &SelfFence{Since: 3, Done: true, How: SelfFencedKilled}})
	if sf, ok := b.selfFenced("db1", 5); !ok || sf.How != SelfFencedKilled {
		t.Errorf("done after the decision: %+v %v", sf, ok)
	}
}

// TestFenceWaitsForItsOwnSide: the leader does not skip the fence of a
// host whose MySQL does not answer while its coordinator is in contact:
// it waits for that side's confirmation, and fails (to be retried)
// without it. A cut-off coordinator is skipped as before.
func TestFenceWaitsForItsOwnSide(t *testing.T) {
	f := newFeeder(t)
	f.apply(t0, healthyRound(), nil)
	e, err := newSQLExecutors(testConfig(t, t.TempDir()), f.r, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	e.poll = time.Millisecond
	frozen := errors.New("dbctl: detect flavour: context deadline exceeded")
	e.open = func(context.Context, string, time.Duration) (sqlServer, error) { return nil, frozen }
	confirmed := false
	e.selfFenced = func(host string, index uint64) (SelfFence, bool) {
		return SelfFence{Done: true, How: SelfFencedKilled, Detail: "SIGKILL to pid 42"}, confirmed && host == "db1"
	}
	fenceDB1 := func(d time.Duration) error {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		return e.executors()[KindFence].Execute(ctx, fsm.Fence{Host: "db1"})
	}
	if err := fenceDB1(20 * time.Millisecond); err == nil || errors.Is(err, ErrSkipped) || errors.Is(err, ErrWarning) {
		t.Errorf("no confirmation: %v, want an error to retry", err)
	}
	confirmed = true
	if err := fenceDB1(time.Minute); !errors.Is(err, ErrWarning) || !strings.Contains(err.Error(), "SIGKILL to pid 42") {
		t.Errorf("confirmed: %v, want done with a warning naming the kill", err)
	}
	confirmed = false
	f.apply(t0.Add(time.Second), []fsm.Input{fsm.Reachability{Host: "db1", Reachable: false}}, nil)
	if err := fenceDB1(time.Minute); !errors.Is(err, ErrSkipped) {
		t.Errorf("cut-off coordinator: %v, want skipped", err)
	}
}

// TestFollowMayWrite: losing the right to write starts a self-fence,
// which reports its outcome (here: no mysqld listens on the socket), and
// a tickler of the writer VIP's clients; regaining it stops both and
// forgets the self-fence, so that a later loss starts afresh.
func TestFollowMayWrite(t *testing.T) {
	l := testLocal(t, filepath.Join(t.TempDir(), "mysqld.sock"), true)
	sf := func() *SelfFence {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.selfFence
	}

	l.followMayWrite(false, true) // never allowed: nothing to fence
	if sf() != nil {
		t.Fatal("a self-fence without having been allowed to write")
	}
	l.followMayWrite(true, true)
	l.followMayWrite(false, false)
	eventually(t, 10*time.Second, "the self-fence to find no mysqld", func() bool {
		s := sf()
		return s != nil && s.Done && s.How == SelfFencedDown
	})
	if s := sf(); !strings.Contains(s.Why, "lease") {
		t.Errorf("why %q: want the lease", s.Why)
	}
	if r := l.report(false); r.SelfFence == nil || !r.SelfFence.Done {
		t.Errorf("report %+v: want the self-fence in it", r)
	}
	if !l.tickling.Load() {
		t.Error("no tickler runs after the self-fence began (it runs for seconds)")
	}
	l.followMayWrite(true, true)
	if sf() != nil {
		t.Error("allowed to write again: the self-fence is still reported")
	}
	eventually(t, 10*time.Second, "the tickler to stop: the host may write again", func() bool { return !l.tickling.Load() })
	l.setVRRP(fsm.VRRPFault)
	eventually(t, 10*time.Second, "a self-fence on FAULT", func() bool { s := sf(); return s != nil && s.Done })
}

// TestSelfFenceKeepsItsDeadline: a second reason to fence while a
// self-fence is still trying (keepalived's FAULT, then the leader moving
// the role) does not start it over, which would put the kill off.
func TestSelfFenceKeepsItsDeadline(t *testing.T) {
	// A socket that accepts and never answers: a frozen mysqld.
	sock := filepath.Join(t.TempDir(), "mysqld.sock")
	checkstest.Start(t, checkstest.Options{Socket: sock, Silent: true})
	l := testLocal(t, sock, false)
	l.followMayWrite(true, true)
	l.setVRRP(fsm.VRRPFault)
	l.mu.Lock()
	first := l.selfFence
	l.mu.Unlock()
	l.followMayWrite(false, true)
	l.mu.Lock()
	second := l.selfFence
	l.mu.Unlock()
	if first == nil || second == nil || second.Why != first.Why {
		t.Errorf("self-fence %+v, then %+v: want the first one to go on", first, second)
	}
}

// TestFenceHold: a track file that should close stays open while a
// self-fence is under way, for a sixth of the lease at most, and not
// at all once the fence is done.
func TestFenceHold(t *testing.T) {
	cfg := testConfig(t, t.TempDir()) // lease 500 ms: hold 83 ms
	l := newLocal(&Coordinator{cfg: cfg, host: "db1"})
	if h := l.fenceHoldLeft(t0); h != 0 {
		t.Errorf("no self-fence: hold %v", h)
	}
	l.selfFence, l.fenceAt = &SelfFence{Why: "test"}, t0
	if h := l.fenceHoldLeft(t0.Add(10 * time.Millisecond)); h != l.fenceHold()-10*time.Millisecond || h <= 0 {
		t.Errorf("fence under way: hold %v, want %v", h, l.fenceHold()-10*time.Millisecond)
	}
	if h := l.fenceHoldLeft(t0.Add(time.Second)); h != 0 {
		t.Errorf("past the bound: hold %v", h)
	}
	l.selfFence.Done = true
	if h := l.fenceHoldLeft(t0.Add(10 * time.Millisecond)); h != 0 {
		t.Errorf("fence done: hold %v", h)
	}
}

// TestSelfFencerDetach: a self-fence that detaches (a cut-off writer)
// stops the replication IO thread once the fence is confirmed, and
// says so; a failure to stop it is reported, not fatal. The writer
// VIP's sessions are reset once the fence is confirmed.
func TestSelfFencerDetach(t *testing.T) {
	for _, detachErr := range []error{nil, errors.New("no such thread")} {
		clock := &fakeClock{now: t0}
		detached := 0
		s := selfFencer{
			fence:  func(context.Context) (fence.Result, error) { return fence.Result{}, nil },
			down:   func(error) string { return "" },
			detach: func(context.Context) error { detached++; return detachErr },
			reset:  func() (int, error) { return 2, nil },
			retry:  time.Millisecond, now: clock.Now, after: clock.After,
			update: func(SelfFence) {}, warn: func(string, ...any) {},
		}
		got := s.run(context.Background(), SelfFence{})
		want := "replication IO thread stopped"
		if detachErr != nil {
			want = "NOT stopped"
		}
		if !got.Done || detached != 1 || !strings.Contains(got.Detail, want) || !strings.Contains(got.Detail, "2 client session(s) of the writer VIP reset") {
			t.Errorf("detach error %v: %+v after %d detaches, want %q in the detail", detachErr, got, detached, want)
		}
	}
}

// testLocal is db1's local part on a test configuration, with mysqld's
// socket at sock and kill_unfenced_mysqld as given, running until the
// test ends.
func testLocal(t *testing.T, sock string, kill bool) *local {
	t.Helper()
	cfg := testConfig(t, t.TempDir())
	cfg.Host("db1").MySQLSocket = sock
	cfg.Coordinator.KillUnfencedMySQLD = kill
	c := &Coordinator{cfg: cfg, host: "db1", log: slog.New(slog.DiscardHandler), replica: newFeeder(t).r}
	l := newLocal(c)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	l.base = ctx
	return l
}
