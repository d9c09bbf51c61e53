package coordinator

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// TestHostLostBeforeTrap: a host whose coordinator falls silent and whose
// checks fail is HARD_OFFLINE once the silence reaches lostAfter(lease),
// long before trap_period (here 30 s) would report it, and its roles
// move. The decision must not come before lostAfter: a live coordinator
// closes its track file only at the lease.
func TestHostLostBeforeTrap(t *testing.T) {
	tc := newTestClusterWith(t, nil, func(c *config.Config) {
		for _, ch := range c.Checks {
			ch.TrapPeriod = 30 * time.Second
		}
	})
	l := tc.leader()
	setOnline(t, l, "db3")
	victim := "db3"
	if l.Host() == victim {
		victim = "db2"
		setOnline(t, l, "db2")
	}
	eventually(t, 10*time.Second, victim+" holds a reader role", func() bool {
		v := l.Replica().View()
		return len(v.State.HostRoles(victim)) > 0
	})
	tc.world.setDown(victim, true)
	tc.kill(victim)
	killed := time.Now()
	// The silence is measured on the clocks the decision uses: from the
	// leader's record of the victim's last answer (final: the victim's
	// raft is down; a leader elected later counts from its own term's
	// start, later still) to the leader's time in the entry that decided.
	// The wall time since the kill would include the kill's own length,
	// which a loaded machine stretches.
	var last time.Time
	eventually(t, 10*time.Second, "the leader's record of "+victim+"'s last answer", func() bool {
		last = tc.leader().node.peerSilentSince(victim)
		return !last.IsZero()
	})
	eventually(t, 10*time.Second, victim+" HARD_OFFLINE", func() bool { return hostState(l, victim) == fsm.StateHardOffline })
	hist, _ := l.History(context.Background(), 0)
	lost, ok := historyEntry(hist, "host lost (trap_period skipped)")
	if !ok {
		t.Fatalf("the history does not say the host was lost")
	}
	silent := lost.Time.Sub(last)
	t.Logf("%s HARD_OFFLINE %v after its last answer, seen %v after its coordinator stopped (lease %v, lostAfter %v)", victim,
		silent, time.Since(killed), tc.cfg.Coordinator.Lease, lostAfter(tc.cfg.Coordinator.Lease))
	if silent < lostAfter(tc.cfg.Coordinator.Lease) {
		t.Errorf("decided %v after the last answer, before the silent coordinator's lease could have run out", silent)
	}
	v := l.Replica().View()
	if roles := v.State.HostRoles(victim); len(roles) > 0 {
		t.Errorf("%s still holds %v", victim, roles)
	}
}

// historyEntry returns the first entry of h whose text contains text.
func historyEntry(h []api.HistoryEntry, text string) (api.HistoryEntry, bool) {
	for _, e := range h {
		if strings.Contains(e.Text, text) {
			return e, true
		}
	}
	return api.HistoryEntry{}, false
}

func historyContains(h []api.HistoryEntry, text string) bool {
	_, ok := historyEntry(h, text)
	return ok
}
