package coordinator

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// Replica is the raft FSM: one fsm.Machine fed with the replicated
// inputs, plus what the coordinator itself keeps in the replicated state:
// the pending actions, the bounded history and the writer gates. Every
// coordinator holds one and applies the same entries in the same order,
// so all hold the same state; only the leader executes actions.
//
// Apply, Snapshot and Restore are called by raft (one at a time); the
// read methods may be called from any goroutine.
type Replica struct {
	spec        fsm.Spec
	historySize int
	hooks       Hooks

	mu      sync.RWMutex
	m       *fsm.Machine
	st      fsm.State // copy of m's state after the last apply
	pending []PendingAction
	history []api.HistoryEntry
	// gates holds the hosts whose writer eligibility an executed
	// OpenWriter opened. A gate closes when a CloseWriter ran or as soon
	// as the state machine gives the writer role to another host.
	gates   map[string]bool
	applied uint64
	changed chan struct{} // closed and replaced after every apply
}

// Hooks are called after an entry was applied, outside the replica's
// lock, from raft's FSM goroutine: they must not block. Index is the
// entry's raft index (so that a caller can tell replayed entries).
type Hooks struct {
	Event  func(index uint64, at time.Time, ev fsm.Event)
	Result func(index uint64, p PendingAction, r ActionResult)
	Writer func(index uint64, from, to string)
}

var _ raft.FSM = (*Replica)(nil)

// NewReplica returns a replica with a fresh state machine.
func NewReplica(spec fsm.Spec, historySize int, hooks Hooks) (*Replica, error) {
	m, err := fsm.New(spec)
	if err != nil {
		return nil, fmt.Errorf("coordinator: %w", err)
	}
	if historySize < 1 {
		historySize = 1
	}
	r := &Replica{spec: spec, historySize: historySize, hooks: hooks, m: m,
		gates: map[string]bool{}, changed: make(chan struct{})}
	r.st = m.State()
	return r, nil
}

// applyResult is what Apply returns through raft's ApplyFuture.
type applyResult struct {
	Reply *fsm.Reply // the last command's reply, if the entry held one
	Err   error
}

// after collects what an apply calls the hooks with.
type after struct {
	events  []fsm.Event
	results []struct {
		p PendingAction
		r ActionResult
	}
	from, to string
}

// Apply applies one committed entry: first the results of executed
// actions, then the inputs in order, each one fsm.Step at the entry's
// (leader's) time.
func (r *Replica) Apply(l *raft.Log) any {
	e, err := decodeEntry(l.Data)
	if err != nil {
		r.mu.Lock()
		r.applied = l.Index
		r.broadcast()
		r.mu.Unlock()
		return applyResult{Err: err}
	}
	var res applyResult
	var a after
	r.mu.Lock()
	a.from = r.writerLocked()
	for _, ar := range e.Results {
		r.applyResult(l.Index, e.Time, ar, &a)
	}
	for i, w := range e.Inputs {
		in, err := w.decode()
		if err != nil {
			res.Err = err
			continue
		}
		out := r.m.Step(e.Time, in)
		for _, ev := range out.Events {
			r.record(api.HistoryEntry{Index: l.Index, Time: e.Time, Kind: "event", Host: r.eventHost(ev.Text), Text: ev.String()})
		}
		a.events = append(a.events, out.Events...)
		if cmd, ok := in.(fsm.Command); ok && out.Reply != nil {
			res.Reply = out.Reply
			outcome := "ok"
			if !out.Reply.OK {
				outcome = "failed"
			}
			r.record(api.HistoryEntry{Index: l.Index, Time: e.Time, Kind: "command", Host: cmd.Host,
				Text: cmd.String() + ": " + out.Reply.Text, Outcome: outcome})
		}
		for j, act := range out.Actions {
			wa, err := encodeAction(act)
			if err != nil {
				res.Err = err
				continue
			}
			r.pending = append(r.pending, PendingAction{ID: ActionID{l.Index, i, j}, Action: wa,
				Kind: wa.Kind, Host: act.Subject(), Text: act.String(), Emitted: e.Time})
		}
	}
	r.st = r.m.State()
	r.closeGates()
	a.to = r.writerLocked()
	r.applied = l.Index
	r.broadcast()
	r.mu.Unlock()
	r.callHooks(l.Index, e.Time, &a)
	return res
}

// applyResult settles one pending action.
func (r *Replica) applyResult(index uint64, at time.Time, ar ActionResult, a *after) {
	i := slices.IndexFunc(r.pending, func(p PendingAction) bool { return p.ID == ar.ID })
	if i < 0 {
		return // already settled: a result of a former leader, or a duplicate
	}
	p := r.pending[i]
	r.record(actionHistory(index, at, p, ar))
	a.results = append(a.results, struct {
		p PendingAction
		r ActionResult
	}{p, ar})
	if !ar.Outcome.final() {
		r.pending[i].Attempts = ar.Attempt
		r.pending[i].NotBefore = ar.RetryAt
		return
	}
	r.pending = slices.Delete(r.pending, i, i+1)
	switch {
	case ar.Outcome == OutcomeOK && p.Kind == KindOpenWriter:
		r.gates[p.Host] = true
	case ar.Outcome == OutcomeOK && p.Kind == KindCloseWriter:
		delete(r.gates, p.Host)
	case ar.Outcome == OutcomeFailed && (p.Kind == KindCatchUp || p.Kind == KindPromote):
		// The ordering contract of fsm.Action: no OpenWriter after a
		// failed catch-up or promotion of the same handover.
		r.pending = slices.DeleteFunc(r.pending, func(q PendingAction) bool {
			if q.Kind != KindOpenWriter || !q.ID.sameBatch(p.ID) || q.Host != p.Host {
				return false
			}
			c := ActionResult{ID: q.ID, Outcome: OutcomeCancelled, Error: "after failed " + p.Text}
			r.record(actionHistory(index, at, q, c))
			a.results = append(a.results, struct {
				p PendingAction
				r ActionResult
			}{q, c})
			return true
		})
	}
}

func actionHistory(index uint64, at time.Time, p PendingAction, ar ActionResult) api.HistoryEntry {
	return api.HistoryEntry{Index: index, Time: at, Kind: "action", Host: p.Host, Text: p.Text,
		Outcome: ar.Outcome.String(), Duration: ar.Duration, Error: ar.Error}
}

// closeGates closes every gate of a host the state machine does not make
// the writer: closing is always safe, and it must not wait for the
// CloseWriter action to be executed.
func (r *Replica) closeGates() {
	owner := r.owner()
	for h := range r.gates {
		if h != owner {
			delete(r.gates, h)
		}
	}
}

func (r *Replica) owner() string {
	if r.spec.ActiveMasterRole == "" {
		return ""
	}
	return r.st.Owner(r.spec.ActiveMasterRole)
}

// writerLocked is the host whose writer eligibility the committed state
// opens, or "".
func (r *Replica) writerLocked() string {
	if o := r.owner(); o != "" && r.gates[o] {
		return o
	}
	return ""
}

// record appends to the bounded history.
func (r *Replica) record(h api.HistoryEntry) {
	r.history = append(r.history, h)
	if n := len(r.history) - r.historySize; n > 0 {
		r.history = slices.Delete(r.history, 0, n)
	}
}

// eventHost finds the host an MMM log line is about: the first quoted
// word that names a configured host.
func (r *Replica) eventHost(text string) string {
	for rest := text; ; {
		_, after, ok := strings.Cut(rest, "'")
		if !ok {
			return ""
		}
		word, tail, ok := strings.Cut(after, "'")
		if !ok {
			return ""
		}
		for _, h := range r.spec.Hosts {
			if h.Name == word {
				return word
			}
		}
		rest = tail
	}
}

func (r *Replica) broadcast() {
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *Replica) callHooks(index uint64, at time.Time, a *after) {
	if r.hooks.Event != nil {
		for _, ev := range a.events {
			r.hooks.Event(index, at, ev)
		}
	}
	if r.hooks.Result != nil {
		for _, x := range a.results {
			r.hooks.Result(index, x.p, x.r)
		}
	}
	if r.hooks.Writer != nil && a.from != a.to {
		r.hooks.Writer(index, a.from, a.to)
	}
}
