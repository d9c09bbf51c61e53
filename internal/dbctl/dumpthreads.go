package dbctl

import (
	"context"
	"fmt"
)

// KillDumpThreads ends the binlog dump threads this server (a master)
// runs for replicas connected from host (an IP address, as the
// processlist's Host shows it before the port), and returns how many it
// killed. A dump thread whose replica vanished without a reset (a host
// cut off, a network down) stays blocked writing to it until TCP gives
// up, which takes many seconds after a long cut; when that replica
// connects again, the new dump thread must first get rid of the old one,
// and the lab saw the whole server stop answering new connections for 3
// to 5 s meanwhile — long enough to fail the writer's checks. KILL
// CONNECTION shuts the stale thread's socket down, which ends its write
// at once. Call it before the replica's IO thread connects.
//
// Privilege: PROCESS (to see the threads) and CONNECTION ADMIN (SUPER).
func (s *Server) KillDumpThreads(ctx context.Context, host string) (int, error) {
	n, err := s.killThreads(ctx, "COMMAND LIKE 'Binlog Dump%' AND (HOST = ? OR HOST LIKE CONCAT(?, ':%'))", host, host)
	if err != nil {
		return n, wrap(fmt.Sprintf("kill the dump threads of %s", host), err)
	}
	return n, nil
}
