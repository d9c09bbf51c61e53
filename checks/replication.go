package checks

import (
	"context"
	"errors"
	"fmt"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// ReplicaStatusReader connects to MySQL and reads SHOW SLAVE STATUS
// (dbctl.ErrNotReplica when none is configured); a failure to connect or
// log in is a *ConnectError.
type ReplicaStatusReader interface {
	ReplicaStatus(ctx context.Context) (*dbctl.ReplicaStatus, error)
}

// replicaError judges a failed SHOW SLAVE STATUS as MMM's rep_threads and
// rep_backlog do.
func replicaError(ctx context.Context, err error, user string) (Status, string) {
	switch {
	case cancelled(ctx, err):
		return StatusUnknown, "Error occurred: check cancelled"
	case errors.Is(err, dbctl.ErrNotReplica):
		return StatusFailed, "Replication is not set up"
	case errors.Is(err, dbctl.ErrAccessDenied) && !IsConnectError(err):
		return StatusFailed, fmt.Sprintf("The monitor user '%s' doesn't have the required REPLICATION CLIENT privilege "+
			"(SLAVE MONITOR on MariaDB 10.5+)! %s", user, serverError(err))
	}
	return queryError(ctx, err)
}

// threads renders both thread states as SHOW SLAVE STATUS shows them.
func threads(st *dbctl.ReplicaStatus) string {
	return fmt.Sprintf("Slave_IO_Running: %s, Slave_SQL_Running: %s", st.IO, st.SQL)
}
