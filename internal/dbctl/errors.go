package dbctl

import (
	"errors"
	"fmt"

	"github.com/go-sql-driver/mysql"
)

// Sentinel errors, compared with errors.Is. Errors returned by this package
// read "dbctl: <operation>: <sentinel>: <server error>"; the server's error
// (*mysql.MySQLError, with its number) stays reachable with errors.As.
var (
	// ErrAccessDenied: the account lacks a privilege or the password is
	// wrong (1044, 1045, 1095, 1142, 1143, 1227; see doc.go for the
	// privileges each operation needs).
	ErrAccessDenied = errors.New("access denied")
	// ErrTooManyConnections: max_connections (1040) or the account's
	// max_user_connections (1203; MariaDB says 1226, which also covers the
	// other per-account resource limits) is reached.
	ErrTooManyConnections = errors.New("too many connections")
	// ErrNotReplica: the server has no replication source configured
	// (SHOW SLAVE STATUS is empty, or 1200).
	ErrNotReplica = errors.New("not a replica")
	// ErrReplicaRunning: the operation needs both replication threads
	// stopped (1198).
	ErrReplicaRunning = errors.New("replication is running; stop it first")
	// ErrReplicaStopped: a position wait returned NULL because the SQL
	// thread is not running (or stopped while waiting).
	ErrReplicaStopped = errors.New("replication SQL thread is not running")
	// ErrWaitTimeout: a wait ended at its server-side timeout before the
	// replica reached the position or GTID set.
	ErrWaitTimeout = errors.New("wait timed out")
	// ErrInterrupted: the statement was killed (1317), e.g. after the
	// context ended.
	ErrInterrupted = errors.New("statement interrupted")
	// ErrNoBinlog: binary logging is off (SHOW MASTER STATUS is empty).
	ErrNoBinlog = errors.New("binary logging is off")
	// ErrNoSemisync: the server has no semisynchronous replication
	// variables (MySQL without the semisync plugins).
	ErrNoSemisync = errors.New("semisync replication is not available")
	// ErrUnsupported: a flavour or version this package does not drive.
	ErrUnsupported = errors.New("unsupported server")
	// ErrNotApplied: a setting read back differs from what was just set.
	ErrNotApplied = errors.New("setting not applied")
	// ErrInvalid: an argument is out of range or malformed.
	ErrInvalid = errors.New("invalid argument")
)

// errUnknownThread (1094): KILL of a connection that has already gone.
var errUnknownThread = errors.New("unknown thread")

// sentinelFor maps MySQL/MariaDB error numbers to sentinels.
func sentinelFor(number uint16) error {
	switch number {
	case 1044, 1045, 1095, 1142, 1143, 1227:
		return ErrAccessDenied
	case 1040, 1203, 1226:
		return ErrTooManyConnections
	case 1198:
		return ErrReplicaRunning
	case 1200:
		return ErrNotReplica
	case 1317:
		return ErrInterrupted
	case 1094:
		return errUnknownThread
	}
	return nil
}

// wrap prefixes err with the package and operation and adds the sentinel
// its server error number maps to. A nil err stays nil.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		if s := sentinelFor(me.Number); s != nil && !errors.Is(err, s) {
			return fmt.Errorf("dbctl: %s: %w: %w", op, s, err)
		}
	}
	return fmt.Errorf("dbctl: %s: %w", op, err)
}

// withheld replaces the message of a server error by a notice, keeping its
// number and SQLSTATE. Used for statements that carry a password: a syntax
// error (1064) quotes the statement "near ...", and the statement text
// must never reach an error or a log.
func withheld(err error) error {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return err
	}
	return &mysql.MySQLError{Number: me.Number, SQLState: me.SQLState,
		Message: "(server message withheld: the statement carries a password)"}
}
