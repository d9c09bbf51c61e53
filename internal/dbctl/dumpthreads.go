package dbctl

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
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
	n := 0
	err := s.onConn(ctx, func(c *sql.Conn) error {
		rs, err := c.QueryContext(ctx, "SELECT ID FROM information_schema.PROCESSLIST"+
			" WHERE COMMAND LIKE 'Binlog Dump%' AND (HOST = ? OR HOST LIKE CONCAT(?, ':%'))", host, host)
		if err != nil {
			return err
		}
		var ids []uint64
		for rs.Next() {
			var id uint64
			if err := rs.Scan(&id); err != nil {
				rs.Close()
				return err
			}
			ids = append(ids, id)
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			_, err := c.ExecContext(ctx, "KILL CONNECTION "+strconv.FormatUint(id, 10))
			switch {
			case err == nil:
				n++
			case sentinelFor(mysqlErrno(err)) == errUnknownThread: // it ended by itself
			default:
				return err
			}
		}
		return nil
	})
	if err != nil {
		return n, wrap(fmt.Sprintf("kill the dump threads of %s", host), err)
	}
	return n, nil
}
