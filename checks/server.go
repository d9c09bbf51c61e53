package checks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
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
//
// A persistent Server (NewPersistentServer) keeps one small pool open
// between calls instead, and drops it on any failure but an answer (the
// next call connects afresh): for the checks whose point is what the
// server says, not that a new client can log in — a monitor that probes
// every second must not open a connection per check. Now always
// connects afresh: that is what the mysql check proves. A persistent
// Server also shares one SHOW SLAVE STATUS among the callers of a round
// (replicaShare).
type Server struct {
	cfg        *mysql.Config
	persistent bool

	mu  sync.Mutex
	srv *dbctl.Server // the persistent pool with its flavour; nil = none
	db  *sql.DB

	share replicaShare
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

// NewPersistentServer is NewServer keeping its connection between calls
// (see Server). Close releases it.
func NewPersistentServer(cfg *mysql.Config) *Server {
	s := NewServer(cfg)
	s.persistent = true
	return s
}

// Close closes a persistent Server's pool; the next call opens a new one.
func (s *Server) Close() error {
	s.mu.Lock()
	db := s.db
	s.srv, s.db = nil, nil
	s.mu.Unlock()
	s.share.forget()
	if db == nil {
		return nil
	}
	return db.Close()
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

// Now connects and runs SELECT NOW(), MMM's mysql probe: always on a
// fresh connection, also for a persistent Server.
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

// dbctlServer connects and detects the flavour, or hands out the
// persistent pool. done releases it with the call's error: a fresh
// connection is closed; the persistent pool is dropped unless the call
// succeeded or the server answered it (answered).
func (s *Server) dbctlServer(ctx context.Context) (srv *dbctl.Server, done func(error), err error) {
	if !s.persistent {
		db, err := s.open(ctx)
		if err != nil {
			return nil, nil, err
		}
		srv, err := dbctl.New(ctx, db)
		if err != nil {
			db.Close()
			return nil, nil, err
		}
		return srv, func(error) { db.Close() }, nil
	}
	// Held while connecting: the checks of one host share one pool.
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		db, err := s.open(ctx)
		if err != nil {
			return nil, nil, err
		}
		db.SetMaxOpenConns(2) // rep_threads and rep_backlog run at once
		db.SetMaxIdleConns(2)
		srv, err := dbctl.New(ctx, db)
		if err != nil {
			db.Close()
			return nil, nil, err
		}
		s.srv, s.db = srv, db
	}
	srv = s.srv
	return srv, func(err error) {
		if answered(err) {
			return
		}
		s.mu.Lock()
		dropped := s.srv == srv
		if dropped {
			s.db.Close()
			s.srv, s.db = nil, nil
		}
		s.mu.Unlock()
		if dropped {
			s.share.forget()
		}
	}, nil
}

// answered tells a call the server answered (also "not a replica", "no
// semisync") from a failure that may leave the connection unusable.
func answered(err error) bool {
	return err == nil || errors.Is(err, dbctl.ErrNotReplica) || errors.Is(err, dbctl.ErrNoSemisync)
}

// ReplicaStatus connects and reads SHOW SLAVE STATUS. A persistent
// Server shares one reading among the callers of a round (replicaShare).
func (s *Server) ReplicaStatus(ctx context.Context) (*dbctl.ReplicaStatus, error) {
	if s.persistent {
		return s.share.get(ctx, s.replicaStatus)
	}
	return s.replicaStatus(ctx)
}

func (s *Server) replicaStatus(ctx context.Context) (*dbctl.ReplicaStatus, error) {
	srv, done, err := s.dbctlServer(ctx)
	if err != nil {
		return nil, err
	}
	st, err := srv.ReplicaStatus(ctx)
	done(err)
	return st, err
}

// Semisync connects and reads the semisync variables and counters.
func (s *Server) Semisync(ctx context.Context) (dbctl.SemisyncStatus, error) {
	srv, done, err := s.dbctlServer(ctx)
	if err != nil {
		return dbctl.SemisyncStatus{}, err
	}
	st, err := srv.Semisync(ctx)
	done(err)
	return st, err
}

// ReadOnly connects and reads read_only (and super_read_only).
func (s *Server) ReadOnly(ctx context.Context) (dbctl.ReadOnlyState, error) {
	srv, done, err := s.dbctlServer(ctx)
	if err != nil {
		return dbctl.ReadOnlyState{}, err
	}
	st, err := srv.ReadOnly(ctx)
	done(err)
	return st, err
}

// GTIDState connects and reads the GTID system variables.
func (s *Server) GTIDState(ctx context.Context) (dbctl.GTIDState, error) {
	srv, done, err := s.dbctlServer(ctx)
	if err != nil {
		return dbctl.GTIDState{}, err
	}
	st, err := srv.GTIDState(ctx)
	done(err)
	return st, err
}
