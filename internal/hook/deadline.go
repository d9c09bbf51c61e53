package hook

import (
	"strings"
	"time"
)

// Budget is the time the work gets out of a hook's deadline d: the rest
// is for writing the outcome and exiting.
func Budget(d time.Duration) time.Duration { return d - reserve(d) }

// HardDeadline is when main gives up on the work: half of the reserve
// after the budget.
func HardDeadline(d time.Duration) time.Duration { return d - reserve(d)/2 }

func reserve(d time.Duration) time.Duration { return min(d/10, 50*time.Millisecond) }

// OneLine folds a multi-line error (the configuration lists every problem
// on its own line) into the one line a hook prints.
func OneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}
