package chaos

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
)

func TestResultJSONShape(t *testing.T) {
	conv := 4.25
	r := &Result{Seed: 42, Faults: []FaultResult{
		{Index: 1, Type: "mysqld-kill", Target: "db1 (writer)", HeldS: 7.1, ConvergedS: &conv},
		{Index: 2, Type: "cut-off", Target: "db2", HeldS: 3, Stuck: true, Reason: "db2 is AWAITING_RECOVERY"},
	}, StaleDetail: []string{"fault 2 (cut-off): db2: ..."}, ErrantGTIDs: []string{"db2: 0-2-7 (writer has 5)"}}
	r.Summarize()
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"seed", "faults", "lost_acked", "two_writable_ms", "errant", "stale_online",
		"median_converged_s", "max_converged_s"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %q in %s", k, b.String())
		}
	}
	if m["errant"].(float64) != 1 || m["stale_online"].(float64) != 1 || m["stuck"].(float64) != 1 {
		t.Errorf("counts: %s", b.String())
	}
	faults := m["faults"].([]any)
	first, second := faults[0].(map[string]any), faults[1].(map[string]any)
	for _, k := range []string{"type", "target", "held_s", "converged_s"} {
		if _, ok := first[k]; !ok {
			t.Errorf("fault 1 lacks %q", k)
		}
	}
	if _, ok := first["stuck"]; ok {
		t.Error("a converged fault says stuck")
	}
	if second["stuck"] != true {
		t.Error("a stuck fault does not say stuck: true")
	}
	if _, ok := second["converged_s"]; ok {
		t.Error("a stuck fault has converged_s")
	}
	if r.MedianConvergS != 4.25 || r.MaxConvergS != 4.25 {
		t.Errorf("median %v max %v", r.MedianConvergS, r.MaxConvergS)
	}
}

func TestFailedAndTable(t *testing.T) {
	conv := 2.0
	r := &Result{Seed: 9, Faults: []FaultResult{{Index: 1, Type: "net-down", Target: "db1", HeldS: 3, ConvergedS: &conv}}}
	r.Summarize()
	if f := r.Failed(); len(f) != 0 {
		t.Fatalf("a clean run failed: %v", f)
	}
	r.ErrantRepaired = []string{"fault 1 (net-down): db1 rebuilt from db2: errant transactions"}
	if f := r.Failed(); len(f) != 0 {
		t.Fatalf("a run with a runbook repair failed: %v", f)
	}
	r.LostAcked, r.TwoWritableMs = 3, 250
	f := r.Failed()
	if len(f) != 2 || !strings.Contains(f[0], "3 acknowledged") || !strings.Contains(f[1], "250 ms") {
		t.Fatalf("failed: %v", f)
	}
	var b bytes.Buffer
	r.WriteTable(&b)
	for _, want := range []string{"net-down", "seed 9", "lost_acked 3", "two_writable_ms 250", "FAILED", "repaired (runbook): fault 1 (net-down): db1 rebuilt from db2"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}

func TestErrantGTIDs(t *testing.T) {
	writer := "0-1-100,0-2-50"
	for _, tc := range []struct {
		host string
		want []string
	}{
		{"0-1-100,0-2-50", nil},
		{"0-1-90,0-2-50", nil}, // behind is not errant
		{"0-1-101,0-2-50", []string{"db2: 0-1-101 (writer has 100)"}},
		{"0-1-100,0-2-50,0-3-1", []string{"db2: 0-3-1 (writer has 0)"}},
		{"", nil},
	} {
		got, err := errantGTIDs("db2", tc.host, writer)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q: %v, want %v", tc.host, got, tc.want)
		}
	}
	if _, err := errantGTIDs("db2", "0-1", writer); err == nil {
		t.Error("a malformed GTID parsed")
	}
}

func TestProgressLine(t *testing.T) {
	conv := 3.25
	l := FaultResult{Index: 7, Type: "cut-off", Target: "db1 (writer)", HeldS: 12.3, ConvergedS: &conv}.ProgressLine(100)
	for _, want := range []string{"  7/100", "cut-off", "db1 (writer)", "12.3s", "converged   3.2s"} {
		if !strings.Contains(l, want) {
			t.Errorf("%q lacks %q", l, want)
		}
	}
	s := FaultResult{Index: 8, Type: "net-down", Target: "db2", Stuck: true, Reason: "db2 is HARD_OFFLINE"}.ProgressLine(10)
	if !strings.Contains(s, "STUCK: db2 is HARD_OFFLINE") {
		t.Errorf("%q", s)
	}
}

func TestRenderHistoryFoldsRepeats(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	refused := api.HistoryEntry{Kind: "command", Host: "db1", Outcome: "failed", Text: "set_online db1: ERROR"}
	var h []api.HistoryEntry
	h = append(h, api.HistoryEntry{Time: at, Kind: "event", Host: "db1", Text: "State of host 'db1' changed"})
	for i := range 5 {
		e := refused
		e.Time = at.Add(time.Duration(i+1) * time.Second)
		h = append(h, e)
	}
	lines := renderHistory(h)
	if len(lines) != 2 || !strings.Contains(lines[1], "(x5 until 03:04:10.000)") {
		t.Fatalf("%q", lines)
	}
}
