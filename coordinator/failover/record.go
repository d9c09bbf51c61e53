package failover

import (
	"fmt"
	"strings"
	"time"
)

// Step is one thing a step function did or decided, for the history.
type Step struct {
	Host string
	What string // e.g. "stop slave io_thread", "wait for 0-1-1001"
	Took time.Duration
	Err  string // "" = done
}

func (s Step) String() string {
	out := s.Host + ": " + s.What
	if s.Took > 0 {
		out += " (" + s.Took.Round(time.Millisecond).String() + ")"
	}
	if s.Err != "" {
		out += ": " + s.Err
	}
	return out
}

// Record is the ordered list of steps of one call and its duration.
type Record struct {
	Steps []Step
	Took  time.Duration
}

// String joins the steps with "; ".
func (r Record) String() string {
	parts := make([]string, len(r.Steps))
	for i, s := range r.Steps {
		parts[i] = s.String()
	}
	return strings.Join(parts, "; ")
}

// recorder appends steps to a Record with the runner's clock.
type recorder struct {
	clock Clock
	start time.Time
	rec   *Record
}

func (r *Runner) recorder(rec *Record) *recorder {
	return &recorder{clock: r.opts.Clock, start: r.opts.Clock.Now(), rec: rec}
}

// do runs fn as a step and records it with its duration and error.
func (rc *recorder) do(host, what string, fn func() error) error {
	t := rc.clock.Now()
	err := fn()
	s := Step{Host: host, What: what, Took: rc.clock.Now().Sub(t)}
	if err != nil {
		s.Err = err.Error()
	}
	rc.rec.Steps = append(rc.rec.Steps, s)
	return err
}

// note records a decision or an observation.
func (rc *recorder) note(host, format string, args ...any) {
	rc.rec.Steps = append(rc.rec.Steps, Step{Host: host, What: fmt.Sprintf(format, args...)})
}

// fail records a failed observation.
func (rc *recorder) fail(host, what string, err error) {
	rc.rec.Steps = append(rc.rec.Steps, Step{Host: host, What: what, Err: err.Error()})
}

// finish sets the record's duration.
func (rc *recorder) finish() { rc.rec.Took = rc.clock.Now().Sub(rc.start) }
