package coordinator

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/failover"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// semiObs is a reachable host's inspection with the given semisync
// reading: master side enabled, replica side enabled and active.
func semiObs(host, master string, m, r, rOn bool, timeout time.Duration) api.HostObs {
	ro := host != "db1"
	return api.HostObs{Host: host, Reachable: true, ReadOnly: &ro, Master: master, IORunning: "Yes",
		SemisyncMaster: &m, SemisyncReplica: &r, SemisyncReplicaOn: &rOn, SemisyncTimeout: timeout}
}

func TestSemisyncDrifts(t *testing.T) {
	const owned = 3 * time.Second
	online := func() fsm.State {
		return fsm.State{Started: true, Hosts: []fsm.HostStatus{
			{Name: "db1", State: fsm.StateOnline}, {Name: "db2", State: fsm.StateOnline}, {Name: "db3", State: fsm.StateOnline}}}
	}
	kept := func() map[string]api.HostObs {
		return map[string]api.HostObs{
			"db1": semiObs("db1", "db2", true, true, false, owned),
			"db2": semiObs("db2", "db1", false, true, true, 10*time.Second),
			"db3": semiObs("db3", "db1", false, true, true, 10*time.Second),
		}
	}
	for _, tc := range []struct {
		name  string
		state func(*fsm.State)
		obs   func(map[string]api.HostObs)
		want  []string // host:writer
	}{
		{name: "the layout kept: nothing"},
		{name: "seed my.cnf: master side on both masters",
			obs: func(o map[string]api.HostObs) {
				o["db2"] = semiObs("db2", "db1", true, true, true, 10*time.Second)
			},
			want: []string{"db2:false"}},
		{name: "writer's master side off",
			obs:  func(o map[string]api.HostObs) { o["db1"] = semiObs("db1", "db2", false, true, false, owned) },
			want: []string{"db1:true"}},
		{name: "writer's timeout from my.cnf",
			obs:  func(o map[string]api.HostObs) { o["db1"] = semiObs("db1", "db2", true, true, false, 10*time.Second) },
			want: []string{"db1:true"}},
		{name: "writer not ONLINE: promote sets it when it opens",
			state: func(s *fsm.State) { s.Host("db1").State = fsm.StateAdminOffline },
			obs:   func(o map[string]api.HostObs) { o["db1"] = semiObs("db1", "db2", false, true, false, owned) }},
		{name: "writer still read-only: promote sets it when it opens",
			obs: func(o map[string]api.HostObs) {
				x := semiObs("db1", "db2", false, true, false, owned)
				ro := true
				x.ReadOnly = &ro
				o["db1"] = x
			}},
		{name: "replica side off on the replica",
			obs:  func(o map[string]api.HostObs) { o["db3"] = semiObs("db3", "db1", false, false, false, 0) },
			want: []string{"db3:false"}},
		{name: "replica side on, not active, IO thread from the writer",
			obs:  func(o map[string]api.HostObs) { o["db3"] = semiObs("db3", "db1", false, true, false, 0) },
			want: []string{"db3:false"}},
		{name: "replica side not active, replicating from another host: left",
			obs: func(o map[string]api.HostObs) { o["db3"] = semiObs("db3", "db2", false, true, false, 0) }},
		{name: "replica side not active, IO thread not running: left",
			obs: func(o map[string]api.HostObs) {
				x := semiObs("db3", "db1", false, true, false, 0)
				x.IORunning = "Connecting"
				o["db3"] = x
			}},
		{name: "unreachable or no semisync reading: left",
			obs: func(o map[string]api.HostObs) {
				x := semiObs("db2", "db1", true, true, true, 0)
				x.Reachable = false
				o["db2"] = x
				o["db3"] = api.HostObs{Host: "db3", Reachable: true}
			}},
		{name: "HARD_OFFLINE: left to its rejoin (its last reading may predate the fault)",
			state: func(s *fsm.State) { s.Host("db2").State = fsm.StateHardOffline },
			obs:   func(o map[string]api.HostObs) { o["db2"] = semiObs("db2", "", true, true, false, 0) }},
		{name: "a non-writer out of service still gets the master side off",
			state: func(s *fsm.State) { s.Host("db2").State = fsm.StateAdminOffline },
			obs:   func(o map[string]api.HostObs) { o["db2"] = semiObs("db2", "", true, true, false, 0) },
			want:  []string{"db2:false"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, obs := online(), kept()
			if tc.state != nil {
				tc.state(&st)
			}
			if tc.obs != nil {
				tc.obs(obs)
			}
			var got []string
			for _, d := range semisyncDrifts(&st, "db1", []string{"db1", "db2", "db3"}, obs, owned) {
				got = append(got, fmt.Sprintf("%s:%v", d.Host, d.Writer))
				if d.Why == "" {
					t.Errorf("%s: no reason", d.Host)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("drifts %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSemisyncKeeperSettles: a host is fixed once, then left alone for
// semisyncSettle although the (older) reading still shows the drift; a
// server without semisync is not an error; nothing runs before startup.
func TestSemisyncKeeperSettles(t *testing.T) {
	now := time.Unix(1000, 0)
	m, r := true, true
	obs := map[string]api.HostObs{"db2": {Host: "db2", Reachable: true, SemisyncMaster: &m, SemisyncReplica: &r}}
	st := fsm.State{Started: false, Hosts: []fsm.HostStatus{{Name: "db1", State: fsm.StateOnline}, {Name: "db2", State: fsm.StateOnline}}}
	var fixed []string
	k := &semisyncKeeper{log: slog.New(slog.NewTextHandler(io.Discard, nil)), now: func() time.Time { return now },
		hosts: []string{"db1", "db2"}, obs: func() map[string]api.HostObs { return obs },
		view: func() (fsm.State, string) { return st, "db1" },
		fix: func(ctx context.Context, d semisyncDrift) (failover.Record, error) {
			fixed = append(fixed, d.Host)
			return failover.Record{}, dbctl.ErrNoSemisync
		}, last: map[string]time.Time{}}
	k.run(context.Background())
	if len(fixed) != 0 {
		t.Fatalf("before startup: fixed %q", fixed)
	}
	st.Started = true
	for _, step := range []struct {
		after time.Duration
		want  int
	}{{0, 1}, {semisyncEvery, 1}, {semisyncSettle - semisyncEvery, 2}} {
		now = now.Add(step.after)
		k.run(context.Background())
		if len(fixed) != step.want {
			t.Errorf("after %v more: %d fixes, want %d", step.after, len(fixed), step.want)
		}
	}
}
