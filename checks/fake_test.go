package checks

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// fake implements every I/O interface of the package with canned
// answers. With block set it ignores ctx and waits until the test's
// release channel closes, as a driver stuck in a syscall would.
type fake struct {
	err      error
	replica  *dbctl.ReplicaStatus
	semisync dbctl.SemisyncStatus
	readOnly dbctl.ReadOnlyState
	block    chan struct{}
	calls    int
}

func (f *fake) wait(ctx context.Context) {
	f.calls++
	if f.block != nil {
		<-f.block
	}
}

func (f *fake) Ping(ctx context.Context, _ netip.Addr) error { f.wait(ctx); return f.err }
func (f *fake) Now(ctx context.Context) error                { f.wait(ctx); return f.err }

func (f *fake) ReplicaStatus(ctx context.Context) (*dbctl.ReplicaStatus, error) {
	f.wait(ctx)
	return f.replica, f.err
}

func (f *fake) Semisync(ctx context.Context) (dbctl.SemisyncStatus, error) {
	f.wait(ctx)
	return f.semisync, f.err
}

func (f *fake) ReadOnly(ctx context.Context) (dbctl.ReadOnlyState, error) {
	f.wait(ctx)
	return f.readOnly, f.err
}

// Errors as the adapters return them.
var (
	errRefusedConnect = &ConnectError{Addr: "/run/mysqld/mysqld.sock", User: "mmm_monitor",
		Err: errors.New("dial unix /run/mysqld/mysqld.sock: connect: connection refused")}
	errTooMany = &ConnectError{Addr: "/run/mysqld/mysqld.sock", User: "mmm_monitor",
		Err: dbctl.Classify(&mysql.MySQLError{Number: 1040, SQLState: state("08004"), Message: "Too many connections"})}
	errDeniedLogin = &ConnectError{Addr: "198.18.0.11:3306", User: "mmm_monitor",
		Err: dbctl.Classify(&mysql.MySQLError{Number: 1045, SQLState: state("28000"), Message: "Access denied for user 'mmm_monitor'@'198.18.0.30' (using password: YES)"})}
	errDeniedQuery = fmt.Errorf("dbctl: replica status: %w", dbctl.Classify(&mysql.MySQLError{Number: 1227, SQLState: state("42000"),
		Message: "Access denied; you need (at least one of) the SUPER, SLAVE MONITOR privilege(s) for this operation"}))
	errNotReplica = fmt.Errorf("dbctl: replica status: %w", dbctl.ErrNotReplica)
	errQuery      = &mysql.MySQLError{Number: 1146, SQLState: state("42S02"), Message: "Table 'x' doesn't exist"}
	errDeadline   = fmt.Errorf("dbctl: replica status: %w", context.DeadlineExceeded)
	errCanceled   = fmt.Errorf("dbctl: replica status: %w", context.Canceled)
)

// replica is a SHOW SLAVE STATUS.
func replica(io, sql dbctl.ThreadState, lag ...int64) *dbctl.ReplicaStatus {
	st := &dbctl.ReplicaStatus{IO: io, SQL: sql}
	if len(lag) > 0 {
		st.SecondsBehind.Int64, st.SecondsBehind.Valid = lag[0], true
	}
	return st
}

// clock is a settable fake clock.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func state(s string) (b [5]byte) { copy(b[:], s); return b }
