// Package chaos is the chaos campaign (make chaos, test/cmd/mmm-chaos, and
// the short campaign of test/integration/chaos): one lab with the whole
// stack, one application inserting through the writer VIP all along, and
// a seeded sequence of faults — crashes, freezes, dead hosts, cut links,
// partitions, stopped replication, killed daemons, two at once. After
// each fault is reversed the campaign acts as an MMM operator (set_online
// of every host in AWAITING_RECOVERY) and measures how long the cluster
// takes to satisfy every invariant again; a sampler checks all along that
// no two servers are writable and no two live hosts hold the writer VIP;
// at the end every acknowledged row must be on every server and no
// server may hold a transaction the writer lacks.
package chaos

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Kind is one type of fault.
type Kind uint8

const (
	KindUnknown     Kind = iota
	MySQLKill            // SIGKILL of a mysqld, started again after the hold
	MySQLStop            // clean shutdown of a mysqld, started again after the hold
	MySQLFreeze          // SIGSTOP of a mysqld for the hold, then SIGCONT
	HostKill             // a host dies (cable, then every process); revived after the hold
	NetDown              // a host's eth0 down for the hold
	CutOff               // a host cut at L3 from the other hosts, app still reaches it
	PartitionAll         // db1, db2, db3 isolated from each other: no majority anywhere
	ReplStop             // STOP SLAVE IO_THREAD or SQL_THREAD on a replica
	CoordinatorKill      // SIGKILL of a coordinator, restarted after the hold
	KeepalivedKill       // SIGKILL of keepalived, restarted after the hold
	WriterAndLeader      // the writer's mysqld and the raft leader's coordinator killed at once
)

var kindNames = map[Kind]string{
	MySQLKill: "mysqld-kill", MySQLStop: "mysqld-stop", MySQLFreeze: "mysqld-freeze",
	HostKill: "host-kill", NetDown: "net-down", CutOff: "cut-off", PartitionAll: "partition-all",
	ReplStop: "repl-stop", CoordinatorKill: "coordinator-kill", KeepalivedKill: "keepalived-kill",
	WriterAndLeader: "writer+leader-kill",
}

func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return "unknown"
}

// ParseKind parses a kind's name (mysqld-kill, cut-off, …).
func ParseKind(name string) (Kind, error) {
	for k, n := range kindNames {
		if n == name {
			return k, nil
		}
	}
	return KindUnknown, fmt.Errorf("chaos: unknown fault %q (%s)", name, strings.Join(KindNames(), ", "))
}

// KindNames lists the kinds' names in DefaultWeights' order.
func KindNames() []string {
	var out []string
	for _, w := range DefaultWeights {
		out = append(out, w.Kind.String())
	}
	return out
}

// Without returns weights with the given kinds left out (weight 0): a
// long campaign can go on past a failure already found and understood.
func Without(weights []Weight, skip ...Kind) []Weight {
	out := slices.Clone(weights)
	for i := range out {
		if slices.Contains(skip, out[i].Kind) {
			out[i].Weight = 0
		}
	}
	return out
}

// Weight is how often a kind is drawn, out of the sum of all weights.
type Weight struct {
	Kind   Kind
	Weight int
}

// DefaultWeights favour the faults that move the writer: a crash of its
// mysqld is the commonest incident, a partition of all three the rarest.
var DefaultWeights = []Weight{
	{MySQLKill, 12}, {MySQLStop, 8}, {MySQLFreeze, 10}, {HostKill, 10}, {NetDown, 10},
	{CutOff, 10}, {PartitionAll, 6}, {ReplStop, 8}, {CoordinatorKill, 10},
	{KeepalivedKill, 8}, {WriterAndLeader, 8},
}

// Pick says which host a fault hits, resolved when it is injected (the
// writer moves during a campaign, so the plan names roles, not hosts).
type Pick uint8

const (
	PickNone   Pick = iota // the fault names no single host (partition-all)
	PickWriter             // the active master
	PickOther0             // the first host that is not the writer (db order)
	PickOther1             // the second one
	PickLeader             // the raft leader's host
	PickPeer               // the writer's peer (the passive master)
)

func (p Pick) String() string {
	return [...]string{"", "writer", "other#0", "other#1", "leader", "peer"}[p]
}

// Fault is one step of a plan.
type Fault struct {
	Index  int // from 1
	Kind   Kind
	Pick   Pick
	Hold   time.Duration // how long the fault lasts before it is reversed
	Thread string        // ReplStop: "io" or "sql"
}

func (f Fault) String() string {
	s := fmt.Sprintf("#%d %s", f.Index, f.Kind)
	if f.Pick != PickNone {
		s += " " + f.Pick.String()
	}
	if f.Thread != "" {
		s += " " + f.Thread
	}
	return s + " " + f.Hold.String()
}

// PlanOptions shape a plan; zero fields take the defaults.
type PlanOptions struct {
	Weights []Weight // default DefaultWeights
	// WriterShare is the percentage of single-host faults aimed at the
	// writer (0: the default, 60; negative: none); the rest go to the
	// other hosts evenly.
	WriterShare int
	// MaxHold caps every hold (default 20 s): the short campaign of the
	// test suite uses less. Holds never go below MinHold (3 s; 5 s for a
	// freeze, which must outlast fence_timeout to matter) unless MaxHold
	// is lower still.
	MaxHold time.Duration
}

// Hold bounds (the campaign's brief: 3–20 s, a freeze 5–20 s).
const (
	MinHold        = 3 * time.Second
	MinFreezeHold  = 5 * time.Second
	DefaultMaxHold = 20 * time.Second
	holdStep       = 100 * time.Millisecond
)

// HoldBounds returns the range a kind's hold is drawn from.
func (o PlanOptions) HoldBounds(k Kind) (lo, hi time.Duration) {
	hi = o.MaxHold
	if hi <= 0 {
		hi = DefaultMaxHold
	}
	lo = MinHold
	if k == MySQLFreeze {
		lo = MinFreezeHold
	}
	return min(lo, hi), hi
}

// NewPlan draws n faults from seed: the same seed and options give the
// same plan.
func NewPlan(seed int64, n int, o PlanOptions) ([]Fault, error) {
	if n < 1 {
		return nil, fmt.Errorf("chaos: %d faults: want at least 1", n)
	}
	weights := o.Weights
	if len(weights) == 0 {
		weights = DefaultWeights
	}
	total := 0
	for _, w := range weights {
		if w.Weight < 0 || kindNames[w.Kind] == "" {
			return nil, fmt.Errorf("chaos: bad weight %d for %v", w.Weight, w.Kind)
		}
		total += w.Weight
	}
	if total == 0 {
		return nil, fmt.Errorf("chaos: every weight is 0")
	}
	share := o.WriterShare
	if share == 0 {
		share = 60
	}
	if share > 100 {
		return nil, fmt.Errorf("chaos: writer share %d%%: want at most 100", share)
	}
	share = max(share, 0)
	r := rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x6d6d6d2d6368616f))
	plan := make([]Fault, 0, n)
	for i := range n {
		f := Fault{Index: i + 1, Kind: drawKind(r, weights, total)}
		lo, hi := o.HoldBounds(f.Kind)
		steps := int64((hi - lo) / holdStep)
		f.Hold = lo + time.Duration(r.Int64N(steps+1))*holdStep
		switch f.Kind {
		case PartitionAll:
		case ReplStop:
			// A replica of the writer: the writer's own IO thread from
			// its peer is a replica's thread too, but MMM checks it the
			// same way; the other hosts are where it matters.
			f.Pick = []Pick{PickOther0, PickOther1}[r.IntN(2)]
			f.Thread = []string{"io", "sql"}[r.IntN(2)]
		case KeepalivedKill:
			// keepalived runs on the two masters only.
			f.Pick = PickPeer
			if r.IntN(100) < share {
				f.Pick = PickWriter
			}
		case CoordinatorKill:
			f.Pick = []Pick{PickLeader, PickLeader, PickWriter, PickOther0, PickOther1}[r.IntN(5)]
		case WriterAndLeader:
			f.Pick = PickWriter
		default:
			f.Pick = drawHost(r, share)
		}
		plan = append(plan, f)
	}
	return plan, nil
}

func drawKind(r *rand.Rand, weights []Weight, total int) Kind {
	x := r.IntN(total)
	for _, w := range weights {
		if x < w.Weight {
			return w.Kind
		}
		x -= w.Weight
	}
	return weights[len(weights)-1].Kind
}

// drawHost aims share percent at the writer, the rest at the others.
func drawHost(r *rand.Rand, share int) Pick {
	if r.IntN(100) < share {
		return PickWriter
	}
	return []Pick{PickOther0, PickOther1}[r.IntN(2)]
}
