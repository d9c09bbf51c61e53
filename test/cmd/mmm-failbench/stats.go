package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// summary collects one scenario's trials.
type summary struct {
	name                             string
	decided, vip, first, afterDecide []time.Duration
	samples, violations              int
}

func (s *summary) add(r result) {
	s.decided = append(s.decided, r.decided.Sub(r.fault))
	s.vip = append(s.vip, r.vip.Sub(r.fault))
	s.first = append(s.first, r.first.Sub(r.fault))
	s.afterDecide = append(s.afterDecide, r.first.Sub(r.decided))
	s.samples += r.samples
	s.violations += len(r.violations)
}

// mmm renders min / median / max in milliseconds.
func mmm(ds []time.Duration) string {
	if len(ds) == 0 {
		return "-"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	ms := func(d time.Duration) int64 { return d.Round(time.Millisecond).Milliseconds() }
	return fmt.Sprintf("%d / %d / %d", ms(s[0]), ms(med), ms(s[len(s)-1]))
}

func printTable(out io.Writer, o options, all []summary) {
	fmt.Fprintf(out, "min / median / max in ms; client: an INSERT through the writer VIP every %v (attempt %v, connect timeout %v)\n",
		o.interval, o.attempt, o.connect)
	fmt.Fprintf(out, "decision: mysqld-kill = the writer's keepalived left MASTER (mmm-check failed); host-kill = fault + %v (assumed)\n", o.decide)
	fmt.Fprintln(out, "promotion BY HAND in the coordinator's order (no coordinator ran): track file closed, read_only=0, track file opened")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\ttrials\tfault -> decision\tfault -> VIP on new writer\tfault -> first INSERT\tdecision -> first INSERT\tsamples with two writers")
	for _, s := range all {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%d of %d\n", s.name, len(s.first), mmm(s.decided), mmm(s.vip), mmm(s.first),
			mmm(s.afterDecide), s.violations, s.samples)
	}
	tw.Flush()
}
