package coordinator

import (
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// Timing is the schedule of the monitor's checks. It can change at run
// time (SIGHUP): the next round uses the new one.
type Timing struct {
	Checks map[fsm.Check]CheckTiming
}

// TimingFromConfig reads check_period and timeout of the four checks.
func TimingFromConfig(c *config.Config) *Timing {
	t := &Timing{Checks: map[fsm.Check]CheckTiming{}}
	for _, ch := range fsm.AllChecks {
		ct := CheckTiming{Period: 5 * time.Second, Timeout: 2 * time.Second}
		if cc := c.Checks[ch.String()]; cc != nil {
			ct = CheckTiming{Period: cc.CheckPeriod, Timeout: cc.Timeout}
		}
		if ct.Period <= 0 {
			ct.Period = time.Second
		}
		t.Checks[ch] = ct
	}
	return t
}

// base is the monitor's round period: the shortest check_period.
func (t *Timing) base() time.Duration {
	b := time.Duration(0)
	for _, ct := range t.Checks {
		if b == 0 || ct.Period < b {
			b = ct.Period
		}
	}
	if b <= 0 {
		b = time.Second
	}
	return b
}
