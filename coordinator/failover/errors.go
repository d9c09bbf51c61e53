package failover

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; compare with errors.Is. "Permanent" ones cannot be
// fixed by running the same step again without a change in the cluster
// (the coordinator records them as failed at once and alerts).
var (
	// ErrUnreachable: a host the step needs did not answer.
	ErrUnreachable = errors.New("host unreachable")
	// ErrCatchUpIncomplete: the candidate still lacks transactions that a
	// reachable host has (or its own relay log holds) when the catch-up
	// timeout ran out, and the policy is refuse. The result's Missing
	// lists them. Retrying may help (a slow applier), so not permanent;
	// the coordinator alerts.
	ErrCatchUpIncomplete = errors.New("catch-up incomplete")
	// ErrNotFailoverTarget (permanent): the candidate has no binary log or
	// runs without log_slave_updates.
	ErrNotFailoverTarget = errors.New("not a failover target")
	// ErrNotCaughtUp: Promote found events received but not applied and
	// could not apply them in time; writes stay closed.
	ErrNotCaughtUp = errors.New("relay log not applied")
	// ErrStillReplicating: the SQL thread did not stop; writes stay
	// closed.
	ErrStillReplicating = errors.New("replication did not stop")
	// ErrErrant (permanent): the host has transactions the writer lacks.
	// The error is an *ErrantError listing them.
	ErrErrant = errors.New("errant transactions")
	// ErrNoSafePosition (permanent): the replica replicates by file and
	// position and no GTID is available, so its equivalent position on the
	// new master cannot be computed (MMM's "current position of the new
	// master" is never used).
	ErrNoSafePosition = errors.New("no safe replication position")
	// ErrNotRunning: replication threads did not both run before the
	// context ended; the last errors are included.
	ErrNotRunning = errors.New("replication not running")
	// ErrNoCandidate: MostComplete was given no eligible host.
	ErrNoCandidate = errors.New("no eligible candidate")
	// ErrInvalid: bad options or arguments.
	ErrInvalid = errors.New("invalid argument")
)

// ErrantError reports transactions Host has that Writer lacks: the
// rejoin (or repoint) is refused and the host must not become ONLINE
// automatically. Each GTID is the last one Host has of a stream the
// writer is behind on (MariaDB: per domain and server id; MySQL: the
// missing intervals).
type ErrantError struct {
	Host, Writer string
	GTIDs        []string
}

func (e *ErrantError) Error() string {
	return fmt.Sprintf("%v: %s has %s that %s lacks; rejoin refused (inspect, then rebuild %s or apply them on %s)",
		ErrErrant, e.Host, strings.Join(e.GTIDs, ", "), e.Writer, e.Host, e.Writer)
}

// Is makes errors.Is(err, ErrErrant) hold.
func (e *ErrantError) Is(target error) bool { return target == ErrErrant }
