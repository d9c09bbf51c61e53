package fsm

import (
	"strings"
	"time"
)

// store records a result in MMM's check status table: the message
// always, last_change only when the status flips.
func (c *CheckStatus) store(ok bool, msg string, now time.Time) {
	if !c.Known || c.OK != ok {
		c.LastChange = now
	}
	c.Known, c.OK, c.Message = true, ok, msg
}

// Holds reports whether the trap already holds result r, so that a
// probe with it changes nothing (MMM's trap; but a mysql OK refreshes LastOK).
// An OK is held only over a stored OK: a state kept by an older version
// may have the trap OK over a stored failure, which the next OK heals.
func (c CheckStatus) Holds(r Result) bool {
	switch r {
	case ResultOK:
		return c.Trap == TrapOK && c.OK
	case ResultFailed:
		return c.Trap == TrapReported
	case ResultUnknown:
		return c.Trap == TrapUnknown
	}
	return false
}

// probe runs MMM's failure trap for one result. Before startup a
// result is an initial check: stored as it is, failures and
// UNKNOWNs as failed, no trap.
func (s *step) probe(p Probe) {
	h := s.host(p.Host)
	if h == nil || p.Check < CheckPing || p.Check > CheckRepBacklog || p.Result == ResultInvalid {
		return
	}
	c := h.check(p.Check)
	if !s.st.Started {
		s.initialCheck(c, p)
		return
	}
	name, host := p.Check.String(), p.Host
	switch p.Result {
	case ResultOK:
		if p.Check == CheckMySQL { // only the evidence fast path needs it
			began := s.now
			if !p.Started.IsZero() {
				began = p.Started.UTC()
			}
			if began.Before(c.Evidence) {
				// Measured before mysqld was seen gone: the answer may
				// come from the server that has died since.
				return
			}
			c.LastOK = began
		}
		if c.Holds(ResultOK) {
			return
		}
		// A failure shorter than trap_period recovers silently, as in
		// MMM, but only over a stored OK. MMM assumes one; after a
		// reported failure, an UNKNOWN and a new short failure the
		// stored result is that reported failure, and MMM kept it for
		// good: the host stayed failed with its check passing (lab: a
		// master's rep_threads after a network outage).
		if c.Trap != TrapFailing || !c.OK {
			s.log(LevelInfo, "Check '%s' on '%s' is ok!", name, host)
			c.store(true, p.Message, s.now)
		}
		c.Trap, c.Since = TrapOK, time.Time{}
	case ResultUnknown:
		// Not enqueued: the stored status keeps its value; a later error
		// starts a new trap period.
		if c.Holds(ResultUnknown) {
			return
		}
		c.Trap, c.Since = TrapUnknown, time.Time{}
		s.log(LevelWarn, "Check '%s' on '%s' is in unknown state! Message: %s", name, host, p.Message)
	case ResultFailed:
		if c.Holds(ResultFailed) {
			return
		}
		if c.Trap != TrapFailing {
			c.Trap, c.Since = TrapFailing, s.now
		}
		age := s.now.Sub(c.Since)
		if p.Check == CheckPing && h.Unreachable {
			s.hostLost(h, p.Message)
			return
		}
		if age < s.spec.trap(p.Check) {
			return
		}
		s.log(LevelError, "Check '%s' on '%s' has failed for %d seconds! Message: %s",
			name, host, int64(age/time.Second), p.Message)
		c.store(false, p.Message, s.now)
		c.Trap, c.Since = TrapReported, time.Time{}
	}
}

func (s *step) initialCheck(c *CheckStatus, p Probe) {
	c.store(p.Result == ResultOK, p.Message, s.now)
	switch p.Result {
	case ResultOK:
		c.Trap = TrapOK
		if p.Check == CheckMySQL {
			c.LastOK = s.now
		}
	case ResultFailed:
		c.Trap = TrapReported
	default:
		c.Trap = TrapUnknown
	}
}

// hostLost is the host-loss fast path: a failing ping of a host whose
// coordinator is silent for longer than the lease (Reachability) fails
// the ping check at once, skipping trap_period. Both channels agree the
// host is gone — or cut off, in which case its coordinator has closed its
// track file and keepalived and mmm-notify have fenced its MySQL, by the
// lease. A silent coordinator on a host that answers ping is MMM's
// agent_down, not this (a dead coordinator fences nothing).
func (s *step) hostLost(h *HostStatus, msg string) {
	c := h.check(CheckPing)
	if c.Trap == TrapReported {
		return
	}
	s.log(LevelError, "Check 'ping' on '%s' has failed and its coordinator has been silent for longer than the lease: host lost (trap_period skipped)! Message: %s", h.Name, msg)
	c.store(false, msg, s.now)
	c.Trap, c.Since = TrapReported, time.Time{}
}

// evidence is the fast path: definitive local evidence that mysqld is
// gone fails the mysql check at once, skipping trap_period. Evidence
// observed before the newest OK probe is stale (mysqld came back) and
// ignored. See the package documentation for why neither kind can
// occur on a healthy host.
func (s *step) evidence(e Evidence) {
	h := s.host(e.Host)
	if h == nil || e.Kind == EvidenceInvalid {
		return
	}
	c := h.check(CheckMySQL)
	observed := e.Observed
	if observed.IsZero() {
		observed = s.now
	}
	observed = observed.UTC()
	if observed.Before(c.LastOK) {
		return
	}
	c.Evidence = observed
	if c.Known && !c.OK && c.Trap == TrapReported {
		return // already reported
	}
	msg := evidenceMessage(e)
	s.log(LevelError, "Check 'mysql' on '%s' has failed (definitive local evidence, trap_period skipped)! Message: %s", e.Host, msg)
	c.store(false, msg, s.now)
	c.Trap, c.Since = TrapReported, time.Time{}
}

func evidenceMessage(e Evidence) string {
	var b strings.Builder
	switch e.Kind {
	case EvidenceSocketRefused:
		b.WriteString("ERROR: mysqld is not running: connection refused on its local socket")
	case EvidenceProcessExited:
		b.WriteString("ERROR: mysqld is not running: the process exited")
	}
	if e.Detail != "" {
		b.WriteString(" (" + e.Detail + ")")
	}
	b.WriteString(", reported by the host's coordinator")
	return b.String()
}

// completeInitialChecks stores a failure for every check that has no
// result when startup runs (MMM's initial checks store anything that is
// not OK as failed) and stamps last_change with the startup time.
func (s *step) completeInitialChecks() {
	for i := range s.st.Hosts {
		h := &s.st.Hosts[i]
		for j := range h.Checks {
			c := &h.Checks[j]
			if !c.Known {
				c.Known, c.OK, c.Message = true, false, "UNKNOWN: No result before startup"
				c.Trap = TrapReported
			}
			c.LastChange = s.now
		}
	}
}
