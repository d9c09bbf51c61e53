package fsm

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// TestRandomSequences drives 10,000 seeded random event sequences through
// the machine and checks the invariants after every step:
//
//   - I1 the writer IP is assigned to at most one host, one of the writer
//     role's hosts; in ACTIVE mode that host is ONLINE with its agent up
//     (MMM's eligibility, §4.3);
//   - I2 outside PASSIVE, no role IP is orphaned while an eligible host
//     for it exists (eligible: ONLINE, agent up, in the role's hosts, and
//     not waiting for its restarted replication to be verified); in
//     ACTIVE every role IP sits on exactly one ONLINE host with its agent
//     up;
//   - I3 in ACTIVE mode no host that is not ONLINE holds a role;
//   - I4 outside PASSIVE, for every balanced role, MMM's load metric
//     (role IPs of all roles on the host, the writer counting one half)
//     differs by at most one between the role's eligible hosts;
//   - I5 serialise → restore → the same input gives the same output and
//     the same state;
//   - I6 executing the actions in order, writer eligibility is never
//     open on two hosts and no reader VIP is ever on two hosts; after the
//     step (outside PASSIVE) the world matches the assignment.
//
// Under -short or the race detector (the package has no concurrency, so
// it finds nothing more on the longer run) 1,000 sequences run.
func TestRandomSequences(t *testing.T) {
	sequences, steps := 10000, 25
	if testing.Short() || raceEnabled {
		sequences = 1000
	}
	rng := rand.New(rand.NewPCG(20140527, 1))
	seen := map[string]int{}
	for i := range sequences {
		seed := rng.Uint64()
		if !t.Run("", func(t *testing.T) { runRandomSequence(t, seed, steps, seen) }) {
			t.Fatalf("sequence %d failed; replay it with seed %d", i, seed)
		}
	}
	// The generator must reach the interesting situations, or the
	// invariants above prove little.
	t.Logf("reached: %v", seen)
	for _, what := range []string{"promote", "kill-host", "flapping", "HARD_OFFLINE", "AWAITING_RECOVERY",
		"REPLICATION_FAIL", "REPLICATION_DELAY", "ADMIN_OFFLINE", "agent-down", "reply-ok", "repoint",
		"mode-ACTIVE", "mode-MANUAL", "mode-WAIT", "mode-PASSIVE", "balanced-move"} {
		if seen[what] < sequences/200 {
			t.Errorf("the random sequences reached %q only %d times", what, seen[what])
		}
	}
}

// world is what the runtime did: writer eligibility per host and where
// each reader VIP is configured (possibly on several hosts: a leftover the
// startup observations report).
type world struct {
	writerOpen map[string]bool
	vips       map[netip.Addr]map[string]bool
}

func runRandomSequence(t *testing.T, seed uint64, steps int, seen map[string]int) {
	rng := rand.New(rand.NewPCG(seed, 2))
	spec := randomSpec(rng)
	m, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	g := newGenerator(rng, spec)
	w := &world{writerOpen: map[string]bool{}, vips: map[netip.Addr]map[string]bool{}}
	now := time.Date(2014, 5, 27, 0, 0, 0, 0, time.UTC)
	type entry struct {
		at time.Time
		in Input
	}
	var trail []entry // formatted only on failure
	fail := func(format string, a ...any) {
		t.Helper()
		var b strings.Builder
		for _, e := range trail {
			fmt.Fprintf(&b, "%s %#v\n", e.at.Format(time.TimeOnly), e.in)
		}
		t.Fatalf("seed %d: %s\ninputs:\n%sstate:\n%s", seed, fmt.Sprintf(format, a...), b.String(), Show(spec, m.State()))
	}
	for _, in := range g.initial() { // observations before startup
		if v, ok := in.(VIPs); ok {
			for _, ip := range v.IPs {
				w.addVIP(ip, v.Host)
			}
		}
		trail = append(trail, entry{now, in})
		m.Step(now, in)
	}
	for step := 0; step <= steps; step++ {
		var in Input = Start{}
		if step > 0 {
			now = now.Add(g.delay())
			in = g.input(m.State())
		}
		trail = append(trail, entry{now, in})
		before, err := m.Marshal()
		if err != nil {
			fail("marshal: %v", err)
		}
		twin, err := Restore(spec, before)
		if err != nil {
			fail("restore: %v", err)
		}
		out := m.Step(now, in)
		tout := twin.Step(now, in)
		if !reflect.DeepEqual(out, tout) {
			fail("I5: restored machine decided differently:\n%v\n%v", out, tout)
		}
		if !reflect.DeepEqual(m.State(), twin.State()) {
			fail("I5: restored machine reached another state")
		}
		if _, isCmd := in.(Command); isCmd != (out.Reply != nil) {
			fail("a reply must answer exactly the commands")
		}
		if msg := w.apply(out.Actions); msg != "" {
			fail("I6: %s; actions %v", msg, out.Actions)
		}
		if msg := checkInvariants(spec, m.State(), w); msg != "" {
			fail("%s", msg)
		}
		count(seen, m.State(), out)
	}
}

// count records what a step reached.
func count(seen map[string]int, st State, out Output) {
	seen["mode-"+ModeName(st.Mode)]++
	for _, h := range st.Hosts {
		seen[h.State.String()]++
		if h.Flapping {
			seen["flapping"]++
		}
		if h.AgentDown {
			seen["agent-down"]++
		}
	}
	for _, a := range out.Actions {
		seen[strings.Fields(a.String())[0]]++
	}
	for _, e := range out.Events {
		if strings.HasPrefix(e.Text, "Moving role 'reader") {
			seen["balanced-move"]++
		}
	}
	if out.Reply != nil && out.Reply.OK {
		seen["reply-ok"]++
	}
}

// apply executes actions on the simulated world in order.
func (w *world) apply(actions []Action) string {
	for _, a := range actions {
		switch a := a.(type) {
		case CloseWriter:
			delete(w.writerOpen, a.Host)
		case OpenWriter:
			w.writerOpen[a.Host] = true
			if len(w.writerOpen) > 1 {
				return fmt.Sprintf("writer eligibility open on %v", w.writerOpen)
			}
		case SetReaderVIPs:
			for ip, hosts := range w.vips {
				if hosts[a.Host] && !slices.Contains(a.IPs, ip) {
					delete(hosts, a.Host)
				}
			}
			for _, ip := range a.IPs {
				if len(w.vips[ip]) > 0 && !w.vips[ip][a.Host] {
					return fmt.Sprintf("%s added on %s while still on %v", ip, a.Host, w.vips[ip])
				}
				w.addVIP(ip, a.Host)
			}
		}
	}
	return ""
}

func (w *world) addVIP(ip netip.Addr, host string) {
	if w.vips[ip] == nil {
		w.vips[ip] = map[string]bool{}
	}
	w.vips[ip][host] = true
}

// invEligible is the eligibility the invariants use; see the test doc.
func invEligible(spec Spec, st State, rs RoleSpec, host string, strict bool) bool {
	h := st.Host(host)
	if !contains(rs.Hosts, host) || h.State != StateOnline || h.AgentDown {
		return false
	}
	if !strict || h.ReplRestarted.IsZero() {
		return true
	}
	am := st.Owner(spec.ActiveMasterRole)
	return am == "" || am == host ||
		(h.Follows == am && h.ok(CheckRepThreads) && h.ok(CheckRepBacklog))
}

func checkInvariants(spec Spec, st State, w *world) string {
	active := st.Mode == config.ModeActive
	passive := st.Mode == config.ModePassive
	writers := 0
	for _, h := range st.Hosts {
		roles := st.HostRoles(h.Name)
		for _, r := range roles {
			if r.Role == spec.ActiveMasterRole {
				writers++
				if !spec.canHold(r.Role, h.Name) {
					return "I1: writer on a host outside the writer role"
				}
				if active && !invEligible(spec, st, *spec.role(r.Role), h.Name, false) {
					return "I1: writer on an ineligible host in ACTIVE mode: " + h.Name
				}
			}
		}
		if active && len(roles) > 0 && h.State != StateOnline {
			return fmt.Sprintf("I3: %s is %s with roles %v in ACTIVE mode", h.Name, h.State, roles)
		}
	}
	if writers > 1 {
		return "I1: writer on two hosts"
	}
	if passive {
		return ""
	}
	for _, rs := range spec.Roles {
		ra := st.role(rs.Name)
		var elig []string
		for _, h := range rs.Hosts {
			if invEligible(spec, st, rs, h, true) {
				elig = append(elig, h)
			}
		}
		for _, a := range ra.IPs {
			if a.Host == "" && len(elig) > 0 {
				return fmt.Sprintf("I2: %s(%s) orphaned while %v are eligible", rs.Name, a.IP, elig)
			}
			if active && a.Host != "" && !invEligible(spec, st, rs, a.Host, false) {
				return fmt.Sprintf("I2: %s(%s) on ineligible %s in ACTIVE mode", rs.Name, a.IP, a.Host)
			}
		}
		if rs.Mode == config.RoleModeBalanced && len(elig) > 1 {
			lo, hi := 1<<30, -1
			for _, h := range elig {
				l := 0
				for _, r := range st.HostRoles(h) {
					if r.Role == spec.ActiveMasterRole {
						l++
					} else {
						l += 2
					}
				}
				lo, hi = min(lo, l), max(hi, l)
			}
			if hi-lo > 2 {
				return fmt.Sprintf("I4: loads of %s differ by %.1f among %v", rs.Name, float64(hi-lo)/2, elig)
			}
		}
	}
	// The world follows the assignment.
	am := st.Owner(spec.ActiveMasterRole)
	for h := range w.writerOpen {
		if h != am {
			return "I6: writer eligibility open on " + h + ", active master is " + am
		}
	}
	for _, rs := range spec.Roles {
		if rs.Name == spec.ActiveMasterRole {
			continue
		}
		for _, a := range st.role(rs.Name).IPs {
			on := w.vips[a.IP]
			if len(on) > 1 || (a.Host == "" && len(on) > 0) || (a.Host != "" && !on[a.Host]) {
				return fmt.Sprintf("I6: %s is on %v, assigned to %q", a.IP, on, a.Host)
			}
		}
	}
	return ""
}

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
