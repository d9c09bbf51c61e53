package coordinator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// feeder applies entries to a replica with increasing raft indexes.
type feeder struct {
	t     *testing.T
	r     *Replica
	index uint64
}

func (f *feeder) apply(at time.Time, in []fsm.Input, res []ActionResult) applyResult {
	f.t.Helper()
	data, err := newEntry(at, in, res)
	if err != nil {
		f.t.Fatal(err)
	}
	f.index++
	out, _ := f.r.Apply(&raft.Log{Index: f.index, Type: raft.LogCommand, Data: data}).(applyResult)
	if out.Err != nil {
		f.t.Fatalf("apply %d: %v", f.index, out.Err)
	}
	return out
}

func newFeeder(t *testing.T) *feeder {
	t.Helper()
	r, err := NewReplica(fsm.SpecFromConfig(testConfig(t, t.TempDir())), 20, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	return &feeder{t: t, r: r}
}

// healthyRound is every check OK on every host, db1 writable, the
// others replicating from db1.
func healthyRound() []fsm.Input {
	var in []fsm.Input
	for _, h := range []string{"db1", "db2", "db3"} {
		for _, c := range fsm.AllChecks {
			in = append(in, fsm.Probe{Host: h, Check: c, Result: fsm.ResultOK, Message: "OK"})
		}
		master := "db1"
		if h == "db1" {
			master = "db2"
		}
		in = append(in, fsm.Writable{Host: h, Writable: h == "db1"}, fsm.Follows{Host: h, Master: master})
	}
	return in
}

// started returns a replica whose state machine has started with db1 as
// the writer, and the pending actions of the startup.
func started(t *testing.T) (*feeder, []PendingAction) {
	f := newFeeder(t)
	f.apply(t0, append(healthyRound(), fsm.Start{}), nil)
	p := f.r.Pending()
	if len(p) == 0 || f.r.Owner() != "db1" {
		t.Fatalf("startup: owner %q, pending %v", f.r.Owner(), p)
	}
	return f, p
}

func find(p []PendingAction, kind string) PendingAction {
	for _, a := range p {
		if a.Kind == kind {
			return a
		}
	}
	return PendingAction{}
}

func TestReplicaResults(t *testing.T) {
	tests := []struct {
		name        string
		kind        string
		outcome     Outcome
		wantPending bool   // the action is still pending
		wantGone    string // another kind that must be gone too
		wantWriter  string
	}{
		{"open-writer ok opens the gate", KindOpenWriter, OutcomeOK, false, "", "db1"},
		{"open-writer retrying keeps it", KindOpenWriter, OutcomeRetrying, true, "", ""},
		{"promote skipped: no executor, on to the next", KindPromote, OutcomeSkipped, false, "", ""},
		{"promote failed cancels the open-writer", KindPromote, OutcomeFailed, false, KindOpenWriter, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, p := started(t)
			a := find(p, tt.kind)
			res := ActionResult{ID: a.ID, Outcome: tt.outcome, Attempt: 1, Duration: time.Millisecond}
			if tt.outcome == OutcomeRetrying {
				res.RetryAt = t0.Add(time.Second)
			}
			f.apply(t0.Add(time.Millisecond), nil, []ActionResult{res})
			after := f.r.Pending()
			got := find(after, tt.kind)
			if (got.ID == a.ID) != tt.wantPending {
				t.Errorf("pending after %s: %v", tt.outcome, after)
			}
			if tt.wantPending && (got.Attempts != 1 || !got.NotBefore.Equal(t0.Add(time.Second))) {
				t.Errorf("retry not recorded: %+v", got)
			}
			if tt.wantGone != "" && find(after, tt.wantGone).Kind != "" {
				t.Errorf("%s still pending after a failed %s", tt.wantGone, tt.kind)
			}
			if w := f.r.Writer(); w != tt.wantWriter {
				t.Errorf("writer %q, want %q", w, tt.wantWriter)
			}
			h := f.r.History(0)
			last := h[len(h)-1]
			if last.Kind != "action" || last.Outcome == "" {
				t.Errorf("last history entry %+v", last)
			}
		})
	}
}

// TestReplicaGateClosesWithTheRole: the gate closes when the writer role
// leaves the host, before any CloseWriter runs.
func TestReplicaGateClosesWithTheRole(t *testing.T) {
	f, p := started(t)
	f.apply(t0.Add(time.Millisecond), nil, []ActionResult{{ID: find(p, KindOpenWriter).ID, Outcome: OutcomeOK, Attempt: 1}})
	if f.r.Writer() != "db1" {
		t.Fatalf("writer %q", f.r.Writer())
	}
	f.apply(t0.Add(time.Second), []fsm.Input{fsm.Command{Op: fsm.OpSetOnline, Host: "db2"}}, nil)
	if r := f.apply(t0.Add(2*time.Second), []fsm.Input{fsm.Command{Op: fsm.OpMoveRole, Role: "writer", Host: "db2"}}, nil); r.Reply == nil || !r.Reply.OK {
		t.Fatalf("move_role: %+v", r.Reply)
	}
	if w := f.r.Writer(); w != "" {
		t.Errorf("writer %q after move_role, want none until db2's open-writer ran", w)
	}
}

func TestReplicaHistoryBounded(t *testing.T) {
	f := newFeeder(t)
	for i := 0; i < 30; i++ {
		f.apply(t0.Add(time.Duration(i)*time.Second), []fsm.Input{fsm.Command{Op: fsm.OpMode}}, nil)
	}
	h := f.r.History(0)
	if len(h) != f.r.historySize {
		t.Fatalf("history holds %d, want %d", len(h), f.r.historySize)
	}
	if h[len(h)-1].Index != f.index || h[0].Index != f.index-uint64(f.r.historySize)+1 {
		t.Errorf("history keeps %d..%d, want the newest", h[0].Index, h[len(h)-1].Index)
	}
	if got := f.r.History(3); len(got) != 3 || got[2] != h[len(h)-1] {
		t.Errorf("History(3) = %+v", got)
	}
}

// TestSnapshotRoundTrip: a restored replica equals the original and
// decides the same on the next entry.
func TestSnapshotRoundTrip(t *testing.T) {
	a, p := started(t)
	a.apply(t0.Add(time.Millisecond), []fsm.Input{fsm.Command{Op: fsm.OpSetOnline, Host: "db3"}},
		[]ActionResult{{ID: find(p, KindOpenWriter).ID, Outcome: OutcomeOK, Attempt: 1}})
	snap, err := a.r.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	if err := snap.Persist(sink); err != nil {
		t.Fatal(err)
	}
	b := newFeeder(t)
	if err := b.r.Restore(io.NopCloser(bytes.NewReader(sink.Bytes()))); err != nil {
		t.Fatal(err)
	}
	b.index = a.index
	equal := func(when string) {
		t.Helper()
		va, vb := a.r.View(), b.r.View()
		ja, _ := json.Marshal(va)
		jb, _ := json.Marshal(vb)
		if !bytes.Equal(ja, jb) {
			t.Errorf("%s: views differ:\n%s\n%s", when, ja, jb)
		}
		if !reflect.DeepEqual(a.r.History(0), b.r.History(0)) {
			t.Errorf("%s: histories differ", when)
		}
	}
	equal("after restore")
	next := []fsm.Input{fsm.Probe{Host: "db2", Check: fsm.CheckPing, Result: fsm.ResultFailed, Message: "ERROR: Could not ping"}}
	a.apply(t0.Add(time.Hour), next, nil)
	b.apply(t0.Add(time.Hour), next, nil)
	equal("after the next entry")
}

type memSink struct{ bytes.Buffer }

func (s *memSink) ID() string    { return "mem" }
func (s *memSink) Cancel() error { return nil }
func (s *memSink) Close() error  { return nil }

// TestWireRoundTrip: every input and action kind survives the log.
func TestWireRoundTrip(t *testing.T) {
	pos := fsm.Position{"0": 7}
	ips := []netip.Addr{netip.MustParseAddr("192.0.2.1")}
	inputs := []fsm.Input{
		fsm.Probe{Host: "db1", Check: fsm.CheckRepBacklog, Result: fsm.ResultUnknown, Message: "UNKNOWN: x"},
		fsm.Evidence{Host: "db1", Kind: fsm.EvidenceSocketRefused, Observed: t0, Detail: "d"},
		fsm.Reachability{Host: "db1", Reachable: true}, fsm.Uptime{Host: "db1", Seconds: 1.5},
		fsm.Follows{Host: "db1", Master: "db2"}, fsm.VRRP{Host: "db1", State: fsm.VRRPFault},
		fsm.Writable{Host: "db1", Writable: true}, fsm.VIPs{Host: "db1", IPs: ips}, fsm.GTID{Host: "db1", Position: pos},
		fsm.Tick{}, fsm.Start{}, fsm.Command{Op: fsm.OpMoveRole, Role: "writer", Host: "db2", Force: true},
	}
	for _, in := range inputs {
		w, err := encodeInput(in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := w.decode()
		if err != nil || !reflect.DeepEqual(got, in) {
			t.Errorf("%T: got %#v, %v", in, got, err)
		}
	}
	actions := []fsm.Action{
		fsm.CloseWriter{Host: "db1"}, fsm.Fence{Host: "db1"}, fsm.KillHost{Host: "db1", Ping: true},
		fsm.SetReaderVIPs{Host: "db1", IPs: ips}, fsm.CatchUp{Host: "db2", Previous: "db1", Target: pos, Sources: []string{"db3"}},
		fsm.Promote{Host: "db2", Previous: "db1"}, fsm.OpenWriter{Host: "db2"}, fsm.Repoint{Host: "db3", Master: "db2"},
		fsm.StartReplication{Host: "db3", Master: "db2"}, fsm.StopReplication{Host: "db3"},
	}
	for _, a := range actions {
		w, err := encodeAction(a)
		if err != nil {
			t.Fatal(err)
		}
		got, err := w.decode()
		if err != nil || !reflect.DeepEqual(got, a) {
			t.Errorf("%T: got %#v, %v", a, got, err)
		}
	}
	if _, err := (wireInput{Kind: "nonsense"}).decode(); err == nil {
		t.Error("an unknown kind decoded")
	}
	if _, err := decodeEntry([]byte(`{"v":99}`)); err == nil {
		t.Error("an entry of another version decoded")
	}
}
