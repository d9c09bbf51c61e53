package failbench

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// Stage is one step of a failover, at its time from the fault: where the
// writer's unavailable window goes.
type Stage struct {
	Name string
	At   time.Duration
}

// The stages, in the order a failover passes them. The coordinator's
// come from its history (the raft entries' times: the leader's clock,
// this machine's); the bench sees the VIP and the app's first write.
const (
	StageSeen     = "seen"      // the first event about the victim
	StageFenced   = "fenced"    // the fence of the victim ended
	StageCaughtUp = "caught-up" // the new writer applied what it had received
	StagePromoted = "promoted"  // the new writer made writable
	StageOpened   = "opened"    // its track file opened: keepalived may take the VIP
	StageVIP      = "vip-moved" // the bench saw the VIP on the new writer alone
	StageFirstAck = "first-ack" // the app's first acknowledged insert after that
)

// stageOrder lists the stages in the order a failover passes them.
var stageOrder = []string{StageSeen, StageFenced, StageCaughtUp, StagePromoted, StageOpened, StageVIP, StageFirstAck}

// historyStages picks the coordinator's stages of the failover from
// victim to another host out of the history since fault: each one's
// first occurrence, an action at its end.
func historyStages(entries []api.HistoryEntry, victim string, fault time.Time) []Stage {
	var out []Stage
	seen := map[string]bool{}
	add := func(name string, at time.Time) {
		if !seen[name] && !at.Before(fault) {
			seen[name] = true
			out = append(out, Stage{Name: name, At: at.Sub(fault)})
		}
	}
	for _, e := range entries {
		if !e.Time.After(fault) {
			continue
		}
		if e.Kind == "event" && e.Host == victim {
			add(StageSeen, e.Time)
		}
		if e.Kind != "action" || e.Outcome != "ok" {
			continue
		}
		kind, host, _ := strings.Cut(e.Text, " ")
		host, _, _ = strings.Cut(host, " ")
		switch {
		case kind == "fence" && host == victim:
			add(StageFenced, e.Time)
		case kind == "catch-up" && host != victim:
			add(StageCaughtUp, e.Time)
		case kind == "promote" && host != victim:
			add(StagePromoted, e.Time)
		case kind == "open-writer" && host != victim:
			add(StageOpened, e.Time)
		}
	}
	slices.SortStableFunc(out, func(a, b Stage) int { return cmp.Compare(a.At, b.At) })
	return out
}

// timeline is a trial's stages: the coordinator's (ours only), the VIP
// seen on the new writer, and the first acknowledged insert after it.
func timeline(ctx context.Context, l *lab.Lab, s system, victim string, fault, vipAt time.Time, acks []lab.Ack) []Stage {
	out := s.stages(ctx, l, victim, fault)
	if vipAt.IsZero() {
		return out
	}
	out = append(out, Stage{Name: StageVIP, At: vipAt.Sub(fault)})
	if i := slices.IndexFunc(acks, func(a lab.Ack) bool { return a.At.After(vipAt) }); i >= 0 {
		out = append(out, Stage{Name: StageFirstAck, At: acks[i].At.Sub(fault)})
	}
	return out
}

// stages reads the coordinator's history for the failover's stages.
func (ours) stages(ctx context.Context, l *lab.Lab, victim string, fault time.Time) []Stage {
	s, ok := leaderSnapshot(ctx, l)
	if !ok {
		return nil
	}
	c, err := apiClient(l, s.Leader)
	if err != nil {
		return nil
	}
	hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	entries, err := c.History(hctx, 200)
	if err != nil {
		return nil
	}
	return historyStages(entries, victim, fault)
}
