package failbench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// Results is one bench run: what was run and every trial.
type Results struct {
	Started, Finished time.Time
	Trials            int // per scenario and system
	Interval, Attempt time.Duration
	// Semisync is the servers' my.cnf layout (lab.SemisyncLayout):
	// "both-masters" is the seed article's.
	Semisync string `json:",omitempty"`
	// Profile is the cluster's timing (lab.Profile): "fast" is the
	// lab's, "defaults" the shipped defaults.
	Profile string `json:",omitempty"`
	Systems []SystemInfo
	Runs    []Trial
	Summary []Summary
}

// SystemInfo names and describes a system under test.
type SystemInfo struct{ Name, Description string }

// Metric names one measured figure.
type Metric uint8

const (
	MetricUnknown Metric = iota
	MetricUnavailable
	MetricLost
	MetricLostWriter
	MetricTwoWritable
	MetricReaderGap
)

// Metrics lists the metrics in table order.
var Metrics = []Metric{MetricUnavailable, MetricLost, MetricLostWriter, MetricTwoWritable, MetricReaderGap}

func (m Metric) String() string {
	switch m {
	case MetricUnavailable:
		return "writer unavailable (ms)"
	case MetricLost:
		return "acked rows lost (worst server)"
	case MetricLostWriter:
		return "of which on the final writer"
	case MetricTwoWritable:
		return "two writable masters (ms)"
	case MetricReaderGap:
		return "reader VIP gap (ms)"
	}
	return "unknown"
}

// value returns t's figure for m; ok is false when t has none.
func (m Metric) value(t Trial) (float64, bool) {
	switch m {
	case MetricUnavailable:
		return float64(t.Unavailable.Round(time.Millisecond).Milliseconds()), true
	case MetricLost:
		return float64(t.Lost), true
	case MetricLostWriter:
		return float64(t.LostOn[t.FinalWriter]), true
	case MetricTwoWritable:
		return float64(t.TwoWritable.Round(time.Millisecond).Milliseconds()), true
	case MetricReaderGap:
		if t.ReaderGap == nil {
			return 0, false
		}
		return float64(t.ReaderGap.Round(time.Millisecond).Milliseconds()), true
	}
	return 0, false
}

// Stats are min / median / p95 / max of one metric.
type Stats struct {
	N                     int
	Min, Median, P95, Max float64
}

func (s Stats) String() string {
	if s.N == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%s / %s / %s / %s", num(s.Min), num(s.Median), num(s.P95), num(s.Max))
}

func num(f float64) string { return fmt.Sprintf("%.0f", f) }

// stats computes Stats; p95 is the nearest rank.
func stats(vs []float64) Stats {
	if len(vs) == 0 {
		return Stats{}
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	p95 := s[int(math.Ceil(0.95*float64(n)))-1]
	return Stats{N: n, Min: s[0], Median: med, P95: p95, Max: s[n-1]}
}

// Summary is one system's figures in one scenario.
type Summary struct {
	Scenario, System string
	Trials, Failed   int
	NotConverged     int
	Metrics          map[string]Stats
	// Stages is the median time from the fault of each stage the
	// trials recorded (Stage), in stage order.
	Stages []Stage `json:",omitempty"`
}

// Summarize fills r.Summary from r.Runs, in scenario then system order.
func (r *Results) Summarize() {
	r.Summary = nil
	var scens []string
	for _, t := range r.Runs {
		if !slices.Contains(scens, t.Scenario) {
			scens = append(scens, t.Scenario)
		}
	}
	for _, sc := range scens {
		for _, sys := range r.Systems {
			s := Summary{Scenario: sc, System: sys.Name, Metrics: map[string]Stats{}}
			vals := map[Metric][]float64{}
			stageVals := map[string][]float64{}
			for _, t := range r.Runs {
				if t.Scenario != sc || t.System != sys.Name {
					continue
				}
				if t.Error != "" {
					s.Failed++
					continue
				}
				s.Trials++
				if !t.Converged {
					s.NotConverged++
				}
				for _, m := range Metrics {
					if v, ok := m.value(t); ok {
						vals[m] = append(vals[m], v)
					}
				}
				for _, st := range t.Stages {
					stageVals[st.Name] = append(stageVals[st.Name], float64(st.At))
				}
			}
			for _, name := range stageOrder {
				if v := stageVals[name]; len(v) > 0 {
					s.Stages = append(s.Stages, Stage{Name: name, At: time.Duration(stats(v).Median)})
				}
			}
			if s.Trials+s.Failed == 0 {
				continue
			}
			for _, m := range Metrics {
				s.Metrics[m.String()] = stats(vals[m])
			}
			r.Summary = append(r.Summary, s)
		}
	}
}

// WriteTable writes the summary as a Markdown table (readable as text).
func (r Results) WriteTable(w io.Writer) {
	fmt.Fprintln(w, "min / median / p95 / max per scenario and system")
	fmt.Fprintln(w)
	head := []string{"scenario", "system", "trials"}
	for _, m := range Metrics {
		head = append(head, m.String())
	}
	fmt.Fprintln(w, "| "+strings.Join(head, " | ")+" |")
	fmt.Fprintln(w, "|"+strings.Repeat("---|", len(head)))
	for _, s := range r.Summary {
		trials := fmt.Sprint(s.Trials)
		if s.Failed > 0 {
			trials += fmt.Sprintf(" (+%d failed)", s.Failed)
		}
		if s.NotConverged > 0 {
			trials += fmt.Sprintf(" (%d not converged)", s.NotConverged)
		}
		row := []string{s.Scenario, s.System, trials}
		for _, m := range Metrics {
			row = append(row, s.Metrics[m.String()].String())
		}
		fmt.Fprintln(w, "| "+strings.Join(row, " | ")+" |")
	}
}

// WriteStages writes where the unavailable window went: each scenario
// and system's median stage times from the fault, in milliseconds.
func (r Results) WriteStages(w io.Writer) {
	fmt.Fprintln(w, "median time from the fault of each stage, ms")
	fmt.Fprintln(w)
	head := append([]string{"scenario", "system"}, stageOrder...)
	fmt.Fprintln(w, "| "+strings.Join(head, " | ")+" |")
	fmt.Fprintln(w, "|"+strings.Repeat("---|", len(head)))
	for _, s := range r.Summary {
		if len(s.Stages) == 0 {
			continue
		}
		row := []string{s.Scenario, s.System}
		for _, name := range stageOrder {
			cell := "-"
			if i := slices.IndexFunc(s.Stages, func(st Stage) bool { return st.Name == name }); i >= 0 {
				cell = fmt.Sprint(s.Stages[i].At.Milliseconds())
			}
			row = append(row, cell)
		}
		fmt.Fprintln(w, "| "+strings.Join(row, " | ")+" |")
	}
}

// WriteJSON writes the results, indented.
func (r Results) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Target is one of the goals set for ours, and whether it was met.
type Target struct {
	What string
	Met  bool
	Why  string
}

// Targets checks ours against its goals: median writer
// unavailable ≤ 1 s after mysqld SIGKILL and ≤ 2 s after host death, no
// acknowledged row lost and no time with two writable masters in any
// scenario.
func (r Results) Targets() []Target {
	var out []Target
	get := func(sc string) (Summary, bool) {
		for _, s := range r.Summary {
			if s.System == "ours" && s.Scenario == sc {
				return s, true
			}
		}
		return Summary{}, false
	}
	for _, c := range []struct {
		sc    string
		limit float64
	}{{"mysqld-kill", 1000}, {"host-kill", 2000}} {
		if s, ok := get(c.sc); ok {
			m := s.Metrics[MetricUnavailable.String()]
			out = append(out, Target{What: fmt.Sprintf("%s median ≤ %.0f ms", c.sc, c.limit),
				Met: m.N > 0 && m.Median <= c.limit && s.Failed == 0, Why: fmt.Sprintf("median %.0f ms over %d trials", m.Median, m.N)})
		}
	}
	for _, s := range r.Summary {
		if s.System != "ours" {
			continue
		}
		lost := s.Metrics[MetricLost.String()]
		two := s.Metrics[MetricTwoWritable.String()]
		out = append(out,
			Target{What: s.Scenario + ": 0 acked rows lost", Met: lost.N > 0 && lost.Max == 0 && s.Failed == 0,
				Why: fmt.Sprintf("max %.0f over %d trials", lost.Max, lost.N)},
			Target{What: s.Scenario + ": 0 ms two writable masters", Met: two.N > 0 && two.Max == 0 && s.Failed == 0,
				Why: fmt.Sprintf("max %.0f ms over %d trials", two.Max, two.N)})
	}
	return out
}
