package coordinator

import (
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// Report is what a coordinator tells the leader about its own host, which
// only it can see: the host's uptime, keepalived's state, the role IPs on
// its interface, and definitive evidence that its mysqld is gone. Every
// coordinator sends one per check period; an urgent one (evidence, a
// VRRP transition) at once.
type Report struct {
	Host      string
	Sent      time.Time
	Uptime    float64       `json:",omitzero"` // /proc/uptime; 0 = unknown
	VRRP      fsm.VRRPState `json:",omitzero"` // UNKNOWN = nothing heard from keepalived
	VIPsKnown bool          `json:",omitzero"`
	VIPs      []netip.Addr  `json:",omitempty"`
	Evidence  *fsm.Evidence `json:",omitempty"` // mysqld is gone; nil = it answers or unknown
	Urgent    bool          `json:",omitzero"`
	// Applied is the raft index this coordinator had applied; SelfFence
	// its latest self-fence (nil: none since the host last was allowed
	// to write).
	Applied   uint64     `json:",omitzero"`
	SelfFence *SelfFence `json:",omitempty"`
}

// reportBook is the leader's memory of the latest report per host.
type reportBook struct {
	mu     sync.Mutex
	latest map[string]Report
	// sent remembers, per host, the evidence already proposed (by its
	// Observed time), so that a report repeated every period proposes it
	// once.
	sent map[string]time.Time
}

func newReportBook() *reportBook {
	return &reportBook{latest: map[string]Report{}, sent: map[string]time.Time{}}
}

// put stores r.
func (b *reportBook) put(r Report) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.latest[r.Host] = r
}

// selfFenced returns host's confirmed self-fence when its coordinator
// had applied index when it reported it: the host knew of the decision
// made at index and has not been allowed to write since its fence.
func (b *reportBook) selfFenced(host string, index uint64) (SelfFence, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, ok := b.latest[host]
	if !ok || r.SelfFence == nil || !r.SelfFence.Done || r.Applied < index {
		return SelfFence{}, false
	}
	return *r.SelfFence, true
}

// forget clears what was proposed: a new leader proposes again whatever
// its committed state does not reflect.
func (b *reportBook) forget() {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.sent)
}

// inputs returns, for every host of st with a report, the inputs that
// tell the state machine something it does not know yet. Uptime goes in
// every round (MMM's monitor stored it on every agent answer); with
// urgent only the report of host is looked at and uptime is left out.
func (b *reportBook) inputs(st *fsm.State, host string, urgent bool) []fsm.Input {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []fsm.Input
	for i := range st.Hosts {
		h := &st.Hosts[i]
		r, ok := b.latest[h.Name]
		if !ok || (urgent && h.Name != host) {
			continue
		}
		if e := r.Evidence; e != nil && !b.sent[h.Name].Equal(e.Observed) && !mysqlReported(h) {
			out = append(out, *e)
			b.sent[h.Name] = e.Observed
		}
		if r.VRRP != fsm.VRRPUnknown && r.VRRP != h.VRRP {
			out = append(out, fsm.VRRP{Host: h.Name, State: r.VRRP})
		}
		if r.VIPsKnown && !slices.Equal(sortedAddrs(r.VIPs), h.VIPs) {
			out = append(out, fsm.VIPs{Host: h.Name, IPs: sortedAddrs(r.VIPs)})
		}
		if !urgent && r.Uptime > 0 {
			out = append(out, fsm.Uptime{Host: h.Name, Seconds: r.Uptime})
		}
	}
	return out
}

// mysqlReported: the mysql check of h already stands failed and reported.
func mysqlReported(h *fsm.HostStatus) bool {
	c := h.Checks[fsm.CheckMySQL-1]
	return c.Known && !c.OK && c.Trap == fsm.TrapReported
}

func sortedAddrs(a []netip.Addr) []netip.Addr {
	out := slices.Clone(a)
	slices.SortFunc(out, netip.Addr.Compare)
	if len(out) == 0 {
		return nil
	}
	return out
}
