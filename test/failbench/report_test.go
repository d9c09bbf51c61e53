package failbench

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"
)

func TestStats(t *testing.T) {
	tests := []struct {
		in   []float64
		want Stats
	}{
		{nil, Stats{}},
		{[]float64{5}, Stats{N: 1, Min: 5, Median: 5, P95: 5, Max: 5}},
		{[]float64{4, 1, 3, 2}, Stats{N: 4, Min: 1, Median: 2.5, P95: 4, Max: 4}},
		// 20 values: the nearest rank of p95 is the 19th.
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 100}, Stats{N: 20, Min: 1, Median: 10.5, P95: 19, Max: 100}},
	}
	for _, tt := range tests {
		if got := stats(tt.in); got != tt.want {
			t.Errorf("stats(%v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestLongestGap(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms ...int) []time.Time {
		var out []time.Time
		for _, m := range ms {
			out = append(out, t0.Add(time.Duration(m)*time.Millisecond))
		}
		return out
	}
	tests := []struct {
		name      string
		ts        []time.Time
		from, end int
		want      time.Duration
	}{
		{"from the last before the fault", at(0, 10, 20, 500, 510), 25, 520, 480 * time.Millisecond},
		{"none before: from the fault", at(300, 310), 100, 320, 200 * time.Millisecond},
		{"none after: to the end", at(0, 10), 15, 1000, 990 * time.Millisecond},
		{"a later, longer gap counts", at(0, 10, 100, 900, 910), 5, 920, 800 * time.Millisecond},
	}
	for _, tt := range tests {
		got := longestGap(tt.ts, t0.Add(time.Duration(tt.from)*time.Millisecond), t0.Add(time.Duration(tt.end)*time.Millisecond))
		if got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNiceCeil(t *testing.T) {
	for in, want := range map[float64]float64{0: 1, 0.4: 1, 1.2: 2, 3: 5, 7: 10, 20: 20, 21: 50, 2450: 5000} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%v) = %v, want %v", in, got, want)
		}
	}
}

func sample() Results {
	gap := 300 * time.Millisecond
	r := Results{Trials: 2, Interval: 10 * time.Millisecond,
		Systems: []SystemInfo{{Name: "ours"}, {Name: "classic"}}}
	for i, u := range []time.Duration{400, 600} {
		r.Runs = append(r.Runs,
			Trial{System: "ours", Scenario: "mysqld-kill", N: i + 1, Unavailable: u * time.Millisecond, Converged: true, ReaderGap: &gap,
				Stages: []Stage{{StageSeen, u / 10 * time.Millisecond}, {StageVIP, u / 2 * time.Millisecond}}},
			Trial{System: "classic", Scenario: "mysqld-kill", N: i + 1, Unavailable: 2 * u * time.Millisecond, Lost: 3, TwoWritable: time.Second, Converged: true},
			Trial{System: "ours", Scenario: "host-kill", N: i + 1, Unavailable: 2500 * time.Millisecond, Converged: true})
	}
	r.Runs = append(r.Runs, Trial{System: "classic", Scenario: "host-kill", N: 1, Error: "lab: boom"})
	r.Summarize()
	return r
}

func TestSummarizeAndTargets(t *testing.T) {
	r := sample()
	if len(r.Summary) != 4 {
		t.Fatalf("%d summaries, want 4: %+v", len(r.Summary), r.Summary)
	}
	s := r.Summary[0]
	if s.Scenario != "mysqld-kill" || s.System != "ours" || s.Metrics[MetricUnavailable.String()].Median != 500 {
		t.Errorf("first summary %+v", s)
	}
	if got := r.Summary[1].Metrics[MetricReaderGap.String()]; got.N != 0 {
		t.Errorf("classic reader gap %+v, want none", got)
	}
	if r.Summary[3].Failed != 1 || r.Summary[3].Trials != 0 {
		t.Errorf("classic host-kill %+v, want 1 failed", r.Summary[3])
	}
	met := map[string]bool{}
	for _, tg := range r.Targets() {
		met[tg.What] = tg.Met
	}
	want := map[string]bool{
		"mysqld-kill median ≤ 1000 ms": true, "host-kill median ≤ 2000 ms": false,
		"mysqld-kill: 0 acked rows lost": true, "mysqld-kill: 0 ms two writable masters": true,
	}
	for k, v := range want {
		if got, ok := met[k]; !ok || got != v {
			t.Errorf("target %q: met %v (present %v), want %v", k, got, ok, v)
		}
	}
}

func TestOutputs(t *testing.T) {
	r := sample()
	var table bytes.Buffer
	r.WriteTable(&table)
	if !strings.Contains(table.String(), "| mysqld-kill | ours | 2 | 400 / 500 / 600 / 600 |") ||
		!strings.Contains(table.String(), "0 (+1 failed)") {
		t.Errorf("table:\n%s", table.String())
	}
	var stages bytes.Buffer
	r.WriteStages(&stages)
	// Medians of 40/60 and 200/300 ms; the stages no trial had are "-";
	// systems without stages get no row.
	if !strings.Contains(stages.String(), "| mysqld-kill | ours | 50 | - | - | - | - | 250 | - |") ||
		strings.Contains(stages.String(), "classic") {
		t.Errorf("stages:\n%s", stages.String())
	}
	var svg bytes.Buffer
	if err := r.WriteSVG(&svg); err != nil {
		t.Fatal(err)
	}
	// Well-formed XML with an svg root.
	d := xml.NewDecoder(&svg)
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("root element %q", root)
	}
}
