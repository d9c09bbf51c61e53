package coordinator

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// fakeTimerClock is a contactClock that moves only when advance moves it.
// Its timers fire inside advance, at their own deadlines, in order, on
// the caller's goroutine: a lapse is recorded when advance returns, and a
// slow machine changes nothing.
type fakeTimerClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c     *fakeTimerClock
	at    time.Time
	armed bool
	f     func()
}

func (c *fakeTimerClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeTimerClock) AfterFunc(d time.Duration, f func()) contactTimer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), armed: true, f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.armed
	t.at, t.armed = t.c.now.Add(d), true
	return was
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.armed
	t.armed = false
	return was
}

// advance moves the clock d ahead, firing on the way every timer that
// falls due, with the clock at the timer's deadline.
func (c *fakeTimerClock) advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	for {
		var next *fakeTimer
		for _, t := range c.timers {
			if t.armed && !t.at.After(end) && (next == nil || t.at.Before(next.at)) {
				next = t
			}
		}
		if next == nil {
			break
		}
		c.now, next.armed = next.at, false
		c.mu.Unlock()
		next.f() // unlocked: f may read the clock or reset its timer
		c.mu.Lock()
	}
	c.now = end
	c.mu.Unlock()
}

// TestContactBookLapse: a peer that keeps answering never lapses; one
// that falls silent lapses once, at the threshold, and again only after
// a new answer; reset counts every peer as heard from now; stop disarms.
// The book runs on a fake clock: the machine's load cannot move a lapse.
func TestContactBookLapse(t *testing.T) {
	const suspect = 40 * time.Millisecond
	clock := &fakeTimerClock{now: t0}
	b := newContactBook(suspect, clock)
	type lapse struct {
		peer string
		at   time.Duration // since the reset
	}
	var lapses []lapse // appended inside clock.advance, on this goroutine
	b.setLapse(func(p string) { lapses = append(lapses, lapse{p, clock.Now().Sub(t0)}) })
	b.reset([]string{"db1", "db2"})
	if got := b.lastContact("db1"); !got.Equal(t0) {
		t.Fatalf("after reset db1 last contact %v, want the reset at %v", got, t0)
	}
	// db1 answers every 10 ms for 150 ms; db2 stays silent.
	for range 15 {
		clock.advance(10 * time.Millisecond)
		b.touch("db1")
	}
	if want := []lapse{{"db2", suspect}}; !slices.Equal(lapses, want) {
		t.Fatalf("lapses %v over 150 ms, want %v: db2 once at the threshold, db1 never, no second lapse without a new answer", lapses, want)
	}
	// db2 answers once more, then falls silent again; db1 goes on.
	b.touch("db2")
	answered := clock.Now().Sub(t0)
	for range 3 {
		clock.advance(10 * time.Millisecond)
		b.touch("db1")
	}
	clock.advance(suspect - 30*time.Millisecond - time.Millisecond)
	if len(lapses) != 1 {
		t.Fatalf("lapses %v: db2 lapsed again before the threshold after its answer", lapses)
	}
	clock.advance(time.Millisecond)
	if want := (lapse{"db2", answered + suspect}); len(lapses) != 2 || lapses[1] != want {
		t.Fatalf("lapses %v, want a second one %v", lapses, want)
	}
	b.stop()
	if !b.lastContact("db1").IsZero() {
		t.Error("stop kept the contacts")
	}
	clock.advance(time.Hour)
	if len(lapses) != 2 {
		t.Fatalf("lapses %v after stop", lapses[2:])
	}
}

// TestContactBookAnswered: the contact a new term assumes for every peer
// is no answer: a peer has answered only once it touched the book in this
// term, and a new term starts that over.
func TestContactBookAnswered(t *testing.T) {
	b := newContactBook(time.Second, &fakeTimerClock{now: t0})
	b.reset([]string{"db1", "db2"})
	if b.answered("db1") || b.answered("db2") {
		t.Fatal("answered right after the reset")
	}
	b.touch("db1")
	if !b.answered("db1") || b.answered("db2") {
		t.Errorf("after db1's answer: db1 %v, db2 %v", b.answered("db1"), b.answered("db2"))
	}
	b.reset([]string{"db1", "db2"})
	if b.answered("db1") {
		t.Error("an answer of the last term counted in the new one")
	}
	b.stop()
}

// TestWallContactClock: the real clock's timers fire and stop.
func TestWallContactClock(t *testing.T) {
	fired := make(chan struct{})
	tm := wallContactClock{}.AfterFunc(time.Millisecond, func() { close(fired) })
	select {
	case <-fired:
	case <-time.After(10 * time.Second):
		t.Fatal("a 1 ms timer did not fire within 10 s")
	}
	if tm.Stop() {
		t.Error("Stop found a fired timer still armed")
	}
	idle := wallContactClock{}.AfterFunc(time.Hour, func() { t.Error("a stopped timer fired") })
	if !idle.Stop() {
		t.Error("Stop found an armed timer not armed")
	}
}

// TestContactTransport: a successful AppendEntries is a contact, a
// failed one is not; pre-vote and close reach the wrapped transport.
func TestContactTransport(t *testing.T) {
	_, a := raft.NewInmemTransport("a")
	addrB, b := raft.NewInmemTransport("b")
	a.Connect(addrB, b)
	go func() {
		for rpc := range b.Consumer() {
			rpc.Respond(&raft.AppendEntriesResponse{Success: true}, nil)
		}
	}()
	book := newContactBook(time.Hour, &fakeTimerClock{now: t0})
	ct := newContactTransport(a, book)
	var resp raft.AppendEntriesResponse
	if err := ct.AppendEntries("b", addrB, &raft.AppendEntriesRequest{}, &resp); err != nil {
		t.Fatalf("AppendEntries: %v", err)
	}
	if book.lastContact("b").IsZero() {
		t.Error("a successful AppendEntries was not recorded")
	}
	if err := ct.AppendEntries("c", "nowhere", &raft.AppendEntriesRequest{}, &resp); err == nil {
		t.Fatal("AppendEntries to an unknown peer succeeded")
	}
	if !book.lastContact("c").IsZero() {
		t.Error("a failed AppendEntries was recorded as a contact")
	}
	var _ raft.WithPreVote = ct
	if err := ct.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	book.stop()
	b.Close()
}

// TestLostAfter: the leader's bound outlasts the follower's own lease.
func TestLostAfter(t *testing.T) {
	for _, lease := range []time.Duration{time.Second, 2 * time.Second} {
		if got := lostAfter(lease); got <= lease {
			t.Errorf("lostAfter(%v) = %v, not beyond the lease", lease, got)
		}
	}
	if got := suspectAfter(500 * time.Millisecond); got != 200*time.Millisecond {
		t.Errorf("suspectAfter(500ms) = %v, want 4 heartbeat intervals (200ms)", got)
	}
}
