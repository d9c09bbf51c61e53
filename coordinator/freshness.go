package coordinator

import "sync"

// freshness says whether this node's applied state may be acted on: its
// track file opened, its reader VIPs added.
//
// Contact with a leader (the lease) is not enough. A node cut off for a
// while, or restarted, holds a log that may lag far behind: the leader
// may have moved the writer role away from this very host meanwhile.
// Raft brings the log up to date only after contact resumes — it finds
// the entries the node lacks, sends them in batches, and truncates any
// the node kept from a deposed leader — and a heartbeat that renews the
// lease carries none of that. Acting on the old state in between
// reopened a demoted writer's track file for seconds.
//
// So a node whose lease lapsed (and every node at start) counts as stale
// until it has applied as far as the leader had when it answered one of
// this node's reports sent after the lapse: everything the leader had
// decided before then is applied here too, and from then on the node
// lags the leader only as any follower does.
type freshness struct {
	mu    sync.Mutex
	stale bool
	need  uint64 // the leader's applied index to reach; 0: none answered yet
}

func newFreshness() *freshness { return &freshness{stale: true} }

// lapse records that the lease ran out: the state is stale again.
func (f *freshness) lapse() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stale, f.need = true, 0
}

// answered records the leader's applied index from the answer to a
// report.
func (f *freshness) answered(leaderApplied uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stale {
		f.need = max(f.need, leaderApplied)
	}
}

// current reports whether the state is fresh with applied entries, and
// whether an answer from the leader is still wanted (a report should go
// out now).
func (f *freshness) current(applied uint64) (fresh, wantAnswer bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stale && f.need > 0 && applied >= f.need {
		f.stale = false
	}
	return !f.stale, f.stale && f.need == 0
}
