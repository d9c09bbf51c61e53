package coordinator

import (
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// TestContactBookLapse: a peer that keeps answering never lapses; one
// that falls silent lapses once, after the threshold; reset counts every
// peer as heard from now; stop disarms.
func TestContactBookLapse(t *testing.T) {
	b := newContactBook(40 * time.Millisecond)
	lapsed := make(chan string, 8)
	b.setLapse(func(p string) { lapsed <- p })
	start := time.Now()
	b.reset([]string{"db1", "db2"})
	if got := b.lastContact("db1"); got.Before(start) {
		t.Fatalf("after reset db1 last contact %v, before the reset at %v", got, start)
	}
	// db1 answers every 10 ms for 150 ms; db2 stays silent.
	for end := time.Now().Add(150 * time.Millisecond); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		b.touch("db1")
	}
	select {
	case p := <-lapsed:
		if p != "db2" {
			t.Fatalf("lapsed %q, want db2", p)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("db2 never lapsed")
	}
	if since := time.Since(start); since < 40*time.Millisecond {
		t.Errorf("db2 lapsed %v after the reset, before the 40 ms threshold", since)
	}
	select {
	case p := <-lapsed:
		t.Fatalf("a second lapse (%q) without a new answer", p)
	default:
	}
	b.stop()
	if !b.lastContact("db1").IsZero() {
		t.Error("stop kept the contacts")
	}
	select {
	case p := <-lapsed:
		t.Fatalf("lapse %q after stop", p)
	case <-time.After(100 * time.Millisecond):
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
	book := newContactBook(time.Hour)
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
