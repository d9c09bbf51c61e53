package dbctl

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Timeouts Open applies when the configuration leaves them at zero.
const (
	DefaultDialTimeout = 5 * time.Second
	DefaultIOTimeout   = 30 * time.Second // read and write; waits must be shorter

	// killTimeout bounds the KILL QUERY sent after a context ended.
	killTimeout = 2 * time.Second
)

// Server drives one MySQL or MariaDB server. Its methods are safe for
// concurrent use; each takes a context that bounds it.
type Server struct {
	db          *sql.DB
	owned       bool // Close closes db
	flavor      Flavor
	version     Version
	st          statements
	readTimeout time.Duration // 0 when unknown (New)
}

// Open connects with cfg (which it does not modify) and detects the
// flavour. Zero dial, read and write timeouts become DefaultDialTimeout and
// DefaultIOTimeout: a server that stops answering fails a call even when a
// caller's context has no deadline. Unless cfg.Logger is set, the driver's
// own log lines (it logs a killed connection's EOF) are dropped: errors
// come back to the caller, who logs them once. Build cfg with mysql.NewConfig, never
// from a DSN string with the password spliced in.
func Open(ctx context.Context, cfg *mysql.Config) (*Server, error) {
	if cfg == nil {
		return nil, fmt.Errorf("dbctl: open: %w: nil configuration", ErrInvalid)
	}
	c := cfg.Clone()
	if c.Timeout == 0 {
		c.Timeout = DefaultDialTimeout
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = DefaultIOTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultIOTimeout
	}
	c.MultiStatements = false
	if c.Logger == nil {
		c.Logger = &mysql.NopLogger{}
	}
	conn, err := mysql.NewConnector(c)
	if err != nil {
		return nil, wrap("open", err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(2)
	db.SetConnMaxIdleTime(time.Minute)
	s, err := New(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.owned, s.readTimeout = true, c.ReadTimeout
	return s, nil
}

// New wraps a pool the caller owns (Close leaves it open) and detects the
// flavour with SELECT VERSION(), @@version_comment. It is the seam for
// callers that build their own *sql.DB.
func New(ctx context.Context, db *sql.DB) (*Server, error) {
	var version, comment string
	if err := db.QueryRowContext(ctx, "SELECT VERSION(), @@version_comment").Scan(&version, &comment); err != nil {
		return nil, wrap("detect flavour", err)
	}
	f, v, err := Detect(version, comment)
	if err != nil {
		return nil, err
	}
	return &Server{db: db, flavor: f, version: v, st: statementsFor(f, v)}, nil
}

// Close closes the pool if Open created it.
func (s *Server) Close() error {
	if !s.owned {
		return nil
	}
	return s.db.Close()
}

// Flavor is the detected server family.
func (s *Server) Flavor() Flavor { return s.flavor }

// Version is the detected server version.
func (s *Server) Version() Version { return s.version }

// Ping checks that the server answers. Privilege: none.
func (s *Server) Ping(ctx context.Context) error {
	return wrap("ping", s.db.PingContext(ctx))
}

// onConn runs fn on a connection of its own and keeps the statement from
// outliving ctx. The driver answers a cancelled context by closing the
// socket, but the server goes on with a statement whose client left (a
// MASTER_POS_WAIT kept waiting for minutes in a test). So when ctx ends
// first, onConn kills the statement with KILL QUERY from another
// connection (one's own connections need no privilege), discards the
// connection and returns ctx's error.
func (s *Server) onConn(ctx context.Context, fn func(*sql.Conn) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var id uint64
	if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		return err
	}
	err = fn(conn)
	if err == nil || ctx.Err() == nil {
		return err
	}
	_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // never reuse it
	kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), killTimeout)
	defer cancel()
	if _, kerr := s.db.ExecContext(kctx, "KILL QUERY "+strconv.FormatUint(id, 10)); kerr != nil && sentinelFor(mysqlErrno(kerr)) != errUnknownThread {
		return fmt.Errorf("%w (and KILL QUERY %d failed: %v)", ctx.Err(), id, kerr)
	}
	return fmt.Errorf("%w (statement killed on the server)", ctx.Err())
}

// queryer is *sql.DB or *sql.Conn.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// rows runs a SHOW-like query and returns every row as column → value.
// NULL and a missing column both read as an invalid NullString.
func rows(ctx context.Context, q queryer, query string) ([]map[string]sql.NullString, error) {
	rs, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return nil, err
	}
	var out []map[string]sql.NullString
	for rs.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make(map[string]sql.NullString, len(cols))
		for i, c := range cols {
			row[c] = vals[i]
		}
		out = append(out, row)
	}
	return out, rs.Err()
}

// globals reads global system variables. names come from the statement
// table, never from callers.
func (s *Server) globals(ctx context.Context, names ...string) ([]sql.NullString, error) {
	exprs := make([]string, len(names))
	vals := make([]sql.NullString, len(names))
	ptrs := make([]any, len(names))
	for i, n := range names {
		exprs[i] = "@@GLOBAL." + n
		ptrs[i] = &vals[i]
	}
	err := s.db.QueryRowContext(ctx, "SELECT "+strings.Join(exprs, ", ")).Scan(ptrs...)
	return vals, err
}

// globalStatus reads SHOW GLOBAL STATUS LIKE pattern as name → value.
func (s *Server) globalStatus(ctx context.Context, pattern string) (map[string]string, error) {
	rs, err := rows(ctx, s.db, "SHOW GLOBAL STATUS LIKE "+quote(pattern, true))
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rs))
	for _, r := range rs {
		out[r["Variable_name"].String] = r["Value"].String
	}
	return out, nil
}

// setGlobal runs SET GLOBAL name = value, bounded by ctx. name and value
// come from this package, never from callers.
func (s *Server) setGlobal(ctx context.Context, name, value string) error {
	return s.onConn(ctx, func(c *sql.Conn) error {
		_, err := c.ExecContext(ctx, "SET GLOBAL "+name+" = "+value)
		return err
	})
}

// onOff renders a boolean for SET GLOBAL.
func onOff(on bool) string {
	if on {
		return "ON"
	}
	return "OFF"
}

// parseBool reads a variable's value: 1/0, ON/OFF, YES/NO.
func parseBool(v sql.NullString) bool {
	switch strings.ToUpper(strings.TrimSpace(v.String)) {
	case "1", "ON", "YES", "TRUE":
		return true
	}
	return false
}

// mysqlErrno is the server error number in err, 0 if none.
func mysqlErrno(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}
