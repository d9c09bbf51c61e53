package coordinator

import (
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// contactBook is the leader's record of when each follower last answered
// an AppendEntries (raft's heartbeats come every HeartbeatTimeout/10).
// hashicorp/raft keeps the same per follower but does not export it, and
// its FailedHeartbeatObservation comes only when an RPC times out (the
// transport's 2 s): far too late for the lease arithmetic of a host
// death, where every 100 ms counts. The book also arms one timer per
// peer, pushed back by every answer, that fires only when a peer has
// been silent for `suspect`: a healthy cluster costs no wake-up.
type contactBook struct {
	mu      sync.Mutex
	clock   contactClock
	last    map[string]time.Time
	heard   map[string]bool // answered in this term (not only assumed at reset)
	timers  map[string]contactTimer
	suspect time.Duration
	onLapse func(peer string) // called from the timer's goroutine
}

// contactClock is the time the contact book runs on: wallContactClock,
// or a fake one that a test moves by hand.
type contactClock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine once d has passed.
	AfterFunc(d time.Duration, f func()) contactTimer
}

// contactTimer is what the book does with a timer of its clock.
type contactTimer interface {
	Reset(d time.Duration) bool
	Stop() bool
}

// wallContactClock is the real clock: time.Now and time.AfterFunc.
type wallContactClock struct{}

func (wallContactClock) Now() time.Time { return time.Now() }

func (wallContactClock) AfterFunc(d time.Duration, f func()) contactTimer {
	return time.AfterFunc(d, f)
}

// newContactBook returns a book whose peers lapse after suspect on clock.
func newContactBook(suspect time.Duration, clock contactClock) *contactBook {
	return &contactBook{clock: clock, last: map[string]time.Time{}, heard: map[string]bool{},
		timers: map[string]contactTimer{}, suspect: suspect}
}

// setLapse sets the function called when a peer has been silent for the
// suspicion threshold (nil: none).
func (b *contactBook) setLapse(f func(peer string)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.onLapse = f
}

// touch records an answer of peer now.
func (b *contactBook) touch(peer string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.last[peer] = b.clock.Now()
	b.heard[peer] = true
	b.armLocked(peer)
}

func (b *contactBook) armLocked(peer string) {
	if t, ok := b.timers[peer]; ok {
		t.Reset(b.suspect)
		return
	}
	b.timers[peer] = b.clock.AfterFunc(b.suspect, func() {
		b.mu.Lock()
		f := b.onLapse
		b.mu.Unlock()
		if f != nil {
			f(peer)
		}
	})
}

// reset starts a leadership term: every peer counts as heard from now.
// A new leader cannot know when a silent peer last heard from the old
// one, only that it was before this term began, so its lease is measured
// from here — later than the truth, which is the safe side.
func (b *contactBook) reset(peers []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock.Now()
	clear(b.last)
	clear(b.heard)
	for _, p := range peers {
		b.last[p] = now
		b.armLocked(p)
	}
}

// stop disarms every timer (leadership lost, shutdown).
func (b *contactBook) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for p, t := range b.timers {
		t.Stop()
		delete(b.timers, p)
	}
	clear(b.last)
	clear(b.heard)
}

// answered reports whether peer has answered in this term. The contact
// reset assumes at the start of a term counts for a lease, which is the
// safe side, but it is no news that a silent peer is back.
func (b *contactBook) answered(peer string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.heard[peer]
}

// lastContact returns when peer last answered (zero: never this term).
func (b *contactBook) lastContact(peer string) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last[peer]
}

// contactTransport is raft's transport with every successful
// AppendEntries (the heartbeats among them) recorded in a contactBook.
// It forwards the optional interfaces raft looks for (pre-vote, close).
type contactTransport struct {
	raft.Transport
	pv    raft.WithPreVote
	book  *contactBook
	close func() error
}

// tracedTransport is what contactTransport needs of the transport it
// wraps: raft's NetworkTransport and InmemTransport both qualify.
type tracedTransport interface {
	raft.Transport
	raft.WithPreVote
}

func newContactTransport(t tracedTransport, book *contactBook) *contactTransport {
	ct := &contactTransport{Transport: t, pv: t, book: book, close: func() error { return nil }}
	if c, ok := t.(raft.WithClose); ok {
		ct.close = c.Close
	}
	return ct
}

func (t *contactTransport) AppendEntries(id raft.ServerID, target raft.ServerAddress, args *raft.AppendEntriesRequest, resp *raft.AppendEntriesResponse) error {
	err := t.Transport.AppendEntries(id, target, args, resp)
	if err == nil {
		t.book.touch(string(id))
	}
	return err
}

func (t *contactTransport) RequestPreVote(id raft.ServerID, target raft.ServerAddress, args *raft.RequestPreVoteRequest, resp *raft.RequestPreVoteResponse) error {
	return t.pv.RequestPreVote(id, target, args, resp)
}

func (t *contactTransport) Close() error { return t.close() }

var (
	_ raft.WithPreVote = (*contactTransport)(nil)
	_ raft.WithClose   = (*contactTransport)(nil)
)
