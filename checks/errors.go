package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// Sentinel errors, compared with errors.Is.
var (
	// ErrUnknownCheck: New was given a name it does not build.
	ErrUnknownCheck = errors.New("unknown check")
	// ErrNoCredentials: the host has neither monitor_user nor agent_user.
	ErrNoCredentials = errors.New("no MySQL account for the checks")
	// ErrInvalid: a malformed argument (a status name, a target).
	ErrInvalid = errors.New("invalid argument")
	// ErrNoICMP: this process can open neither an unprivileged ping socket
	// nor a raw socket.
	ErrNoICMP = errors.New("ICMP echo is not available")
	// ErrNoAnswer: the host did not answer a ping before the deadline.
	ErrNoAnswer = errors.New("no answer")
)

// ConnectError is a failure to connect to MySQL or to log in. The checks
// report it with MMM's text; the mysql check fails on it, the replication
// checks say UNKNOWN (mysqld being down is the mysql check's business).
type ConnectError struct {
	Addr string // ip:port or the socket path
	User string
	Err  error // wraps dbctl's sentinels (access denied, too many connections)
}

func (e *ConnectError) Error() string {
	return fmt.Sprintf("Connect error (host = %s, user = %s)! %v", e.Addr, e.User, e.Err)
}

func (e *ConnectError) Unwrap() error { return e.Err }

// IsConnectError reports whether err says that no connection to the
// server could be had or kept, rather than that a statement failed: a
// *ConnectError (connect or login failed), a network error (a net.Error:
// dialling, reading or writing the socket, or a deadline that ended it),
// or the driver's invalid connection (the socket closed under a
// statement). The checks, the coordinator's inspection and its
// connection pools all judge connections by it.
func IsConnectError(err error) bool {
	var ce *ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, mysql.ErrInvalidConn)
}

// timedOut reports whether err is a deadline: the context's, a socket
// deadline, or a connection the driver closed because ctx expired.
func timedOut(ctx context.Context, err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(ctx.Err(), context.DeadlineExceeded)
}

// cancelled reports whether the caller gave up (not a deadline).
func cancelled(ctx context.Context, err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(ctx.Err(), context.Canceled)
}

// detail is err's text for a message, without this package's prefix.
func detail(err error) string { return strings.TrimPrefix(err.Error(), "checks: ") }

// serverError is the server's own error in err ("Error 1040 (08004): Too
// many connections"), or err's text when the server said nothing.
func serverError(err error) string {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Error()
	}
	return detail(err)
}

// tooManyConnections is MMM's message for 1040: the server's error, and
// where it came from.
func tooManyConnections(err error) string {
	msg := "Too many connections! " + serverError(err)
	var ce *ConnectError
	if errors.As(err, &ce) {
		msg += fmt.Sprintf(" (host = %s, user = %s)", ce.Addr, ce.User)
	}
	return msg
}

// queryError judges a failed query of a check that is not the mysql
// check: it cannot connect (UNKNOWN: the mysql check reports a dead
// server; MMM did the same), the caller gave up, the deadline passed, or
// the statement failed (UNKNOWN, as MMM's "Execute error").
func queryError(ctx context.Context, err error) (Status, string) {
	var ce *ConnectError
	switch {
	case cancelled(ctx, err):
		return StatusUnknown, "Error occurred: check cancelled"
	case errors.As(err, &ce):
		return StatusUnknown, ce.Error()
	case timedOut(ctx, err):
		return StatusFailed, "Timeout"
	}
	return StatusUnknown, "Unknown state. Execute error: " + detail(err)
}
