package coordinator

import (
	"fmt"
	"sync/atomic"
	"time"
)

// liveness records when the coordinator's two loops that must never
// stall last went round: the track loop (every node: the writer's track
// file and lease, at least once a second) and the monitor loop (the
// leader: one round per check period). systemd's watchdog is petted only
// while both go round (Stalled), so that a stuck loop gets the process
// restarted instead of a coordinator that answers its API and does
// nothing.
type liveness struct {
	track, monitor atomic.Int64 // unix nanoseconds of the last round; 0: not running
}

func (l *liveness) beat(v *atomic.Int64, now time.Time) { v.Store(now.UnixNano()) }

// trackStall and monitorStall bound the time between two rounds of each
// loop; monitorStall grows with the check period (monitorRounds rounds).
const (
	trackStall    = 10 * time.Second
	monitorStall  = 10 * time.Second
	monitorRounds = 5
)

// stalled says which loop has not gone round for too long ("" when none):
// base is the monitor's round period.
func (l *liveness) stalled(now time.Time, base time.Duration) string {
	check := func(name string, v *atomic.Int64, limit time.Duration) string {
		last := v.Load()
		if last == 0 {
			return ""
		}
		if d := now.Sub(time.Unix(0, last)); d > limit {
			return fmt.Sprintf("the %s loop has not gone round for %v", name, d.Round(time.Second))
		}
		return ""
	}
	if s := check("track", &l.track, trackStall); s != "" {
		return s
	}
	return check("monitor", &l.monitor, max(monitorStall, monitorRounds*base))
}

// Stalled says which of the coordinator's loops is stuck, for the
// watchdog ("" when they all go round).
func (c *Coordinator) Stalled() string { return c.live.stalled(c.now(), c.timing().base()) }
