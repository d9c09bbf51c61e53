package fence

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// fakeServer scripts the three calls Fence makes.
type fakeServer struct {
	mu sync.Mutex
	// readOnly answers ReadOnly calls in order; the last one repeats.
	readOnly []roAnswer
	// set answers SetReadOnly attempts in order: nil = success,
	// errBlock = block until the context ends; the last one repeats.
	set []error
	// kills answers KillClients rounds in order; afterwards nobody is
	// left.
	kills []killAnswer

	// waiters: SetReadOnly blocks until a kill round ran (commits
	// waiting for a semisync acknowledgement that will not come).
	waiters bool

	reads, sets, rounds int
	on                  bool
}

type roAnswer struct {
	on  bool
	err error
	// follow: report what SetReadOnly last set instead of on.
	follow bool
}

type killAnswer struct {
	ids []uint64
	err error
}

var errBlock = errors.New("block")

func (s *fakeServer) ReadOnly(ctx context.Context) (dbctl.ReadOnlyState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.readOnly[min(s.reads, len(s.readOnly)-1)]
	s.reads++
	if a.follow {
		return dbctl.ReadOnlyState{ReadOnly: s.on}, a.err
	}
	return dbctl.ReadOnlyState{ReadOnly: a.on}, a.err
}

func (s *fakeServer) SetReadOnly(ctx context.Context, on bool) error {
	s.mu.Lock()
	err := s.set[min(s.sets, len(s.set)-1)]
	if s.waiters && s.rounds == 0 {
		err = errBlock
	}
	s.sets++
	s.mu.Unlock()
	if err == errBlock {
		<-ctx.Done()
		return fmt.Errorf("dbctl: set read_only=ON: %w (statement killed on the server)", ctx.Err())
	}
	if err == nil {
		s.mu.Lock()
		s.on = on
		s.mu.Unlock()
	}
	return err
}

func (s *fakeServer) KillClients(ctx context.Context) ([]dbctl.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() { s.rounds++ }()
	if s.rounds >= len(s.kills) {
		return nil, nil
	}
	a := s.kills[s.rounds]
	var out []dbctl.Client
	for _, id := range a.ids {
		out = append(out, dbctl.Client{ID: id, User: "app", Host: fmt.Sprintf("198.18.0.30:%d", 40000+id)})
	}
	return out, a.err
}

// fakeClock advances by the requested pause at once.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	c.mu.Unlock()
	ch := make(chan time.Time, 1)
	ch <- now
	return ch
}

var (
	errKill   = errors.New("dbctl: kill client 5 (app@198.18.0.30): boom")
	errDenied = fmt.Errorf("dbctl: set read_only=ON: %w: Error 1227", dbctl.ErrAccessDenied)
	errDown   = errors.New("dbctl: read read_only: dial tcp 198.18.0.11:3306: connect: connection refused")
)

func TestFence(t *testing.T) {
	writable := []roAnswer{{on: false}, {follow: true}}
	tests := []struct {
		name    string
		srv     *fakeServer
		retries int
		wantErr error // nil = success
		// want: WasReadOnly, attempts, rounds, killed, verified.
		was                    bool
		attempts, rounds, nkil int
	}{
		{name: "clients killed, confirmed by a clean round",
			srv:     &fakeServer{readOnly: writable, set: []error{nil}, kills: []killAnswer{{ids: []uint64{5, 7}}}},
			retries: 10, attempts: 1, rounds: 2, nkil: 2},
		{name: "already fenced and idle: one round",
			srv:     &fakeServer{readOnly: []roAnswer{{on: true}, {follow: true}}, set: []error{nil}},
			retries: 10, was: true, attempts: 1, rounds: 1},
		{name: "max_kill_retries 0 and nobody connected",
			srv:      &fakeServer{readOnly: writable, set: []error{nil}},
			attempts: 1, rounds: 1},
		{name: "reconnects after read_only do not fail the fence",
			srv:     &fakeServer{readOnly: writable, set: []error{nil}, kills: []killAnswer{{ids: []uint64{5, 7}}, {ids: []uint64{9, 10}}}},
			retries: 10, attempts: 1, rounds: 2, nkil: 4},
		{name: "a session outlives its kill once",
			srv:     &fakeServer{readOnly: writable, set: []error{nil}, kills: []killAnswer{{ids: []uint64{5, 7}}, {ids: []uint64{7}}}},
			retries: 10, attempts: 1, rounds: 3, nkil: 3},
		{name: "a session outlives every kill",
			srv:     &fakeServer{readOnly: writable, set: []error{nil}, kills: []killAnswer{{ids: []uint64{5}}, {ids: []uint64{5}}, {ids: []uint64{5}}}},
			retries: 2, wantErr: ErrClientsRemain, attempts: 1, rounds: 3, nkil: 3},
		{name: "a failed kill needs a round that finds nobody",
			srv:     &fakeServer{readOnly: writable, set: []error{nil}, kills: []killAnswer{{ids: []uint64{7}, err: errKill}, {ids: []uint64{9}}}},
			retries: 10, attempts: 1, rounds: 3, nkil: 2},
		{name: "kills keep failing",
			srv:     &fakeServer{readOnly: writable, set: []error{nil}, kills: []killAnswer{{err: errKill}, {err: errKill}}},
			retries: 1, wantErr: ErrClientsRemain, attempts: 1, rounds: 2},
		{name: "read_only blocked by a lock: kill, then it passes",
			srv:     &fakeServer{readOnly: writable, set: []error{errBlock, nil}, kills: []killAnswer{{ids: []uint64{3}}}},
			retries: 10, attempts: 2, rounds: 2, nkil: 1},
		{name: "read_only refused: one kill round anyway",
			srv:     &fakeServer{readOnly: writable, set: []error{errDenied}, kills: []killAnswer{{ids: []uint64{3, 4}}}},
			retries: 10, wantErr: dbctl.ErrAccessDenied, attempts: 1, rounds: 1, nkil: 2},
		{name: "unreachable: nothing attempted",
			srv:     &fakeServer{readOnly: []roAnswer{{err: errDown}}, set: []error{nil}},
			retries: 10, wantErr: ErrUnreachable},
		{name: "reopened during the fence",
			srv:     &fakeServer{readOnly: []roAnswer{{on: false}, {on: false}}, set: []error{nil}},
			retries: 10, wantErr: ErrReopened, attempts: 1, rounds: 1},
		{name: "final read fails",
			srv:     &fakeServer{readOnly: []roAnswer{{on: false}, {err: errDown}}, set: []error{nil}},
			retries: 10, wantErr: errDown, attempts: 1, rounds: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			clock := &fakeClock{now: time.Unix(0, 0)}
			res, err := Fence(ctx, tt.srv, Options{MaxKillRetries: tt.retries, ReadOnlyAttempt: 10 * time.Millisecond, Clock: clock})
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("Fence: %v", err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr) && !strings.Contains(fmt.Sprint(err), tt.wantErr.Error()):
				t.Fatalf("Fence: err %v, want %v", err, tt.wantErr)
			}
			if res.Verified != (err == nil) {
				t.Errorf("Verified = %v with err %v", res.Verified, err)
			}
			if res.WasReadOnly != tt.was {
				t.Errorf("WasReadOnly = %v, want %v", res.WasReadOnly, tt.was)
			}
			if res.ReadOnlyAttempts != tt.attempts || res.Rounds != tt.rounds {
				t.Errorf("attempts %d rounds %d, want %d and %d", res.ReadOnlyAttempts, res.Rounds, tt.attempts, tt.rounds)
			}
			if len(res.Killed) != tt.nkil {
				t.Errorf("killed %d, want %d", len(res.Killed), tt.nkil)
			}
			if tt.wantErr == ErrUnreachable && tt.srv.sets != 0 {
				t.Errorf("SetReadOnly called %d times on an unreachable server", tt.srv.sets)
			}
			if err != nil && strings.Contains(err.Error(), "app-lab") {
				t.Errorf("error carries a credential: %v", err)
			}
		})
	}
}

// TestFenceKillFirst: commits waiting for an acknowledgement hold
// read_only back until their clients are killed. KillFirst kills them
// before the first attempt, which then passes at once; without it the
// first attempt waits out ReadOnlyAttempt. A server already read-only
// gets no extra round.
func TestFenceKillFirst(t *testing.T) {
	writable := []roAnswer{{on: false}, {follow: true}}
	tests := []struct {
		name             string
		killFirst, was   bool
		attempts, rounds int
	}{
		{name: "kill first: one attempt", killFirst: true, attempts: 1, rounds: 2},
		{name: "read_only first: blocked once", attempts: 2, rounds: 2},
		{name: "kill first, already read-only: no extra round", killFirst: true, was: true, attempts: 1, rounds: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ro := writable
			if tt.was {
				ro = []roAnswer{{on: true}, {follow: true}}
			}
			srv := &fakeServer{readOnly: ro, set: []error{nil}, waiters: !tt.was}
			if !tt.was {
				srv.kills = []killAnswer{{ids: []uint64{5}}}
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := Fence(ctx, srv, Options{MaxKillRetries: 3, ReadOnlyAttempt: 10 * time.Millisecond,
				KillFirst: tt.killFirst, Clock: &fakeClock{now: time.Unix(0, 0)}})
			if err != nil {
				t.Fatalf("Fence: %v", err)
			}
			if res.ReadOnlyAttempts != tt.attempts || res.Rounds != tt.rounds {
				t.Errorf("attempts %d rounds %d, want %d and %d", res.ReadOnlyAttempts, res.Rounds, tt.attempts, tt.rounds)
			}
		})
	}
}

// errLost is what dbctl returns when another fence killed the
// connection under a statement.
var errLost = fmt.Errorf("dbctl: kill clients: check PROCESS privilege: %w", mysql.ErrInvalidConn)

// lostEvery is n kill rounds that each lose their connection after
// killing the other fence's latest session (ids from 100 on, all opened
// after read_only).
func lostEvery(n int) []killAnswer {
	out := make([]killAnswer, n)
	for i := range out {
		out[i] = killAnswer{ids: []uint64{100 + uint64(i)}, err: errLost}
	}
	return out
}

// TestFenceAnotherFence: mmm-notify and the coordinator fence the same
// server at once and kill each other's sessions. A statement that loses
// its connection is retried at once (no Interval pause, no extra kill
// round), within a budget of MaxKillRetries+1; only a real failure
// fails the fence.
func TestFenceAnotherFence(t *testing.T) {
	writable := []roAnswer{{on: false}, {follow: true}}
	tests := []struct {
		name             string
		srv              *fakeServer
		retries          int
		wantErr          error
		attempts, rounds int
		lost             int
		paused           time.Duration // fake time spent in Interval pauses
	}{
		{name: "first round loses its connection: redone at once",
			srv: &fakeServer{readOnly: writable, set: []error{nil},
				kills: []killAnswer{{ids: []uint64{5}, err: errLost}, {ids: []uint64{7, 101}}}},
			retries: 10, attempts: 1, rounds: 3, lost: 1},
		{name: "killed in the middle of a round: the KILLs after it fail on the closed connection",
			srv: &fakeServer{readOnly: writable, set: []error{nil},
				kills: []killAnswer{{ids: []uint64{5}, err: errors.Join(
					fmt.Errorf("dbctl: kill client 7 (app@198.18.0.30): %w", mysql.ErrInvalidConn),
					fmt.Errorf("dbctl: kill client 8 (app@198.18.0.30): %w", sql.ErrConnDone))},
					{ids: []uint64{7, 8}}}},
			retries: 10, attempts: 1, rounds: 3, lost: 1},
		{name: "every round for max_kill_retries+1 rounds (the switchover race)",
			srv:     &fakeServer{readOnly: writable, set: []error{nil}, kills: lostEvery(11)},
			retries: 10, attempts: 1, rounds: 12, lost: 11},
		{name: "a later round loses its connection: redone at once, not paced",
			srv: &fakeServer{readOnly: writable, set: []error{nil},
				kills: []killAnswer{{ids: []uint64{5}}, {ids: []uint64{5}}, {err: errLost}, {ids: []uint64{120}}}},
			retries: 10, attempts: 1, rounds: 4, lost: 1, paused: 100 * time.Millisecond},
		{name: "first read of read_only loses its connection: not unreachable",
			srv:     &fakeServer{readOnly: []roAnswer{{err: errLost}, {on: false}, {follow: true}}, set: []error{nil}},
			retries: 10, attempts: 1, rounds: 1, lost: 1},
		{name: "SET GLOBAL read_only loses its connection: set again, no kill round between",
			srv:     &fakeServer{readOnly: writable, set: []error{errLost, nil}},
			retries: 10, attempts: 2, rounds: 1, lost: 1},
		{name: "final read loses its connection: read again",
			srv:     &fakeServer{readOnly: []roAnswer{{on: false}, {err: errLost}, {follow: true}}, set: []error{nil}},
			retries: 10, attempts: 1, rounds: 1, lost: 1},
		{name: "budget spent: a lost round is a failed one again",
			srv:     &fakeServer{readOnly: writable, set: []error{nil}, kills: lostEvery(20)},
			retries: 1, wantErr: ErrClientsRemain, attempts: 1, rounds: 4, lost: 2, paused: 0},
		{name: "a refused KILL in a lost round is a failed kill",
			srv: &fakeServer{readOnly: writable, set: []error{nil},
				kills: []killAnswer{{ids: []uint64{5}, err: errors.Join(errLost, errKill)}, {ids: []uint64{6}}}},
			retries: 10, attempts: 1, rounds: 3, lost: 0, paused: 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			clock := &fakeClock{now: time.Unix(0, 0)}
			res, err := Fence(ctx, tt.srv, Options{MaxKillRetries: tt.retries, ReadOnlyAttempt: 10 * time.Millisecond, Clock: clock})
			t.Log(res)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("Fence: %v", err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("Fence: err %v, want %v", err, tt.wantErr)
			}
			if res.ReadOnlyAttempts != tt.attempts || res.Rounds != tt.rounds || res.Lost != tt.lost {
				t.Errorf("attempts %d rounds %d lost %d, want %d, %d and %d",
					res.ReadOnlyAttempts, res.Rounds, res.Lost, tt.attempts, tt.rounds, tt.lost)
			}
			if res.Took != tt.paused {
				t.Errorf("paused %v, want %v", res.Took, tt.paused)
			}
		})
	}
}

// TestFenceBlockedUntilDeadline: a read_only that never passes keeps
// killing between attempts and ends with the context.
func TestFenceBlockedUntilDeadline(t *testing.T) {
	srv := &fakeServer{readOnly: []roAnswer{{on: false}}, set: []error{errBlock}}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	res, err := Fence(ctx, srv, Options{MaxKillRetries: 10, ReadOnlyAttempt: 10 * time.Millisecond})
	if !errors.Is(err, ErrReadOnly) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want ErrReadOnly wrapping the deadline", err)
	}
	if res.ReadOnlyAttempts < 2 || res.Rounds != res.ReadOnlyAttempts-1 {
		t.Errorf("attempts %d rounds %d: want a kill round between attempts", res.ReadOnlyAttempts, res.Rounds)
	}
}

func TestOptionsInvalid(t *testing.T) {
	for _, o := range []Options{{MaxKillRetries: -1}, {ReadOnlyAttempt: -1}, {Interval: -1}} {
		if _, err := Fence(context.Background(), &fakeServer{}, o); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: err %v, want ErrInvalid", o, err)
		}
	}
}

func TestResultString(t *testing.T) {
	tests := []struct {
		r    Result
		want string
	}{
		{Result{ReadOnlyAttempts: 1, Rounds: 1, Verified: true, Took: 3 * time.Millisecond},
			"read_only=1 set (was 0), 1 attempt; no client to kill in 1 round; verified; 3ms"},
		{Result{WasReadOnly: true, ReadOnlyAttempts: 2, Rounds: 3, Took: time.Second, Killed: []dbctl.Client{
			{ID: 1, User: "app", Host: "198.18.0.30:4001"}, {ID: 2, User: "app", Host: "198.18.0.30:4002"},
			{ID: 3, User: "backup", Host: "localhost"}}},
			"read_only=1 set (was 1), 2 attempts; killed 3 clients (app@198.18.0.30 x2, backup@localhost x1) in 3 rounds; NOT verified; 1s"},
		{Result{ReadOnlyAttempts: 1, Rounds: 3, Lost: 2, Verified: true, Took: 4 * time.Millisecond},
			"read_only=1 set (was 0), 1 attempt; no client to kill in 3 rounds; 2 statements retried on a new connection (killed under it); verified; 4ms"},
	}
	for _, tt := range tests {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("got  %s\nwant %s", got, tt.want)
		}
	}
}
