package dbctl

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/gtid"
)

// WaitForGTID waits until this replica has applied every transaction of
// set, at most timeout: MariaDB MASTER_GTID_WAIT (a position as
// gtid.MariaDBPos prints it; it waits for the applied @@gtid_slave_pos,
// not what the IO thread received) or MySQL WAIT_FOR_EXECUTED_GTID_SET
// (a gtid.MySQLSet; it waits for @@gtid_executed). It returns nil when
// applied, ErrWaitTimeout when the timeout passed first, ErrReplicaStopped
// when the server answered NULL, ErrInvalid for a malformed set.
//
// The timeout runs on the server. ctx bounds the call as well: if it ends
// first, the wait is killed on the server and ctx's error returned. The
// timeout must be shorter than the connection's read timeout (Open).
//
// Privilege: none (MariaDB 10.11 and MySQL 8).
func (s *Server) WaitForGTID(ctx context.Context, set string, timeout time.Duration) error {
	op := "wait for gtid " + set
	canonical, err := s.canonicalGTID(set)
	if err != nil {
		return fmt.Errorf("dbctl: %s: %w: %w", op, ErrInvalid, err)
	}
	secs, err := s.waitSeconds(timeout, s.st.waitGTIDFractional)
	if err != nil {
		return fmt.Errorf("dbctl: %s: %w", op, err)
	}
	var res sql.NullInt64
	err = s.onConn(ctx, func(c *sql.Conn) error {
		return c.QueryRowContext(ctx, s.st.waitGTID, canonical, secs).Scan(&res)
	})
	switch {
	case err != nil:
		return wrap(op, err)
	case !res.Valid:
		return wrap(op, ErrReplicaStopped)
	case res.Int64 == s.st.waitGTIDTimedOut:
		return wrap(op, fmt.Errorf("%w after %v", ErrWaitTimeout, timeout))
	}
	return nil
}

// WaitForPosition waits until this replica has applied its source's binary
// log up to file:pos (MASTER_POS_WAIT; SOURCE_POS_WAIT on MySQL 8.0.26+),
// at most timeout, rounded up to whole seconds: the server reads a
// fractional timeout as 0, which means forever. It returns nil when
// reached, ErrWaitTimeout when the timeout passed first, and
// ErrReplicaStopped when the server answered NULL: the SQL thread is not
// running, stopped while waiting, or no source is configured. ctx bounds
// it as in WaitForGTID.
//
// Privilege: none (MariaDB 10.11); MySQL 8: none.
func (s *Server) WaitForPosition(ctx context.Context, file string, pos uint64, timeout time.Duration) error {
	op := fmt.Sprintf("wait for position %s:%d", file, pos)
	if file == "" {
		return fmt.Errorf("dbctl: %s: %w: empty file name", op, ErrInvalid)
	}
	secs, err := s.waitSeconds(timeout, false)
	if err != nil {
		return fmt.Errorf("dbctl: %s: %w", op, err)
	}
	var res sql.NullInt64
	err = s.onConn(ctx, func(c *sql.Conn) error {
		return c.QueryRowContext(ctx, s.st.waitPos, file, pos, secs).Scan(&res)
	})
	switch {
	case err != nil:
		return wrap(op, err)
	case !res.Valid:
		return wrap(op, ErrReplicaStopped)
	case res.Int64 == -1:
		return wrap(op, fmt.Errorf("%w after %v", ErrWaitTimeout, time.Duration(secs*float64(time.Second))))
	}
	return nil
}

// canonicalGTID checks set with the flavour's parser and returns its
// canonical form.
func (s *Server) canonicalGTID(set string) (string, error) {
	if s.flavor == MariaDB {
		p, err := gtid.ParseMariaDB(set)
		return p.String(), err
	}
	p, err := gtid.ParseMySQL(set)
	return p.String(), err
}

// waitSeconds turns a wait timeout into the seconds the server takes.
func (s *Server) waitSeconds(timeout time.Duration, fractional bool) (float64, error) {
	if timeout <= 0 {
		return 0, fmt.Errorf("%w: timeout %v must be positive (the server reads 0 as forever)", ErrInvalid, timeout)
	}
	if s.readTimeout > 0 && timeout+time.Second > s.readTimeout {
		return 0, fmt.Errorf("%w: timeout %v must be at least 1s below the connection's read timeout %v", ErrInvalid, timeout, s.readTimeout)
	}
	secs := timeout.Seconds()
	if !fractional {
		secs = math.Ceil(secs)
	}
	return secs, nil
}
