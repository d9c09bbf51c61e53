package fsm

import (
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Replication repairs (ReplIntent.Kind).
const (
	replRepoint = "repoint"
	replStart   = "start"
	replStop    = "stop"
)

// desiredReaders lists the non-writer role IPs assigned to host, sorted.
func (s *step) desiredReaders(host string) []netip.Addr {
	var out []netip.Addr
	for _, r := range s.st.Roles {
		if r.Role == s.spec.ActiveMasterRole {
			continue
		}
		for _, a := range r.IPs {
			if a.Host == host {
				out = append(out, a.IP)
			}
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

// emitActions turns the difference between what the runtime was last
// told (HostStatus.Applied) and the new assignment into actions, in this
// order: demote the old writer (VIP first, then fence), kill hosts
// that could not be told, remove reader VIPs, catch up and promote the
// new writer, add reader VIPs, then repair replication (replicas are
// repointed after the new writer is up). In PASSIVE nothing is emitted
// and Applied is left alone, so leaving PASSIVE sends everything that
// changed (MMM's cleanup_and_send_status).
func (s *step) emitActions() {
	if s.passive() {
		return
	}
	am := s.activeMaster()
	prev := ""
	for i := range s.st.Hosts {
		h := &s.st.Hosts[i]
		if h.Applied.Known && h.Applied.Writer {
			prev = h.Name
		}
	}
	// 1. Demote.
	for i := range s.st.Hosts {
		h := &s.st.Hosts[i]
		if !s.isMaster(h.Name) || h.Name == am {
			continue
		}
		switch {
		case h.Applied.Known && h.Applied.Writer:
			s.act(CloseWriter{h.Name})
			s.act(Fence{h.Name})
		case !h.Applied.Known:
			s.act(CloseWriter{h.Name})
			if h.Writable {
				s.act(Fence{h.Name})
			}
		}
	}
	for _, a := range s.fences {
		s.act(a)
	}
	for _, a := range s.kills {
		s.act(a)
	}
	// 2. Remove reader VIPs: every host first drops what it must give up,
	// so that no IP is ever configured on two hosts. A host the runtime
	// was never told about is assumed to have what it reported (VIPs).
	pending := map[string]bool{}
	for i := range s.st.Hosts {
		h := &s.st.Hosts[i]
		want := s.desiredReaders(h.Name)
		old := h.Applied.Readers
		if !h.Applied.Known {
			old = s.readerIPs(h.VIPs)
		}
		if h.Applied.Known && slices.Equal(want, old) {
			continue
		}
		keep := intersect(want, old)
		removes := len(keep) < len(old)
		if removes {
			s.act(SetReaderVIPs{Host: h.Name, IPs: keep})
		}
		// A host never told before gets its full set once.
		pending[h.Name] = !slices.Equal(keep, want) || (!h.Applied.Known && !removes)
	}
	// 3. Promote.
	if w := s.host(am); w != nil && !w.Writable && !w.Reenabled.IsZero() && s.now.Sub(w.Reenabled) >= ReenableRetry {
		// Enabled again, and still read-only: its own side's fence,
		// started before, landed after the enabling (keepalived's FAULT
		// on a writer whose mysqld was slow to answer). No transition
		// will be seen any more: enable it once more.
		s.reenable = am
	}
	if w := s.host(am); w != nil && !(w.Applied.Known && w.Applied.Writer) {
		startupWinner := !w.Applied.Known && prev == "" && w.Writable
		if !startupWinner {
			s.act(s.catchUp(am, prev))
		}
		s.act(Promote{Host: am, Previous: prev})
		s.act(OpenWriter{am})
		// A writer promoted again without a previous one (it lost the
		// role while its agent was away, and the old writer is still
		// down) still has the replication its first promotion stopped:
		// the ring stays to be restarted.
		stopped := w.RingStopped
		for i := range s.st.Hosts {
			s.st.Hosts[i].RingStopped = false
			s.st.Hosts[i].Reenabled = time.Time{}
		}
		// A repair still pending from its replica days (its replication
		// from this same peer restarted, not yet seen running) is not the
		// ring's restart: Promote just stopped that replication again.
		// Kept, it would be taken for the restart (not requested again,
		// and the next rep_threads OK, possibly measured before Promote,
		// would clear RingStopped): the ring would stay open for good.
		//
		// A writer given the role back without a handover (its agent
		// was away, nobody could take over) keeps its replication as
		// it is; when that reads broken (its peer went down meanwhile,
		// or its self-fence stopped it at the end of its lease), it is
		// restarted like the ring after a promotion, once the peer is
		// back and verified.
		broken := prev == "" && w.Checks[CheckRepThreads].Known && !w.ok(CheckRepThreads)
		if hs := s.hostSpec(am); hs == nil || hs.Peer == "" {
			broken = false
		}
		w.RingStopped, w.Repl = prev != "" || stopped || broken, ReplIntent{}
	} else if s.mayReenable(am) {
		// Its own side fenced the writer (mmm-notify when keepalived left
		// MASTER, e.g. its coordinator restarted): the role never moved,
		// so nothing else will enable its writes again.
		s.log(LevelWarn, "Writer '%s' is read-only: enabling writes again", am)
		s.act(Promote{Host: am})
		s.act(OpenWriter{am})
		if w := s.host(am); w != nil {
			w.Reenabled = s.now
		}
		// A writer that fenced itself because it lost its lease also
		// stopped its replication from its peer (its self-fence keeps a
		// cut-off writer from pulling in a new writer's transactions):
		// the ring is restarted like after a promotion once that
		// replication reads stopped (ringNeed). A restart requested
		// before the fence (the leader that died had just asked for
		// one) is forgotten, as after a promotion: the fence undid it,
		// and kept it would hold the new request back for
		// ReplicationRetry.
		if w := s.host(am); w != nil {
			if hs := s.hostSpec(am); hs != nil && hs.Peer != "" {
				w.RingStopped, w.Repl = true, ReplIntent{}
			}
		}
	}
	// 4. Add reader VIPs.
	for i := range s.st.Hosts {
		h := &s.st.Hosts[i]
		if pending[h.Name] {
			s.act(SetReaderVIPs{Host: h.Name, IPs: s.desiredReaders(h.Name)})
		}
	}
	for i := range s.st.Hosts {
		h := &s.st.Hosts[i]
		h.Applied = Applied{Known: true, Writer: h.Name == am && am != "", Readers: s.desiredReaders(h.Name)}
	}
	// 5. Replication.
	s.reconcileReplication(am)
}

// mayReenable tells whether the writer am, seen turning read-only in this
// step, gets its writes enabled again: it is ONLINE, holds the writer
// role and was told so (no demotion or handover is under way), and no
// other master is writable (that one is fenced instead; a second writer
// is never opened).
func (s *step) mayReenable(am string) bool {
	if am == "" || s.reenable != am {
		return false
	}
	w := s.host(am)
	if w.State != StateOnline || w.Writable || !w.Applied.Known || !w.Applied.Writer {
		return false
	}
	for i := range s.st.Hosts {
		h := &s.st.Hosts[i]
		if h.Name != am && s.isMaster(h.Name) && h.Writable {
			return false
		}
	}
	return true
}

// intersect returns the elements of a (sorted) that are also in b.
func intersect(a, b []netip.Addr) []netip.Addr {
	var out []netip.Addr
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// readerIPs keeps the non-writer role IPs of ips, sorted.
func (s *step) readerIPs(ips []netip.Addr) []netip.Addr {
	var out []netip.Addr
	for _, rs := range s.spec.Roles {
		if rs.Name == s.spec.ActiveMasterRole {
			continue
		}
		for _, ip := range rs.IPs {
			if slices.Contains(ips, ip) {
				out = append(out, ip)
			}
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

// catchUp builds the CatchUp for a new writer: the target covers every
// known position (the old writer's last one included), and the sources
// are the other reachable hosts that are ahead of the new writer on some
// stream, in configuration order.
func (s *step) catchUp(host, prev string) CatchUp {
	a := CatchUp{Host: host, Previous: prev}
	own := s.host(host).Position
	for i := range s.st.Hosts {
		h := &s.st.Hosts[i]
		if h.Position == nil {
			continue
		}
		a.Target = a.Target.Merge(h.Position)
		if h.Name != host && h.ok(CheckPing) && h.ok(CheckMySQL) && !own.Covers(h.Position) {
			a.Sources = append(a.Sources, h.Name)
		}
	}
	return a
}

// replNeed is the replication repair a host needs: every host
// that is up and not the active master must replicate from it with both
// threads running; an ADMIN_OFFLINE host must not replicate (MMM stops
// it). Hosts that are down are left alone.
func (s *step) replNeed(h *HostStatus, am string) (kind, master string) {
	if !h.ok(CheckPing) || !h.ok(CheckMySQL) {
		return "", ""
	}
	switch h.State {
	case StateAdminOffline:
		if h.ok(CheckRepThreads) {
			return replStop, ""
		}
		return "", ""
	case StateOnline, StateAwaitingRecovery, StateReplicationFail, StateReplicationDelay:
	default:
		return "", ""
	}
	switch {
	case am == "":
		return "", ""
	case am == h.Name:
		return s.ringNeed(h)
	case h.Follows != am, h.MustRejoin:
		return replRepoint, am
	case !h.ok(CheckRepThreads):
		return replStart, am
	}
	return "", ""
}

// ringNeed is the active master's own repair: its replication from its
// peer (MMM's master-master ring) is stopped or broken while its peer
// is back (AWAITING_RECOVERY after a failover, ONLINE otherwise) with
// verified replication from it. A promotion stops it on purpose
// (RingStopped), so that a returning old master's unshipped writes are
// never pulled in; other breakages come from faults — a peer restarted
// after a crash that discarded its binlog's uncommitted tail answers the
// active master's IO thread with error 1236 until it has fetched that
// tail again, and an IO thread stops for good on it. MMM only ignored
// such breakages; starting the ring again restores its master-master
// topology (without which set_online of the peer waits forever for its
// peer's replication checks), retried every ReplicationRetry. The
// runtime checks the peer for errant transactions before it starts it.
func (s *step) ringNeed(h *HostStatus) (kind, master string) {
	hs := s.hostSpec(h.Name)
	if h.RingStopped && h.Repl.Kind == replStart && h.ok(CheckRepThreads) {
		h.RingStopped = false // the restart took effect: the ring runs again
	}
	if hs == nil || hs.Peer == "" || h.Follows != hs.Peer || h.ok(CheckRepThreads) {
		return "", ""
	}
	if rt := h.check(CheckRepThreads); strings.HasPrefix(rt.Message, "ERROR: Replication is not set up") {
		return "", "" // removed on purpose (RESET SLAVE ALL)
	}
	p := s.host(hs.Peer)
	if p == nil || (p.State != StateAwaitingRecovery && p.State != StateOnline) ||
		!p.ok(CheckPing) || !p.ok(CheckMySQL) || !s.replVerified(p) {
		return "", ""
	}
	return replStart, p.Name
}

// reconcileReplication requests each needed repair once, and again every
// ReplicationRetry while it has not taken effect.
func (s *step) reconcileReplication(am string) {
	for i := range s.st.Hosts {
		h := &s.st.Hosts[i]
		kind, master := s.replNeed(h, am)
		if kind == "" {
			h.Repl = ReplIntent{}
			continue
		}
		if h.Repl.Kind == kind && h.Repl.Master == master && s.now.Sub(h.Repl.At) < ReplicationRetry {
			continue
		}
		h.Repl = ReplIntent{Kind: kind, Master: master, At: s.now}
		s.act(replAction(h.Name, kind, master))
	}
}

func replAction(host, kind, master string) Action {
	switch kind {
	case replRepoint:
		return Repoint{Host: host, Master: master}
	case replStart:
		return StartReplication{Host: host, Master: master}
	}
	return StopReplication{Host: host}
}

// Pending returns the actions that bring the world to the current state
// from any starting point, for a new leader that cannot know what its
// predecessor finished: every non-writer master closed, every host's
// reader VIPs, the writer caught up, promoted and opened, and the
// replication repairs still pending. Nil before startup and in PASSIVE.
func (m *Machine) Pending() []Action {
	s := &step{spec: &m.spec, st: &m.st}
	if !s.st.Started || s.passive() {
		return nil
	}
	am := s.activeMaster()
	for _, h := range s.st.Hosts {
		if s.isMaster(h.Name) && h.Name != am {
			s.act(CloseWriter{h.Name})
		}
	}
	for _, h := range s.st.Hosts {
		s.act(SetReaderVIPs{Host: h.Name, IPs: s.desiredReaders(h.Name)})
	}
	if am != "" {
		s.act(s.catchUp(am, ""))
		s.act(Promote{Host: am})
		s.act(OpenWriter{am})
	}
	for i := range s.st.Hosts {
		h := &s.st.Hosts[i]
		if kind, master := s.replNeed(h, am); kind != "" {
			s.act(replAction(h.Name, kind, master))
		}
	}
	return s.out.Actions
}
