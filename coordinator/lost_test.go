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
	eventually(t, 10*time.Second, victim+" HARD_OFFLINE", func() bool { return hostState(l, victim) == fsm.StateHardOffline })
	took := time.Since(killed)
	t.Logf("%s HARD_OFFLINE %v after its coordinator stopped (lease %v, lostAfter %v)", victim, took,
		tc.cfg.Coordinator.Lease, lostAfter(tc.cfg.Coordinator.Lease))
	if took < lostAfter(tc.cfg.Coordinator.Lease)-100*time.Millisecond {
		t.Errorf("decided after %v, before the silent coordinator's lease could have run out", took)
	}
	hist, _ := l.History(context.Background(), 0)
	if !historyContains(hist, "host lost (trap_period skipped)") {
		t.Errorf("the history does not say the host was lost")
	}
	v := l.Replica().View()
	if roles := v.State.HostRoles(victim); len(roles) > 0 {
		t.Errorf("%s still holds %v", victim, roles)
	}
}

func historyContains(h []api.HistoryEntry, text string) bool {
	for _, e := range h {
		if strings.Contains(e.Text, text) {
			return true
		}
	}
	return false
}
