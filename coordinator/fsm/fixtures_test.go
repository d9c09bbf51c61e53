package fsm

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// Fixtures shared by the tests: the reference topology and a healthy
// cluster's observations.

// seedSpec is the reference topology with the monitor settings of a
// common MMM setup (careful_startup 0, trap_period 10 s).
func seedSpec() Spec {
	ip := netip.MustParseAddr
	return Spec{
		Hosts: []HostSpec{
			{Name: "db1", Mode: config.HostModeMaster, Peer: "db2", IP: ip("198.18.0.11")},
			{Name: "db2", Mode: config.HostModeMaster, Peer: "db1", IP: ip("198.18.0.12")},
			{Name: "db3", Mode: config.HostModeSlave, IP: ip("198.18.0.13")},
		},
		Roles: []RoleSpec{
			{Name: "writer", Mode: config.RoleModeExclusive, Hosts: []string{"db1", "db2"},
				IPs: []netip.Addr{ip("198.18.0.100")}},
			{Name: "reader", Mode: config.RoleModeBalanced, Hosts: []string{"db1", "db2", "db3"},
				IPs: []netip.Addr{ip("198.18.0.101"), ip("198.18.0.102"), ip("198.18.0.103")}},
		},
		ActiveMasterRole: "writer",
		Timing: Timing{Mode: config.ModeActive, FlapCount: 3, FlapDuration: time.Hour,
			WaitForOtherMaster: 120 * time.Second},
		TrapPeriod: map[Check]time.Duration{CheckPing: 10 * time.Second, CheckMySQL: 10 * time.Second,
			CheckRepThreads: 10 * time.Second, CheckRepBacklog: 10 * time.Second},
	}
}

func applySpecOption(t *testing.T, s *Spec, kv string) {
	k, v, _ := strings.Cut(kv, "=")
	dur := func() time.Duration {
		d, err := time.ParseDuration(v)
		must(t, err)
		return d
	}
	switch {
	case k == "mode":
		m, err := ParseModeName(v)
		must(t, err)
		s.Timing.Mode = m
	case k == "prefer":
		s.Roles[0].Prefer = v
	case k == "auto_set_online":
		s.Timing.AutoSetOnline = dur()
	case k == "flap_count":
		n, err := strconv.Atoi(v)
		must(t, err)
		s.Timing.FlapCount = n
	case k == "flap_duration":
		s.Timing.FlapDuration = dur()
	case k == "wait_for_other_master":
		s.Timing.WaitForOtherMaster = dur()
	case k == "careful_startup":
		s.Timing.CarefulStartup = v == "on"
	case k == "trap":
		for _, c := range AllChecks {
			s.TrapPeriod[c] = dur()
		}
	case strings.HasPrefix(k, "trap."):
		c, err := ParseCheck(strings.TrimPrefix(k, "trap."))
		must(t, err)
		s.TrapPeriod[c] = dur()
	case k == "writers": // e.g. writers=db1: a one-master cluster
		s.Roles[0].Hosts = strings.Split(v, ",")
	default:
		t.Fatalf("unknown spec option %q", kv)
	}
}

// okProbes are the four checks passing, with MMM's messages.
func okProbes(host string) []Input {
	return []Input{
		Probe{Host: host, Check: CheckPing, Result: ResultOK, Message: "OK"},
		Probe{Host: host, Check: CheckMySQL, Result: ResultOK, Message: "OK"},
		Probe{Host: host, Check: CheckRepThreads, Result: ResultOK, Message: "OK"},
		Probe{Host: host, Check: CheckRepBacklog, Result: ResultOK, Message: "OK: Backlog is null"},
	}
}

// seedObservations describe the healthy reference cluster: db1 the
// writable active master holding the writer VIP and one reader VIP, db2
// and db3 one reader VIP each, everybody replicating as configured.
func seedObservations() []Input {
	ip := netip.MustParseAddr
	var in []Input
	for _, h := range []string{"db1", "db2", "db3"} {
		in = append(in, okProbes(h)...)
		in = append(in, Uptime{Host: h, Seconds: 864000})
	}
	return append(in,
		Writable{Host: "db1", Writable: true},
		VRRP{Host: "db1", State: VRRPMaster}, VRRP{Host: "db2", State: VRRPBackup},
		Follows{Host: "db1", Master: "db2"}, Follows{Host: "db2", Master: "db1"}, Follows{Host: "db3", Master: "db1"},
		VIPs{Host: "db1", IPs: []netip.Addr{ip("198.18.0.100"), ip("198.18.0.101")}},
		VIPs{Host: "db2", IPs: []netip.Addr{ip("198.18.0.102")}},
		VIPs{Host: "db3", IPs: []netip.Addr{ip("198.18.0.103")}},
	)
}
