package coordinator

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/hashicorp/raft"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// View is a consistent copy of the replicated state at one raft index.
type View struct {
	Applied uint64
	State   fsm.State
	Pending []PendingAction
	// Writer is the host the committed state makes eligible for the
	// writer VIP: the writer role's owner, once an OpenWriter ran for it.
	Writer string
}

// View returns a copy of the replicated state.
func (r *Replica) View() View {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return View{Applied: r.applied, State: r.st.Clone(), Pending: slices.Clone(r.pending), Writer: r.writerLocked()}
}

// Spec returns a copy of the replica's spec.
func (r *Replica) Spec() fsm.Spec {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.m.Spec()
}

// Pending returns a copy of the pending actions, in execution order.
func (r *Replica) Pending() []PendingAction {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.pending)
}

// Owner returns the writer role's owner in the committed state, or "".
func (r *Replica) Owner() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.owner()
}

// Started reports whether the state machine ran its startup.
func (r *Replica) Started() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.st.Started
}

// Writer returns View().Writer without copying the state.
func (r *Replica) Writer() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.writerLocked()
}

// Applied returns the raft index of the last applied entry.
func (r *Replica) Applied() uint64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.applied
}

// Changed returns a channel closed at the next apply.
func (r *Replica) Changed() <-chan struct{} {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.changed
}

// History returns the newest limit entries (0 = all), oldest first.
func (r *Replica) History(limit int) []api.HistoryEntry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	h := r.history
	if limit > 0 && len(h) > limit {
		h = h[len(h)-limit:]
	}
	return slices.Clone(h)
}

// snapshotData is the replica's snapshot format.
type snapshotData struct {
	V       int
	State   json.RawMessage    // fsm.Machine.Marshal
	Pending []PendingAction    `json:",omitempty"`
	History []api.HistoryEntry `json:",omitempty"`
	Gates   []string           `json:",omitempty"` // sorted
	Applied uint64
}

// Snapshot captures the state for raft's log compaction.
func (r *Replica) Snapshot() (raft.FSMSnapshot, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	st, err := r.m.Marshal()
	if err != nil {
		return nil, fmt.Errorf("coordinator: snapshot: %w", err)
	}
	gates := slices.Sorted(maps.Keys(r.gates))
	b, err := json.Marshal(snapshotData{V: entryVersion, State: st, Pending: r.pending, History: r.history,
		Gates: gates, Applied: r.applied})
	if err != nil {
		return nil, fmt.Errorf("coordinator: snapshot: %w", err)
	}
	return snapshot(b), nil
}

// Restore replaces the state with a snapshot's.
func (r *Replica) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	var d snapshotData
	if err := json.NewDecoder(rc).Decode(&d); err != nil {
		return fmt.Errorf("%w: snapshot: %v", ErrEncoding, err)
	}
	if d.V != entryVersion {
		return fmt.Errorf("%w: snapshot version %d, this build reads %d", ErrEncoding, d.V, entryVersion)
	}
	m, err := fsm.Restore(r.spec, d.State)
	if err != nil {
		return fmt.Errorf("coordinator: restore: %w", err)
	}
	gates := map[string]bool{}
	for _, h := range d.Gates {
		gates[h] = true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m, r.st, r.pending, r.gates, r.applied = m, m.State(), d.Pending, gates, d.Applied
	r.history = d.History
	if n := len(r.history) - r.historySize; n > 0 {
		r.history = slices.Delete(r.history, 0, n)
	}
	r.closeGates()
	r.broadcast()
	return nil
}

// snapshot is a serialised replica state.
type snapshot []byte

func (s snapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := sink.Write(s); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("coordinator: persist snapshot: %w", err)
	}
	return sink.Close()
}

func (s snapshot) Release() {}
