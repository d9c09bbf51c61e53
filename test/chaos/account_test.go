package chaos

import (
	"testing"
	"time"
)

func TestWindowCountsTimeUntilTheNextSample(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	w := window{cap: time.Second}
	w.add(at(0), false)
	w.add(at(100), true)  // two writable from here...
	w.add(at(200), true)  // ...still...
	w.add(at(300), false) // ...until here: 200 ms
	w.add(at(400), true)
	w.add(at(2400), false) // a stalled sampler: capped at 1 s
	w.add(at(2500), true)  // the last sample counts one more step
	if got := w.close(100 * time.Millisecond); got != 1300*time.Millisecond {
		t.Fatalf("total %v, want 1.3s", got)
	}
	if w.samples != 4 {
		t.Fatalf("%d violating samples, want 4", w.samples)
	}
	if again := w.close(100 * time.Millisecond); again != 1300*time.Millisecond {
		t.Fatalf("close counted twice: %v", again)
	}
}

func TestWindowNothingBroken(t *testing.T) {
	w := window{cap: time.Second}
	for i := range 10 {
		w.add(time.Unix(0, 0).Add(time.Duration(i)*100*time.Millisecond), false)
	}
	if got := w.close(100 * time.Millisecond); got != 0 || w.samples != 0 {
		t.Fatalf("total %v, %d samples, want 0", got, w.samples)
	}
}

func TestMedianMax(t *testing.T) {
	for _, tc := range []struct {
		in       []float64
		med, max float64
	}{
		{nil, 0, 0},
		{[]float64{4}, 4, 4},
		{[]float64{5, 1, 3}, 3, 5},
		{[]float64{4, 1, 3, 10}, 3.5, 10},
	} {
		in := append([]float64(nil), tc.in...)
		med, mx := medianMax(in)
		if med != tc.med || mx != tc.max {
			t.Errorf("%v: median %v max %v, want %v %v", tc.in, med, mx, tc.med, tc.max)
		}
		for i := range in {
			if in[i] != tc.in[i] {
				t.Fatalf("medianMax sorted its input")
			}
		}
	}
}
