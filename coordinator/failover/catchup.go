package failover

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// CatchUpRequest names the hosts of one catch-up (the state machine's
// CatchUp action).
type CatchUpRequest struct {
	Candidate Node
	// Previous is the old writer (Name "" when none; DB nil when it does
	// not answer). It is a source like the others when it answers, and
	// where the candidate is pointed back after a pull.
	Previous Node
	// Others are the other hosts that answer, in configuration order
	// (replicas, and with MostComplete's Sources first).
	Others []Node
	// Target, when not empty, is the old writer's last known position
	// (the state machine's CatchUp.Target). What no reachable host has of
	// it is reported as Unrecoverable.
	Target Position
}

// Pull is one detour of the candidate through another host.
type Pull struct {
	From   string
	Wanted Position
	Err    string // "" = got it
}

// CatchUpResult is what CatchUp did and found.
type CatchUpResult struct {
	Host string
	Record
	// Applied is the candidate's applied position at the end.
	Applied Position
	Pulls   []Pull
	// Missing is what the candidate's own relay log or a reachable host
	// held that the candidate still lacks at the end. Non-empty means
	// ErrCatchUpIncomplete (policy refuse) or PromoteAnyway.
	Missing Position
	// Unrecoverable is what Target has and no reachable host has: only the
	// unreachable old writer had it when last seen. With semisync active
	// (AFTER_SYNC) no client was told those transactions committed; without
	// it they are lost unless the old writer returns, and its rejoin then
	// reports them as errant.
	Unrecoverable Position
	// PromoteAnyway: Missing is not empty and the policy is promote; the
	// coordinator records Missing in the history.
	PromoteAnyway bool
}

func (r CatchUpResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "catch-up %s: applied %s", r.Host, orNone(r.Applied))
	if !r.Missing.IsEmpty() {
		fmt.Fprintf(&b, ", MISSING %s", r.Missing)
		if r.PromoteAnyway {
			b.WriteString(" (promoted anyway: catchup_policy promote)")
		}
	}
	if !r.Unrecoverable.IsEmpty() {
		fmt.Fprintf(&b, ", only the old writer had %s", r.Unrecoverable)
	}
	fmt.Fprintf(&b, " in %v [%s]", r.Took.Round(time.Millisecond), r.Record)
	return b.String()
}

func orNone(p Position) string {
	if p.IsEmpty() {
		return "nothing"
	}
	return p.String()
}

// CatchUp makes the candidate apply everything it has received and
// everything any reachable host has, within CatchupTimeout:
//
//  1. Its own relay log: wait (MASTER_GTID_WAIT) for what its IO thread
//     received (Gtid_IO_Pos) and it has not applied; MASTER_GTID_WAIT
//     waits for the applied position.
//  2. Every other reachable host is asked for its position after it has
//     applied its own relay log (a semisync replica acknowledges a
//     transaction when it receives it, so an acknowledged transaction may
//     exist only in db3's relay log). Where a host has transactions the
//     candidate lacks, most-ahead first, the candidate replicates from it:
//     through its current replication if that host is its source already,
//     otherwise by a detour: STOP SLAVE, CHANGE MASTER to that host with
//     GTID, START SLAVE, wait until it has them, STOP SLAVE, CHANGE MASTER
//     back to its previous source (Previous, or the host among Others it
//     replicated from) and START again the threads that were running.
//  3. What it still lacks is Missing. Empty: success. Otherwise the
//     policy decides: refuse returns ErrCatchUpIncomplete (the coordinator
//     alerts and keeps the writer closed); promote returns success with
//     PromoteAnyway and Missing recorded.
//
// Failures of single hosts or waits are recorded and end up in Missing;
// only an unreachable candidate is an error of its own. CatchUp is
// idempotent. It leaves the candidate's replication as it found it.
func (r *Runner) CatchUp(ctx context.Context, req CatchUpRequest) (res CatchUpResult, err error) {
	res = CatchUpResult{Host: req.Candidate.Name}
	rc := r.recorder(&res.Record)
	defer rc.finish()
	cand := req.Candidate
	if cand.DB == nil {
		return res, fmt.Errorf("failover: catch-up %s: %w", cand.Name, ErrUnreachable)
	}
	until := r.opts.Clock.Now().Add(r.opts.CatchupTimeout)
	wctx, cancel := context.WithTimeout(ctx, r.opts.CatchupTimeout)
	defer cancel()
	f := cand.DB.Flavor()
	fatal := func(what string, err error) (CatchUpResult, error) {
		rc.fail(cand.Name, what, err)
		return res, fmt.Errorf("failover: catch-up %s: %s: %w", cand.Name, what, err)
	}

	rs, err := replica(wctx, cand.DB)
	if err != nil {
		return fatal("replica status", err)
	}
	own, err := received(f, rs)
	if err != nil {
		return fatal("replica status", err)
	}
	h, err := readHistory(wctx, cand.DB)
	if err != nil {
		return fatal("gtid state", err)
	}
	if need := own.Subtract(h.applied); need.IsEmpty() {
		rc.note(cand.Name, "relay log applied (received %s)", orNone(own))
	} else {
		r.follow(wctx, rc, cand, rs, dbctl.SQLThread, need, until)
	}

	known := known(req)
	var origin *Node
	for i := range known {
		if known[i].Source.serves(rs) {
			origin = &known[i]
			break
		}
	}
	var sources []sourceState
	for _, n := range known {
		if n.DB == nil {
			rc.note(n.Name, "unreachable: not asked")
			continue
		}
		s, err := r.inspectSource(wctx, rc, n, f, until)
		if err != nil {
			rc.fail(n.Name, "read position", err)
			continue
		}
		sources = append(sources, s)
	}
	// Most ahead first; stable, so configuration order breaks ties.
	slices.SortStableFunc(sources, func(a, b sourceState) int {
		return cmp.Compare(b.servable.Lead(h.applied), a.servable.Lead(h.applied))
	})
	for _, s := range sources {
		if h, err = readHistory(wctx, cand.DB); err != nil {
			return fatal("gtid state", err)
		}
		gap := s.servable.Subtract(h.applied)
		switch {
		case gap.IsEmpty():
			continue
		case s.why != "":
			rc.note(s.node.Name, "has %s the candidate lacks but cannot serve it: %s", gap, s.why)
		case origin != nil && origin.Name == s.node.Name:
			r.follow(wctx, rc, cand, rs, dbctl.BothThreads, gap, until)
		case f != dbctl.MariaDB && rs != nil && !rs.AutoPosition:
			rc.note(cand.Name, "cannot pull %s from %s: it replicates by file position", gap, s.node.Name)
		default:
			res.Pulls = append(res.Pulls, r.pull(wctx, rc, cand, s.node, gap, origin, rs, until))
		}
	}

	// The outcome, read even when the deadline has passed.
	octx, ocancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.StopTimeout)
	defer ocancel()
	if h, err = readHistory(octx, cand.DB); err != nil {
		return fatal("gtid state", err)
	}
	res.Applied = h.applied
	res.Missing = own.Subtract(h.applied)
	all := h.applied.Union(own)
	for _, s := range sources {
		res.Missing = res.Missing.Union(s.want.Subtract(h.applied))
		all = all.Union(s.want)
	}
	res.Unrecoverable = req.Target.Subtract(all)
	if res.Missing.IsEmpty() {
		return res, nil
	}
	if r.opts.Policy == config.CatchupPromote {
		res.PromoteAnyway = true
		rc.note(cand.Name, "lacks %s: promoting anyway (catchup_policy promote)", res.Missing)
		return res, nil
	}
	rc.note(cand.Name, "lacks %s: refusing (catchup_policy refuse)", res.Missing)
	return res, fmt.Errorf("failover: catch-up %s: %w: lacks %s after %v", cand.Name, ErrCatchUpIncomplete,
		res.Missing, r.opts.CatchupTimeout)
}

// known lists Previous (when named) and Others without the candidate and
// without duplicates, in that order.
func known(req CatchUpRequest) []Node {
	var out []Node
	seen := map[string]bool{req.Candidate.Name: true}
	for _, n := range append([]Node{req.Previous}, req.Others...) {
		if n.Name == "" || seen[n.Name] {
			continue
		}
		seen[n.Name] = true
		out = append(out, n)
	}
	return out
}
