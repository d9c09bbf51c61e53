package checks

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// Server reaches one MySQL server for the checks. Every call opens a
// connection of its own and closes it, as MMM's checker did: a pool would
// keep answering from an old connection while the server refuses new
// ones. Connect and login failures come back as *ConnectError; the
// errors keep dbctl's sentinels (ErrAccessDenied, ErrTooManyConnections,
// ErrNotReplica, ...). Safe for concurrent use.
type Server struct {
	cfg *mysql.Config
}

var (
	_ NowQuerier          = (*Server)(nil)
	_ ReplicaStatusReader = (*Server)(nil)
	_ SemisyncReader      = (*Server)(nil)
	_ ReadOnlyReader      = (*Server)(nil)
)

// NewServer returns a Server for cfg, which it copies. Build cfg with
// mysql.NewConfig (or Target.MySQLConfig), never from a DSN string with
// the password spliced in. The driver's logger is silenced: errors reach
// the caller, not stderr.
func NewServer(cfg *mysql.Config) *Server {
	c := cfg.Clone()
	c.Logger = &mysql.NopLogger{}
	return &Server{cfg: c}
}

// Addr is the server's address as messages show it: ip:port or the
// socket path.
func (s *Server) Addr() string { return s.cfg.Addr }

// ioSlack keeps the driver's own timeouts just behind ctx's deadline, so
// that the context, whose error is clear, ends a stuck call first; the
// timeouts still bound a call whose context has no deadline.
const ioSlack = 50 * time.Millisecond

// open connects and returns a pool of that one connection.
func (s *Server) open(ctx context.Context) (*sql.DB, error) {
	start := time.Now()
	c := s.cfg.Clone()
	d := DefaultTimeout
	if dl, ok := ctx.Deadline(); ok {
		d = time.Until(dl) + ioSlack
	}
	c.Timeout, c.ReadTimeout, c.WriteTimeout = d, d, d
	connector, err := mysql.NewConnector(c)
	if err != nil {
		return nil, &ConnectError{Addr: s.cfg.Addr, User: s.cfg.User, Err: err}
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		if timedOut(ctx, err) {
			err = fmt.Errorf("timed out after %v: %w", time.Since(start).Round(time.Millisecond), err)
		}
		return nil, &ConnectError{Addr: s.cfg.Addr, User: s.cfg.User, Err: dbctl.Classify(err)}
	}
	conn.Close() // back to the pool, where the next statement finds it
	return db, nil
}

// Now connects and runs SELECT NOW(), MMM's mysql probe.
func (s *Server) Now(ctx context.Context) error {
	db, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	var now string
	err = db.QueryRowContext(ctx, "SELECT NOW()").Scan(&now)
	return dbctl.Classify(err)
}

// dbctlServer connects and detects the flavour.
func (s *Server) dbctlServer(ctx context.Context) (*dbctl.Server, func(), error) {
	db, err := s.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	srv, err := dbctl.New(ctx, db)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return srv, func() { db.Close() }, nil
}

// ReplicaStatus connects and reads SHOW SLAVE STATUS.
func (s *Server) ReplicaStatus(ctx context.Context) (*dbctl.ReplicaStatus, error) {
	srv, done, err := s.dbctlServer(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	return srv.ReplicaStatus(ctx)
}

// Semisync connects and reads the semisync variables and counters.
func (s *Server) Semisync(ctx context.Context) (dbctl.SemisyncStatus, error) {
	srv, done, err := s.dbctlServer(ctx)
	if err != nil {
		return dbctl.SemisyncStatus{}, err
	}
	defer done()
	return srv.Semisync(ctx)
}

// ReadOnly connects and reads read_only (and super_read_only).
func (s *Server) ReadOnly(ctx context.Context) (dbctl.ReadOnlyState, error) {
	srv, done, err := s.dbctlServer(ctx)
	if err != nil {
		return dbctl.ReadOnlyState{}, err
	}
	defer done()
	return srv.ReadOnly(ctx)
}
