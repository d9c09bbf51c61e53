// Package failbench is the failover benchmark (make bench-failover): for
// each scenario — the writer's mysqld SIGKILLed or stopped, the writer's
// host dead, its network down 20 s, the passive master's replication
// stopped, a switchover — and each system — ours (keepalived with
// mmm-check, mmm-notify and the coordinators) and the classic setup DBAs
// deploy by hand (keepalived with a `mariadb-admin ping` check and a
// notify_master doing STOP SLAVE; SET GLOBAL read_only=0) — it runs trials
// in the lab and measures what a client on app sees:
//
//   - writer unavailable: the longest time between two acknowledged
//     inserts (one every 10 ms through the writer VIP) from the last one
//     before the fault to the end of the trial;
//   - acknowledged rows lost: acknowledged ids missing on the final
//     writer or on any other running server once it had time to catch up;
//   - two writable masters: the time db1 and db2 both had read_only=0
//     (sampled every 15 ms as root over their sockets);
//   - reader VIP gap: the longest time a reader VIP the failed host held
//     did not answer a TCP connect from app.
//
// Every trial builds a fresh lab (a few seconds) so that each starts from
// the same topology (writer db1) and no trial inherits another's damage;
// the two systems' trials alternate, so that both meet the same noise.
package failbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// Errors of the bench.
var (
	ErrUnknownScenario = errors.New("failbench: unknown scenario")
	ErrUnknownSystem   = errors.New("failbench: unknown system")
)

// Scenario names one fault.
type Scenario uint8

const (
	ScenarioUnknown Scenario = iota
	MySQLKill                // SIGKILL of the writer's mysqld
	MySQLStop                // clean shutdown of the writer's mysqld
	HostKill                 // the writer's host dies (cable, then every process)
	NetDown                  // the writer's eth0 down for 20 s
	ReplStop                 // STOP SLAVE IO_THREAD on the passive master
	Switchover               // a planned move of the writer to db2
	CutOff                   // the writer cut off at L3 from its cluster for 20 s; app still reaches it
	Freeze                   // the writer's mysqld stopped (SIGSTOP) for 15 s
)

// Scenarios lists the scenarios the bench runs by default, in order.
var Scenarios = []Scenario{MySQLKill, MySQLStop, HostKill, NetDown, ReplStop, Switchover}

// PatientScenarios are the faults where a client that waits seconds per
// statement (-attempt 10s) may wait on the old writer: run on request.
var PatientScenarios = []Scenario{CutOff, Freeze}

var scenarioNames = map[Scenario]string{
	MySQLKill: "mysqld-kill", MySQLStop: "mysqld-stop", HostKill: "host-kill",
	NetDown: "net-down-20s", ReplStop: "repl-stop", Switchover: "switchover",
	CutOff: "cut-off-20s", Freeze: "mysqld-freeze-15s",
}

// hold is how long a fault that heals by itself lasts (0: until the
// trial heals it).
func (s Scenario) hold() time.Duration {
	switch s {
	case NetDown, CutOff:
		return 20 * time.Second
	case Freeze:
		return 15 * time.Second
	}
	return 0
}

func (s Scenario) String() string {
	if n, ok := scenarioNames[s]; ok {
		return n
	}
	return "unknown"
}

// ParseScenario parses a scenario name.
func ParseScenario(name string) (Scenario, error) {
	for s, n := range scenarioNames {
		if n == name {
			return s, nil
		}
	}
	return ScenarioUnknown, fmt.Errorf("%w %q (%s)", ErrUnknownScenario, name, strings.Join(ScenarioNames(), ", "))
}

// ScenarioNames lists the scenarios' names: the default ones in run
// order, then the patient ones.
func ScenarioNames() []string {
	var out []string
	for _, s := range slices.Concat(Scenarios, PatientScenarios) {
		out = append(out, s.String())
	}
	return out
}

// victim is the host the fault hits: the writer, or for ReplStop the
// passive master (the classic test of MMM's rep_threads check).
func (s Scenario) victim() string {
	if s == ReplStop {
		return "db2"
	}
	return "db1"
}

// Options configure Run.
type Options struct {
	Prefix    string // lab prefix
	BinDir    string // make build's bin/ (ours needs every binary)
	Trials    int
	Scenarios []Scenario
	Systems   []string           // "ours", "classic"
	Interval  time.Duration      // between inserts
	Attempt   time.Duration      // bound of one insert, reconnect included
	LogDir    string             // when set, each trial's daemon logs are kept in LogDir/<system>-<scenario>-<n>/
	Semisync  lab.SemisyncLayout // the servers' my.cnf (lab.Options.Semisync)
	Profile   lab.Profile        // the cluster's timing (lab.Options.Profile)
	Logger    *slog.Logger
	Progress  io.Writer // one line per trial
}

// Run runs every trial and returns the results, also the ones done
// before an error (the caller still writes them).
func Run(ctx context.Context, o Options) (res Results, err error) {
	layout, err := lab.ParseSemisyncLayout(string(o.Semisync))
	if err != nil {
		return res, err
	}
	o.Semisync = layout
	if o.Profile, err = lab.ParseProfile(string(o.Profile)); err != nil {
		return res, err
	}
	res = Results{Started: time.Now().UTC(), Trials: o.Trials, Interval: o.Interval, Attempt: o.Attempt, Semisync: string(layout),
		Profile: string(o.Profile)}
	defer func() { res.Finished = time.Now().UTC() }()
	var systems []system
	for _, name := range o.Systems {
		s, err := newSystem(name, o)
		if err != nil {
			return res, err
		}
		systems = append(systems, s)
		res.Systems = append(res.Systems, SystemInfo{Name: s.name(), Description: s.describe()})
	}
	// Trial rounds outermost: a run cut short (Ctrl-C, the deadline) has
	// about as many trials of every scenario.
	for i := range o.Trials {
		for si, sc := range o.Scenarios {
			// Alternate which system goes first, so that neither always
			// runs right after the other's teardown.
			order := slices.Clone(systems)
			if (i+si)%2 == 1 {
				slices.Reverse(order)
			}
			for _, s := range order {
				if err := ctx.Err(); err != nil {
					return res, err
				}
				t, err := runTrial(ctx, o, s, sc, i+1)
				if ctx.Err() != nil {
					// Cut short (Ctrl-C): the trial is no result.
					return res, ctx.Err()
				}
				if err != nil {
					fmt.Fprintf(o.Progress, "%-8s %-13s %2d  FAILED: %v\n", s.name(), sc, i+1, err)
					t.Error = err.Error()
				} else {
					fmt.Fprintf(o.Progress, "%-8s %-13s %2d  %s\n", s.name(), sc, i+1, t)
				}
				res.Runs = append(res.Runs, t)
			}
		}
	}
	return res, nil
}
