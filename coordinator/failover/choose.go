package failover

import (
	"fmt"
	"strings"
)

// Standing is one reachable host's position for MostComplete.
type Standing struct {
	Name string
	// Position is everything the host has applied or received.
	Position Position
	// Eligible: the host may take the writer (a reachable master that
	// passes its checks).
	Eligible bool
}

// Choice is the most complete eligible host and what CatchUp will have
// to bring it.
type Choice struct {
	Host string
	// Sources are the other hosts that have something Host lacks, in
	// input order (the state machine's CatchUp.Sources).
	Sources []string
	// Lacks is what those hosts have that Host lacks.
	Lacks Position
}

func (c Choice) String() string {
	if len(c.Sources) == 0 {
		return c.Host + " (has everything)"
	}
	return fmt.Sprintf("%s (lacks %s, on %s)", c.Host, c.Lacks, strings.Join(c.Sources, ","))
}

// MostComplete picks, among the eligible hosts, the one that lacks the
// fewest transactions of all hosts together (the most advanced candidate:
// freshness counts before having held the writer role), and lists where the
// rest is. Ties go to the earlier host: pass hosts in configuration order,
// the preferred master first. Pure; ErrNoCandidate when none is eligible.
func MostComplete(hosts []Standing) (Choice, error) {
	var all Position
	for _, h := range hosts {
		all = all.Union(h.Position)
	}
	best, bestLead := -1, uint64(0)
	for i, h := range hosts {
		if !h.Eligible {
			continue
		}
		if lead := all.Lead(h.Position); best < 0 || lead < bestLead {
			best, bestLead = i, lead
		}
	}
	if best < 0 {
		return Choice{}, fmt.Errorf("failover: %w among %d hosts", ErrNoCandidate, len(hosts))
	}
	c := Choice{Host: hosts[best].Name}
	for i, h := range hosts {
		if gap := h.Position.Subtract(hosts[best].Position); i != best && !gap.IsEmpty() {
			c.Sources = append(c.Sources, h.Name)
			c.Lacks = c.Lacks.Union(gap)
		}
	}
	return c, nil
}
