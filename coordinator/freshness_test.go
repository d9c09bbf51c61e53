package coordinator

import "testing"

// TestFreshness: a node is stale at start and after every lapse of its
// lease, until it has applied as far as the leader had when it answered
// a report sent after that; an answer given before the lapse does not
// count.
func TestFreshness(t *testing.T) {
	f := newFreshness()
	if fresh, ask := f.current(100); fresh || !ask {
		t.Fatalf("at start: fresh %v, ask %v; want stale, asking", fresh, ask)
	}
	f.answered(120)
	if fresh, ask := f.current(110); fresh || ask {
		t.Errorf("applied 110 of the leader's 120: fresh %v, ask %v", fresh, ask)
	}
	if fresh, _ := f.current(120); !fresh {
		t.Error("applied as far as the leader: still stale")
	}
	f.answered(500) // a fresh node's answers change nothing
	if fresh, _ := f.current(121); !fresh {
		t.Error("fresh node went stale without a lapse")
	}
	f.lapse()
	if fresh, ask := f.current(130); fresh || !ask {
		t.Errorf("after a lapse: fresh %v, ask %v", fresh, ask)
	}
	f.answered(200)
	if fresh, _ := f.current(199); fresh {
		t.Error("one entry short of the leader: fresh")
	}
	if fresh, _ := f.current(200); !fresh {
		t.Error("caught up after the lapse: stale")
	}
}
