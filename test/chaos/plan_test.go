package chaos

import (
	"slices"
	"testing"
	"time"
)

func TestPlanSameSeedSamePlan(t *testing.T) {
	a, err := NewPlan(42, 200, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewPlan(42, 200, PlanOptions{})
	if !slices.Equal(a, b) {
		t.Fatal("the same seed gave two plans")
	}
	c, _ := NewPlan(43, 200, PlanOptions{})
	if slices.Equal(a, c) {
		t.Fatal("seeds 42 and 43 gave the same plan")
	}
	// A prefix of a longer plan is the shorter plan: -faults 30 replays
	// the first 30 faults of -faults 100 with the same seed.
	short, _ := NewPlan(42, 30, PlanOptions{})
	if !slices.Equal(short, a[:30]) {
		t.Fatal("a shorter plan is not a prefix of the longer one")
	}
}

func TestPlanHoldsWithinBounds(t *testing.T) {
	for _, maxHold := range []time.Duration{0, 8 * time.Second, 4 * time.Second} {
		o := PlanOptions{MaxHold: maxHold}
		plan, err := NewPlan(7, 2000, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range plan {
			lo, hi := o.HoldBounds(f.Kind)
			if f.Hold < lo || f.Hold > hi {
				t.Fatalf("max %v: %v: hold outside [%v, %v]", maxHold, f, lo, hi)
			}
			if f.Hold%holdStep != 0 {
				t.Fatalf("%v: hold not a multiple of %v", f, holdStep)
			}
		}
	}
	lo, hi := PlanOptions{}.HoldBounds(MySQLFreeze)
	if lo != 5*time.Second || hi != 20*time.Second {
		t.Fatalf("freeze bounds %v-%v, want 5s-20s", lo, hi)
	}
	lo, hi = PlanOptions{}.HoldBounds(NetDown)
	if lo != 3*time.Second || hi != 20*time.Second {
		t.Fatalf("net-down bounds %v-%v, want 3s-20s", lo, hi)
	}
	// A cap below the minimum wins.
	if lo, hi := (PlanOptions{MaxHold: 2 * time.Second}).HoldBounds(MySQLFreeze); lo != hi || hi != 2*time.Second {
		t.Fatalf("capped freeze bounds %v-%v", lo, hi)
	}
}

func TestPlanWeights(t *testing.T) {
	const n = 20000
	plan, err := NewPlan(1, n, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	count := map[Kind]int{}
	writer, single := 0, 0
	for _, f := range plan {
		count[f.Kind]++
		switch f.Kind {
		case MySQLKill, MySQLStop, MySQLFreeze, HostKill, NetDown, CutOff:
			single++
			if f.Pick == PickWriter {
				writer++
			}
		case ReplStop:
			if f.Pick == PickWriter || (f.Thread != "io" && f.Thread != "sql") {
				t.Fatalf("%v: repl-stop hits a replica's io or sql thread", f)
			}
		case KeepalivedKill:
			if f.Pick != PickWriter && f.Pick != PickPeer {
				t.Fatalf("%v: keepalived runs on the masters only", f)
			}
		case PartitionAll:
			if f.Pick != PickNone {
				t.Fatalf("%v: partition-all names no host", f)
			}
		}
	}
	total := 0
	for _, w := range DefaultWeights {
		total += w.Weight
	}
	for _, w := range DefaultWeights {
		want := float64(n) * float64(w.Weight) / float64(total)
		if got := float64(count[w.Kind]); got < want*0.9 || got > want*1.1 {
			t.Errorf("%v: %v of %d, want about %.0f", w.Kind, got, n, want)
		}
	}
	if share := float64(writer) / float64(single); share < 0.57 || share > 0.63 {
		t.Errorf("writer share %.2f of single-host faults, want about 0.60", share)
	}
	// Only what is weighted is drawn.
	only, _ := NewPlan(3, 500, PlanOptions{Weights: []Weight{{CutOff, 1}, {NetDown, 0}}})
	for _, f := range only {
		if f.Kind != CutOff {
			t.Fatalf("%v drawn with weight 0", f)
		}
	}
}

func TestPlanRejects(t *testing.T) {
	for name, tc := range map[string]struct {
		n int
		o PlanOptions
	}{
		"no faults":    {0, PlanOptions{}},
		"all zero":     {5, PlanOptions{Weights: []Weight{{CutOff, 0}}}},
		"negative":     {5, PlanOptions{Weights: []Weight{{CutOff, -1}}}},
		"unknown kind": {5, PlanOptions{Weights: []Weight{{KindUnknown, 3}}}},
		"share > 100":  {5, PlanOptions{WriterShare: 101}},
	} {
		if _, err := NewPlan(1, tc.n, tc.o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestParseKindAndWithout(t *testing.T) {
	for _, name := range KindNames() {
		k, err := ParseKind(name)
		if err != nil || k.String() != name {
			t.Fatalf("%s: %v %v", name, k, err)
		}
	}
	if _, err := ParseKind("meteor"); err == nil {
		t.Fatal("an unknown kind parsed")
	}
	w := Without(DefaultWeights, CutOff)
	plan, err := NewPlan(5, 1000, PlanOptions{Weights: w})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range plan {
		if f.Kind == CutOff {
			t.Fatalf("%v drawn though left out", f)
		}
	}
	if DefaultWeights[5].Weight == 0 {
		t.Fatal("Without changed DefaultWeights")
	}
}
