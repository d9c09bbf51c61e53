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
