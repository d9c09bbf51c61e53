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
//     (MMM's eligibility);
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
