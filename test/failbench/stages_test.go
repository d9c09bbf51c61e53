package failbench

import (
	"slices"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
)

// TestHistoryStages: each stage is its first occurrence after the fault,
// actions count only when they succeeded and only for the right host,
// and what came before the fault is ignored.
func TestHistoryStages(t *testing.T) {
	fault := time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return fault.Add(time.Duration(ms) * time.Millisecond) }
	entries := []api.HistoryEntry{
		{Time: at(-500), Kind: "event", Host: "db1", Text: "old news"},
		{Time: at(-100), Kind: "action", Host: "db2", Text: "promote db2 previous db1", Outcome: "ok"},
		{Time: at(40), Kind: "event", Host: "db1", Text: "Check 'mysql' on 'db1' has failed"},
		{Time: at(45), Kind: "event", Host: "db1", Text: "State of host 'db1' changed from ONLINE to HARD_OFFLINE"},
		{Time: at(60), Kind: "action", Host: "db1", Text: "fence db1", Outcome: "retrying"},
		{Time: at(90), Kind: "action", Host: "db1", Text: "fence db1", Outcome: "ok"},
		{Time: at(95), Kind: "action", Host: "db2", Text: "catch-up db2 from db1,db3", Outcome: "ok"},
		{Time: at(120), Kind: "action", Host: "db2", Text: "promote db2 previous db1", Outcome: "ok"},
		{Time: at(121), Kind: "action", Host: "db1", Text: "open-writer db1", Outcome: "ok"},
		{Time: at(130), Kind: "action", Host: "db2", Text: "open-writer db2", Outcome: "ok"},
		{Time: at(400), Kind: "action", Host: "db2", Text: "promote db2 previous db1", Outcome: "ok"},
	}
	got := historyStages(entries, "db1", fault)
	want := []Stage{
		{StageSeen, 40 * time.Millisecond},
		{StageFenced, 90 * time.Millisecond},
		{StageCaughtUp, 95 * time.Millisecond},
		{StagePromoted, 120 * time.Millisecond},
		{StageOpened, 130 * time.Millisecond},
	}
	if !slices.Equal(got, want) {
		t.Errorf("historyStages:\n got %v\nwant %v", got, want)
	}
	if got := historyStages(entries[:2], "db1", fault); len(got) != 0 {
		t.Errorf("nothing after the fault: %v", got)
	}
}
