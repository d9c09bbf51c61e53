package dbctl

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/go-sql-driver/mysql"
)

// killSettle is the pause between the KILL and the STOP SLAVE
// IO_THREAD of KillReplicaIO.
const killSettle = 5 * time.Millisecond

// KillReplicaIO stops the replica IO thread without waiting on its
// master: KILL CONNECTION of the thread, then STOP SLAVE IO_THREAD, both
// bounded by ctx; it reports whether it found a thread. STOP SLAVE
// IO_THREAD alone cannot be bounded on MariaDB: against a master that is
// gone (host dead, mysqld frozen) the IO thread, waiting for the
// master's next event, does not react to the statement's first wake-up,
// and the statement returned after 2.0 s in every lab trial; while it is
// pending it holds the replica's run lock, so a CHANGE MASTER or STOP
// SLAVE issued after it waits too. KILL alone does not end that wait
// either (the thread shows Command Killed, still "Waiting for master to
// send event", and SHOW SLAVE STATUS says Yes for seconds), but it marks
// the thread killed, and a STOP SLAVE IO_THREAD after it wakes the
// thread and returns within milliseconds. The STOP comes killSettle
// after the KILL: issued at once, its wake-up was still missed (2.0 s)
// in 2 to 10 of 30 trials against a frozen semisync master; 2 ms or more
// later, in none of 90.
//
// What the thread already wrote to the relay log stays there, as after
// STOP SLAVE IO_THREAD; the caller stops the SQL thread first when
// nothing more may be applied.
//
// MariaDB only (the thread is the processlist entry with Command
// Slave_IO; with multi-source replication every connection's IO thread);
// other flavours return ErrUnsupported and the caller uses
// StopReplication.
//
// Privilege: PROCESS (to see the thread), CONNECTION ADMIN (SUPER) and
// REPLICATION SLAVE ADMIN.
func (s *Server) KillReplicaIO(ctx context.Context) (bool, error) {
	if s.flavor != MariaDB {
		return false, fmt.Errorf("dbctl: kill replica IO thread: %w: %s", ErrUnsupported, s.flavor)
	}
	n, err := s.killThreads(ctx, "COMMAND = 'Slave_IO'")
	found := n > 0
	if err != nil {
		return found, wrap("kill replica IO thread", err)
	}
	if found {
		select {
		case <-ctx.Done():
			return found, wrap("kill replica IO thread", ctx.Err())
		case <-time.After(killSettle):
		}
	}
	return found, s.StopReplication(ctx, IOThread)
}

// killThreads kills, on one connection, every thread of the processlist
// that where (a condition on information_schema.PROCESSLIST, with args)
// selects, and returns how many it killed; one that ended by itself
// meanwhile is not an error.
func (s *Server) killThreads(ctx context.Context, where string, args ...any) (int, error) {
	n := 0
	err := s.onConn(ctx, func(c *sql.Conn) error {
		rs, err := c.QueryContext(ctx, "SELECT ID FROM information_schema.PROCESSLIST WHERE "+where, args...)
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
	return n, err
}

// ConnectionLost reports whether err says that the connection a
// statement ran on is gone rather than that the statement failed: the
// server killed it (KILL CONNECTION from another session: 1927, or the
// driver's "invalid connection" when the socket closed mid-statement),
// or the server went away (2006, 2013); on a *sql.Conn the statements
// after that one read "connection is already closed" (sql.ErrConnDone).
// The pool opens a new connection on the next call; a caller that
// expects to be killed (two fences on one server kill each other's
// sessions) retries at once instead of treating it as a failed
// operation.
func ConnectionLost(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
		return true
	}
	switch mysqlErrno(err) {
	case 1927, 2006, 2013:
		return true
	}
	return false
}
