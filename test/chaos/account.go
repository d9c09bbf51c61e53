package chaos

import (
	"slices"
	"time"
)

// window accumulates the time a condition held, from samples: a sample
// that sees it counts the time until the next sample, capped, since a
// sampler that stalled (a server that hangs) knows nothing in between.
type window struct {
	cap     time.Duration
	prevAt  time.Time
	prevBad bool
	total   time.Duration
	samples int // samples that saw it
}

// add records one sample taken at at.
func (w *window) add(at time.Time, bad bool) {
	if w.prevBad && !w.prevAt.IsZero() {
		w.total += min(at.Sub(w.prevAt), w.cap)
	}
	w.prevAt, w.prevBad = at, bad
	if bad {
		w.samples++
	}
}

// close counts the last sample's share, as if one more came after step.
func (w *window) close(step time.Duration) time.Duration {
	if w.prevBad {
		w.total += min(step, w.cap)
		w.prevBad = false
	}
	return w.total
}

// Summary of convergence times.
func medianMax(xs []float64) (median, maximum float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		median = s[n/2]
	} else {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	return median, s[n-1]
}
