package checks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// SemisyncReader connects to MySQL and reads its semisync state
// (dbctl.ErrNoSemisync when it has none); a failure to connect or log in
// is a *ConnectError.
type SemisyncReader interface {
	Semisync(ctx context.Context) (dbctl.SemisyncStatus, error)
}

// Semisync checks the writer's semisynchronous replication, for the
// coordinator: the master side enabled and active (commits wait for an
// ACK), with at least MinClients semisync replicas connected. MariaDB
// says ON with no replica when rpl_semi_sync_master_wait_no_slave=OFF,
// hence the count.
type Semisync struct {
	Server     SemisyncReader
	Timeout    time.Duration
	MinClients int // semisync_min_clients; 0: not required, always OK
}

var _ Check = Semisync{}

// Name returns "semisync".
func (Semisync) Name() string { return "semisync" }

// Run reads the semisync state once (not at all when MinClients is 0).
func (c Semisync) Run(ctx context.Context) Result {
	return run(ctx, c.Name(), c.Timeout, func(ctx context.Context) (Status, string) {
		if c.MinClients <= 0 {
			return StatusOK, "Semisync is not required (semisync_min_clients 0)"
		}
		st, err := c.Server.Semisync(ctx)
		switch {
		case errors.Is(err, dbctl.ErrNoSemisync):
			return StatusFailed, "Semisync is not available on this server"
		case err != nil:
			return queryError(ctx, err)
		case !st.MasterEnabled:
			return StatusFailed, "Semisync is disabled (rpl_semi_sync_master_enabled is OFF)"
		case !st.MasterActive:
			return StatusFailed, fmt.Sprintf("Semisync is enabled but off: commits do not wait for a replica "+
				"(switched off %d times, %d commits without ACK)", st.NoTimes, st.NoTx)
		case st.Clients < uint64(c.MinClients):
			return StatusFailed, fmt.Sprintf("Semisync has %d clients, needs at least %d", st.Clients, c.MinClients)
		}
		return StatusOK, fmt.Sprintf("Semisync is on with %d clients", st.Clients)
	})
}
