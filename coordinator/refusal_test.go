package coordinator

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/failover"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// TestRefusedRejoinHoldsOnline: a host whose rejoin was refused for
// errant transactions is not set ONLINE, although its checks still pass
// (they see the stopped replication only after trap_period); the reply
// names the refusal. A repair that succeeds lifts it.
func TestRefusedRejoinHoldsOnline(t *testing.T) {
	f, _ := started(t)
	errant := &failover.ErrantError{Host: "db2", Writer: "db1", GTIDs: []string{"0-2-517"}}
	d := &dispatcher{replica: f.r}
	wa, err := encodeAction(fsm.Repoint{Host: "db2", Master: "db1"})
	if err != nil {
		t.Fatal(err)
	}
	p := PendingAction{Kind: KindRepoint, Action: wa}
	refused := d.refusal(p, outcome{ActionResult: ActionResult{Outcome: OutcomeFailed},
		action: fsm.Repoint{Host: "db2", Master: "db1"}, err: fmt.Errorf("%w: %w", ErrPermanent, errant)})
	if len(refused) != 1 {
		t.Fatalf("refusal inputs %v, want one for db2", refused)
	}
	f.apply(t0.Add(time.Second), refused, nil)
	r := f.apply(t0.Add(2*time.Second), []fsm.Input{fsm.Command{Op: fsm.OpSetOnline, Host: "db2"}}, nil)
	if r.Reply == nil || r.Reply.OK || !strings.Contains(r.Reply.Text, "0-2-517") {
		t.Fatalf("set_online after a refused rejoin: %+v, want ERROR naming 0-2-517", r.Reply)
	}

	repaired := d.refusal(p, outcome{ActionResult: ActionResult{Outcome: OutcomeOK}, action: fsm.Repoint{Host: "db2", Master: "db1"}})
	if len(repaired) != 1 {
		t.Fatalf("repair inputs %v, want db2's refusal lifted", repaired)
	}
	f.apply(t0.Add(3*time.Second), repaired, nil)
	if r := f.apply(t0.Add(4*time.Second), []fsm.Input{fsm.Command{Op: fsm.OpSetOnline, Host: "db2"}}, nil); r.Reply == nil || !r.Reply.OK {
		t.Fatalf("set_online after the repair: %+v", r.Reply)
	}
	if again := d.refusal(p, outcome{ActionResult: ActionResult{Outcome: OutcomeOK}, action: fsm.Repoint{Host: "db2", Master: "db1"}}); len(again) != 0 {
		t.Errorf("nothing refused: inputs %v, want none", again)
	}
}

// TestRepairClearsOnlyTheRepairedHost: a repair that succeeds lifts the
// refusal of the host it repaired, never that of its master (a host
// others replicate from has not been checked itself); when the ring is
// closed again, the repaired host is the writer's peer.
func TestRepairClearsOnlyTheRepairedHost(t *testing.T) {
	f, _ := started(t) // db1 writes
	f.apply(t0.Add(time.Second), []fsm.Input{fsm.Refusal{Host: "db2", Reason: "errant transactions: db2 has 0-2-9"}}, nil)
	d := &dispatcher{replica: f.r}
	ok := ActionResult{Outcome: OutcomeOK}
	if in := d.refusal(PendingAction{}, outcome{ActionResult: ok, action: fsm.Repoint{Host: "db3", Master: "db2"}}); len(in) != 0 {
		t.Errorf("db3 repointed to db2: %v lifts db2's refusal", in)
	}
	in := d.refusal(PendingAction{}, outcome{ActionResult: ok, action: fsm.StartReplication{Host: "db1", Master: "db2"}})
	if len(in) != 1 || in[0].(fsm.Refusal).Host != "db2" {
		t.Errorf("the writer's ring closed again: %v, want db2's refusal lifted", in)
	}
}
