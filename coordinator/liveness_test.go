package coordinator

import (
	"strings"
	"testing"
	"time"
)

// TestLiveness: a loop that has not started is not stalled; one that went
// round recently is not; one silent past its bound is, the monitor's
// bound growing with a long check period.
func TestLiveness(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	var l liveness
	if s := l.stalled(t0, time.Second); s != "" {
		t.Errorf("nothing running: %q", s)
	}
	l.beat(&l.track, t0)
	l.beat(&l.monitor, t0)
	if s := l.stalled(t0.Add(9*time.Second), time.Second); s != "" {
		t.Errorf("9 s after a round: %q", s)
	}
	if s := l.stalled(t0.Add(11*time.Second), time.Second); !strings.Contains(s, "track loop") {
		t.Errorf("track silent 11 s: %q", s)
	}
	l.beat(&l.track, t0.Add(11*time.Second))
	if s := l.stalled(t0.Add(11*time.Second), time.Second); !strings.Contains(s, "monitor loop") {
		t.Errorf("monitor silent 11 s with 1 s rounds: %q", s)
	}
	if s := l.stalled(t0.Add(11*time.Second), 5*time.Second); s != "" {
		t.Errorf("monitor silent 11 s with 5 s rounds (25 s allowed): %q", s)
	}
	l.monitor.Store(0) // no longer the leader
	if s := l.stalled(t0.Add(11*time.Second), time.Second); s != "" {
		t.Errorf("monitor stopped: %q", s)
	}
}
