package dbctl

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Source is where a replica replicates from. Zero durations keep the
// server's current value.
type Source struct {
	Host     string
	Port     int
	User     string
	Password string
	// ConnectRetry is the pause between connection attempts (whole
	// seconds, at least 1 s). The default 60 s makes recovery slow; the
	// lab uses 1 s.
	ConnectRetry time.Duration
	// HeartbeatPeriod makes the source send heartbeats when idle, so that
	// a dead source is noticed (millisecond resolution).
	HeartbeatPeriod time.Duration

	// AutoPosition positions by GTID: MariaDB MASTER_USE_GTID=slave_pos,
	// MySQL SOURCE_AUTO_POSITION=1. Otherwise LogFile and LogPos give the
	// file position in the source's binary log to start from.
	AutoPosition bool
	LogFile      string
	LogPos       uint64
}

// String describes the source without its password.
func (src Source) String() string {
	pos := "gtid"
	if !src.AutoPosition {
		pos = src.LogFile + ":" + strconv.FormatUint(src.LogPos, 10)
	}
	return fmt.Sprintf("%s@%s:%d (%s)", src.User, src.Host, src.Port, pos)
}

func (src Source) validate() error {
	switch {
	case src.Host == "" || src.User == "":
		return errors.New("host and user are required")
	case src.Port < 1 || src.Port > 65535:
		return fmt.Errorf("port %d is not 1-65535", src.Port)
	case src.AutoPosition && src.LogFile != "":
		return errors.New("give either AutoPosition or LogFile and LogPos, not both")
	case !src.AutoPosition && (src.LogFile == "" || src.LogPos == 0):
		return errors.New("without AutoPosition, LogFile and LogPos are required")
	case src.ConnectRetry != 0 && src.ConnectRetry < time.Second:
		return fmt.Errorf("connect retry %v is below 1s", src.ConnectRetry)
	case src.HeartbeatPeriod < 0 || (src.HeartbeatPeriod > 0 && src.HeartbeatPeriod < time.Millisecond) ||
		src.HeartbeatPeriod > 4294967*time.Second:
		return fmt.Errorf("heartbeat period %v is out of range", src.HeartbeatPeriod)
	}
	return nil
}

// changeSourceSQL renders the statement. It carries the password: never
// put it in an error or a log.
func (st *statements) changeSourceSQL(src Source, backslashEscapes bool) string {
	o := st.opt
	q := func(v string) string { return quote(v, backslashEscapes) }
	opts := []string{
		o.host + "=" + q(src.Host),
		o.port + "=" + strconv.Itoa(src.Port),
		o.user + "=" + q(src.User),
		o.password + "=" + q(src.Password),
	}
	if src.ConnectRetry > 0 {
		secs := int64(math.Ceil(src.ConnectRetry.Seconds()))
		opts = append(opts, o.connectRetry+"="+strconv.FormatInt(secs, 10))
	}
	if src.HeartbeatPeriod > 0 {
		opts = append(opts, o.heartbeat+"="+strconv.FormatFloat(float64(src.HeartbeatPeriod.Milliseconds())/1000, 'f', 3, 64))
	}
	if src.AutoPosition {
		opts = append(opts, o.gtidOn)
	} else {
		opts = append(opts, o.gtidOff, o.logFile+"="+q(src.LogFile), o.logPos+"="+strconv.FormatUint(src.LogPos, 10))
	}
	return st.changeSource + " " + strings.Join(opts, ", ")
}

// ChangeSource points the replica at src (CHANGE MASTER TO / CHANGE
// REPLICATION SOURCE TO). Both replication threads must be stopped:
// otherwise it returns ErrReplicaRunning and changes nothing (call
// StopReplication first, with the deadline you can afford). Errors never
// carry the statement or the server's message about it (the statement
// holds the password), only the error number.
//
// Privilege: MariaDB 10.11 REPLICATION SLAVE ADMIN and SLAVE MONITOR (for
// the running check); MySQL 8 REPLICATION_SLAVE_ADMIN and REPLICATION
// CLIENT, 5.7 SUPER.
func (s *Server) ChangeSource(ctx context.Context, src Source) error {
	op := "change source to " + src.String()
	if err := src.validate(); err != nil {
		return fmt.Errorf("dbctl: %s: %w: %v", op, ErrInvalid, err)
	}
	rs, err := s.ReplicaStatus(ctx)
	switch {
	case errors.Is(err, ErrNotReplica):
	case err != nil:
		return err
	case !rs.Stopped():
		return fmt.Errorf("dbctl: %s: %w (IO %s, SQL %s)", op, ErrReplicaRunning, rs.IO, rs.SQL)
	}
	err = s.onConn(ctx, func(c *sql.Conn) error {
		bs, err := backslashEscapes(ctx, c)
		if err != nil {
			return err
		}
		_, err = c.ExecContext(ctx, s.st.changeSourceSQL(src, bs))
		return withheld(err)
	})
	return wrap(op, err)
}

// Threads selects replication threads; the zero value selects none and is
// invalid.
type Threads uint8

const (
	IOThread    Threads = 1 << iota // receives the source's binlog
	SQLThread                       // applies it
	BothThreads = IOThread | SQLThread
)

func (t Threads) String() string {
	switch t {
	case IOThread:
		return "IO_THREAD"
	case SQLThread:
		return "SQL_THREAD"
	case BothThreads:
		return "IO_THREAD,SQL_THREAD"
	}
	return "none"
}

func (st *statements) threadsSQL(verb string, t Threads) (string, error) {
	switch t {
	case IOThread:
		return verb + " " + st.ioThread, nil
	case SQLThread:
		return verb + " " + st.sqlThread, nil
	case BothThreads:
		return verb, nil
	}
	return "", fmt.Errorf("%w: threads %d", ErrInvalid, t)
}

// StartReplication starts the given threads (START SLAVE [IO_THREAD |
// SQL_THREAD]). It returns when the server has started them, not when the
// IO thread has connected: poll ReplicaStatus for that. Starting a running
// thread is a no-op (a warning). ErrNotReplica when no source is set.
//
// Privilege: MariaDB 10.11 REPLICATION SLAVE ADMIN; MySQL 8
// REPLICATION_SLAVE_ADMIN, 5.7 SUPER.
func (s *Server) StartReplication(ctx context.Context, t Threads) error {
	return s.threads(ctx, s.st.startReplica, t)
}

// StopReplication stops the given threads (STOP SLAVE ...). The server
// waits for the threads to end: for an IO thread still trying to reach a
// dead source (about 2 s in the lab) or an SQL thread waiting
// for a lock. At ctx's deadline StopReplication returns ctx's error
// without waiting longer. KILL QUERY does not interrupt a STOP SLAVE
// (tested): the server finishes it when the threads end, possibly long
// after, so the threads may stop later or keep running for now; read
// ReplicaStatus to know, and do not open writes on the strength of the
// call. Stopping a stopped thread is a no-op.
//
// Privilege: as StartReplication.
func (s *Server) StopReplication(ctx context.Context, t Threads) error {
	return s.threads(ctx, s.st.stopReplica, t)
}

func (s *Server) threads(ctx context.Context, verb string, t Threads) error {
	q, err := s.st.threadsSQL(verb, t)
	if err != nil {
		return wrap(strings.ToLower(verb), err)
	}
	return wrap(strings.ToLower(q), s.onConn(ctx, func(c *sql.Conn) error {
		_, err := c.ExecContext(ctx, q)
		return err
	}))
}
