package coordinator

import (
	"fmt"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// ActionID names a pending action by where the replicated log produced
// it, so that every replica gives it the same id: the raft index of the
// entry, the position of the input in that entry (one fsm.Step, whose
// actions form an ordered batch), and the action's position in the batch.
type ActionID struct {
	Index uint64
	Step  int
	Seq   int
}

func (id ActionID) String() string { return fmt.Sprintf("%d.%d.%d", id.Index, id.Step, id.Seq) }

// sameBatch reports whether two actions came out of the same fsm.Step.
func (id ActionID) sameBatch(o ActionID) bool { return id.Index == o.Index && id.Step == o.Step }

// Outcome is what became of one execution of an action. The zero value
// is invalid.
type Outcome uint8

const (
	OutcomeInvalid Outcome = iota
	// OutcomeOK: the executor succeeded; the action is done.
	OutcomeOK
	// OutcomeFailed: the executor failed for the last time (attempts
	// exhausted or ErrPermanent); the action is dropped.
	OutcomeFailed
	// OutcomeRetrying: the executor failed; the action stays pending
	// and runs again at RetryAt.
	OutcomeRetrying
	// OutcomeSkipped: no executor is installed for the action's kind,
	// or the executor decided not to act (ErrSkipped).
	OutcomeSkipped
	// OutcomeCancelled: dropped without running, because an earlier
	// action of its batch failed (an OpenWriter after a failed CatchUp
	// or Promote).
	OutcomeCancelled
)

var outcomeNames = []string{"invalid", "ok", "failed", "retrying", "skipped", "cancelled"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("invalid(%d)", uint8(o))
}

// ParseOutcome parses ok, failed, retrying, skipped or cancelled.
func ParseOutcome(s string) (Outcome, error) {
	for i, n := range outcomeNames[1:] {
		if n == s {
			return Outcome(i + 1), nil
		}
	}
	return OutcomeInvalid, fmt.Errorf("%w: outcome %q", ErrEncoding, s)
}

// MarshalText keeps log entries and snapshots readable.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText accepts what MarshalText wrote.
func (o *Outcome) UnmarshalText(b []byte) error {
	v, err := ParseOutcome(string(b))
	*o = v
	return err
}

// final reports whether the outcome removes the action from the pending
// list.
func (o Outcome) final() bool { return o != OutcomeRetrying && o != OutcomeInvalid }

// PendingAction is an action the state machine emitted that no leader
// has finished yet. The list is replicated: a new leader runs it again
// from the start (executors are idempotent).
type PendingAction struct {
	ID        ActionID
	Action    wireAction
	Kind      string
	Host      string    // the action's subject
	Text      string    // the action's String(), for history and logs
	Emitted   time.Time // leader's time of the entry that emitted it
	Attempts  int       // executions that failed so far
	NotBefore time.Time `json:",omitzero"` // retry backoff: not before this time
}

// Decode returns the fsm action.
func (p PendingAction) Decode() (fsm.Action, error) { return p.Action.decode() }

// ActionResult is what the leader commits after executing a pending
// action (or deciding not to).
type ActionResult struct {
	ID       ActionID
	Outcome  Outcome
	Attempt  int           // 1 for the first execution
	Duration time.Duration `json:",omitzero"`
	Error    string        `json:",omitempty"`
	RetryAt  time.Time     `json:",omitzero"` // OutcomeRetrying only
}
