package fsm

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// This file generates the random sequences of TestRandomSequences.

func randomSpec(rng *rand.Rand) Spec {
	s := seedSpec()
	s.Timing.Mode = []config.MonitorMode{config.ModeActive, config.ModeActive, config.ModeActive,
		config.ModeManual, config.ModeWait, config.ModePassive}[rng.IntN(6)]
	s.Roles[0].Prefer = []string{"", "", "db1", "db2"}[rng.IntN(4)]
	s.Timing.AutoSetOnline = []time.Duration{0, 0, time.Minute}[rng.IntN(3)]
	s.Timing.FlapCount = []int{0, 1, 1, 2, 3}[rng.IntN(5)]
	s.Timing.FlapDuration = []time.Duration{time.Minute, time.Hour, time.Hour, time.Hour}[rng.IntN(4)]
	s.Timing.WaitForOtherMaster = []time.Duration{0, 30 * time.Second, 120 * time.Second}[rng.IntN(3)]
	s.Timing.CarefulStartup = rng.IntN(2) == 0
	for _, c := range AllChecks {
		s.TrapPeriod[c] = []time.Duration{0, 5 * time.Second, 10 * time.Second}[rng.IntN(3)]
	}
	if rng.IntN(10) == 0 {
		s.Roles[0].Hosts = []string{"db1"} // a one-master cluster
		if s.Roles[0].Prefer == "db2" {
			s.Roles[0].Prefer = "db1"
		}
	}
	return s
}

// generator produces inputs from a simulated truth that changes now and
// then — hosts go down and come back, replication breaks and lags,
// coordinators fall silent — observed by mostly faithful probes, plus
// random admin commands, so that sequences reach failovers, recoveries,
// flapping and every mode.
type generator struct {
	rng     *rand.Rand
	spec    Spec
	uptime  map[string]float64
	truth   map[string]*truth
	flapper string // a host whose replication keeps breaking, or ""
}

type truth struct {
	down, replBroken, lagging, silent bool
}

func newGenerator(rng *rand.Rand, spec Spec) *generator {
	g := &generator{rng: rng, spec: spec, uptime: map[string]float64{}, truth: map[string]*truth{}}
	for _, h := range spec.Hosts {
		g.truth[h.Name] = &truth{down: rng.IntN(8) == 0}
		g.uptime[h.Name] = float64(1000 + rng.IntN(1000))
	}
	if rng.IntN(3) == 0 {
		g.flapper = []string{"db2", "db3"}[rng.IntN(2)]
	}
	return g
}

func (g *generator) host() string { return g.spec.Hosts[g.rng.IntN(len(g.spec.Hosts))].Name }

func (g *generator) delay() time.Duration {
	switch n := g.rng.IntN(40); {
	case n == 0:
		return time.Duration(600+g.rng.IntN(3600)) * time.Second
	case n < 5:
		return time.Duration(30+g.rng.IntN(120)) * time.Second
	}
	return time.Duration(g.rng.IntN(16)) * time.Second
}

var allIPs = []string{"198.18.0.100", "198.18.0.101", "198.18.0.102", "198.18.0.103", "198.18.0.199"}

// initial are the observations before Start: every check of every host,
// the replication topology, one writable master holding the VIP, and
// some reader VIPs.
func (g *generator) initial() []Input {
	var in []Input
	for _, h := range g.spec.Hosts {
		for _, c := range AllChecks {
			in = append(in, g.probe(h.Name, c))
		}
		master := "db1"
		if h.Name == "db1" {
			master = "db2"
		}
		in = append(in, Follows{Host: h.Name, Master: master}, Uptime{Host: h.Name, Seconds: g.uptime[h.Name]})
		var ips []netip.Addr
		for _, ip := range allIPs[1:4] {
			if g.rng.IntN(3) == 0 {
				ips = append(ips, netip.MustParseAddr(ip))
			}
		}
		in = append(in, VIPs{Host: h.Name, IPs: ips})
	}
	writer := []string{"db1", "db2", ""}[g.rng.IntN(3)]
	if writer != "" {
		in = append(in, Writable{Host: writer, Writable: true}, VRRP{Host: writer, State: VRRPMaster})
	}
	if g.rng.IntN(6) == 0 { // a split brain left over
		in = append(in, Writable{Host: "db2", Writable: true}, VRRP{Host: "db2", State: VRRPMaster})
	}
	g.rng.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
	return in
}

// probe observes one check, faithfully most of the time.
func (g *generator) probe(h string, c Check) Probe {
	tr := g.truth[h]
	ok := !tr.down
	switch c {
	case CheckRepThreads:
		ok = ok && !tr.replBroken
	case CheckRepBacklog:
		ok = ok && !tr.lagging
	}
	r := ResultFailed
	if ok {
		r = ResultOK
	}
	switch g.rng.IntN(20) {
	case 0:
		r = ResultUnknown
	case 1:
		r = []Result{ResultOK, ResultFailed}[g.rng.IntN(2)]
	}
	if tr.down && (c == CheckRepThreads || c == CheckRepBacklog) {
		r = ResultUnknown // MMM's replication checks cannot connect either
	}
	return Probe{Host: h, Check: c, Result: r, Message: strings.ToUpper(r.String())}
}

// change flips one fact of the truth.
func (g *generator) change() Input {
	h := g.host()
	tr := g.truth[h]
	switch g.rng.IntN(7) {
	case 5, 6: // replication breaks and heals most often: the flaps
		tr.replBroken = !tr.replBroken
		return g.probe(h, CheckRepThreads)
	case 0, 1:
		tr.down = !tr.down
		if !tr.down && g.rng.IntN(2) == 0 {
			g.uptime[h] = float64(g.rng.IntN(100)) // it rebooted
		}
		if g.rng.IntN(3) == 0 {
			return Evidence{Host: h, Kind: EvidenceKind(1 + g.rng.IntN(2))}
		}
	case 2:
		tr.replBroken = !tr.replBroken
	case 3:
		tr.lagging = !tr.lagging
	case 4:
		tr.silent = !tr.silent
		return Reachability{Host: h, Reachable: !tr.silent}
	}
	return g.probe(h, AllChecks[g.rng.IntN(len(AllChecks))])
}

func (g *generator) input(st State) Input {
	h := g.host()
	if g.flapper != "" && g.rng.IntN(3) == 0 {
		if g.rng.IntN(3) == 0 {
			g.truth[g.flapper].replBroken = !g.truth[g.flapper].replBroken
		}
		return g.probe(g.flapper, CheckRepThreads)
	}
	switch n := g.rng.IntN(40); {
	case n < 3:
		return Tick{}
	case n < 9:
		return g.command(st)
	case n < 13:
		return g.change()
	case n < 14:
		g.uptime[h] += float64(g.rng.IntN(90))
		return Uptime{Host: h, Seconds: g.uptime[h]}
	case n < 17:
		master := st.Owner(g.spec.ActiveMasterRole) // the runtime repointed it
		if g.rng.IntN(4) == 0 {
			master = []string{"", "db1", "db2", "db3"}[g.rng.IntN(4)]
		}
		return Follows{Host: h, Master: master}
	case n < 18:
		return Reachability{Host: h, Reachable: !g.truth[h].silent}
	case n < 19:
		if g.rng.IntN(2) == 0 {
			return Writable{Host: h, Writable: g.rng.IntN(3) == 0}
		}
		return VRRP{Host: h, State: VRRPState(1 + g.rng.IntN(4))}
	case n < 20:
		return GTID{Host: h, Position: Position{"0": uint64(g.rng.IntN(5)), "1": uint64(g.rng.IntN(3))}}
	}
	return g.probe(h, AllChecks[g.rng.IntN(len(AllChecks))])
}

// command is a random admin command, aimed at hosts it can affect more
// often than not.
func (g *generator) command(st State) Command {
	h := g.host()
	var waiting []string
	for _, hs := range st.Hosts {
		if hs.State == StateAwaitingRecovery || hs.State == StateAdminOffline {
			waiting = append(waiting, hs.Name)
		}
	}
	if len(waiting) > 0 && g.rng.IntN(2) == 0 {
		h = waiting[g.rng.IntN(len(waiting))]
	}
	if g.rng.IntN(15) == 0 {
		h = "db9"
	}
	role := []string{"writer", "writer", "reader", "nosuch"}[g.rng.IntN(4)]
	force := g.rng.IntN(4) == 0
	switch g.rng.IntN(12) {
	case 0, 1, 2, 3:
		return Command{Op: OpSetOnline, Host: h, Force: force}
	case 4:
		return Command{Op: OpSetOffline, Host: h}
	case 5, 6:
		return Command{Op: []Op{OpSetActive, OpSetManual, OpSetPassive, OpMode}[g.rng.IntN(4)]}
	case 7, 8:
		return Command{Op: OpMoveRole, Role: role, Host: h, Force: force}
	case 9:
		return Command{Op: OpSetIP, IP: allIPs[g.rng.IntN(len(allIPs))], Host: h}
	}
	return Command{Op: OpSetActive}
}
