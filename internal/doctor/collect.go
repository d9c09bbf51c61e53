package doctor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// SQLCollector collects over TCP with the configured accounts: each
// logs in (which proves its password and host pattern) and reads its own
// grants; the agent's session (the monitor's when the agent cannot log
// in) reads the rest.
type SQLCollector struct {
	// DialTimeout bounds each connect (default 3 s); IOTimeout each read
	// and write (default 10 s). The context passed to Collect bounds the
	// whole.
	DialTimeout, IOTimeout time.Duration
	// Net is the go-sql-driver network ("" = tcp).
	Net string
}

// variables read from every server (those it lacks are absent), plus
// every rpl_semi_sync% one.
var variables = []string{
	"read_only", "log_bin", "log_slave_updates", "log_replica_updates", "binlog_format",
	"server_id", "gtid_strict_mode", "gtid_domain_id", "gtid_mode", "enforce_gtid_consistency",
}

// Collect implements Collector.
func (s *SQLCollector) Collect(ctx context.Context, h *config.Host) *Facts {
	f := &Facts{Host: h.Name, Addr: addrOf(h)}
	type acct struct{ kind, user, pass string }
	var accts []acct
	for _, a := range []acct{
		{KindAgent, h.AgentUser, h.AgentPassword},
		{KindMonitor, h.MonitorUser, h.MonitorPassword},
		{KindReplication, h.ReplicationUser, h.ReplicationPassword},
	} {
		if a.user != "" {
			accts = append(accts, a)
		}
	}
	var main *sql.DB
	var mainErr error
	defer func() {
		if main != nil {
			main.Close()
		}
	}()
	for _, a := range accts {
		db := s.open(f.Addr, a.user, a.pass)
		acc := Account{Kind: a.kind, User: a.user}
		acc.Current, acc.Grants, acc.Err = readGrants(ctx, db)
		f.Accounts = append(f.Accounts, acc)
		if acc.Err == nil && main == nil && a.kind != KindReplication {
			main = db
			continue
		}
		if acc.Err != nil && mainErr == nil && a.kind != KindReplication {
			mainErr = acc.Err
		}
		db.Close()
	}
	if main == nil {
		f.Err = mainErr
		if f.Err == nil {
			f.Err = errors.New("neither agent_user nor monitor_user is configured")
		}
		return f
	}
	srv, err := dbctl.New(ctx, main)
	if err != nil {
		f.Err = err
		return f
	}
	f.Flavor, f.Version = srv.Flavor(), srv.Version()
	if f.Vars, err = readVariables(ctx, main); err != nil {
		f.Err = err
		return f
	}
	f.Origins = readOrigins(ctx, main, f.Flavor)
	switch st, err := srv.Semisync(ctx); {
	case errors.Is(err, dbctl.ErrNoSemisync):
	case err != nil:
		f.SemisyncErr = err
	default:
		f.Semisync = &st
	}
	switch rs, err := srv.ReplicaStatus(ctx); {
	case errors.Is(err, dbctl.ErrNotReplica):
	case err != nil:
		f.ReplicaErr = err
	default:
		f.Replica = rs
	}
	f.Sent, f.ServerTime, f.Received, f.ClockErr = readClock(ctx, main)
	return f
}

func (s *SQLCollector) open(addr, user, pass string) *sql.DB {
	c := mysql.NewConfig()
	c.Net = cmpOr(s.Net, "tcp")
	c.Addr = addr
	c.User, c.Passwd = user, pass
	c.Timeout = cmpOr(s.DialTimeout, 3*time.Second)
	c.ReadTimeout = cmpOr(s.IOTimeout, 10*time.Second)
	c.WriteTimeout = c.ReadTimeout
	c.Logger = &mysql.NopLogger{}
	conn, _ := mysql.NewConnector(c) // fails only for bad TLS or DSN params, none set
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(2)
	return db
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// readGrants reads CURRENT_USER() and SHOW GRANTS (no privilege needed).
func readGrants(ctx context.Context, db *sql.DB) (string, []string, error) {
	var current string
	if err := db.QueryRowContext(ctx, "SELECT CURRENT_USER()").Scan(&current); err != nil {
		return "", nil, err
	}
	rows, err := db.QueryContext(ctx, "SHOW GRANTS")
	if err != nil {
		return current, nil, err
	}
	defer rows.Close()
	var grants []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return current, nil, err
		}
		grants = append(grants, g)
	}
	return current, grants, rows.Err()
}

func readVariables(ctx context.Context, db *sql.DB) (map[string]string, error) {
	q := "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('" + strings.Join(variables, "','") + "') OR Variable_name LIKE 'rpl_semi_sync%'"
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read variables: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name string
		var val sql.NullString
		if err := rows.Scan(&name, &val); err != nil {
			return nil, err
		}
		out[strings.ToLower(name)] = val.String
	}
	return out, rows.Err()
}

// readOrigins asks where read_only's and the semisync timeout's values
// came from: MariaDB's information_schema.SYSTEM_VARIABLES, MySQL's
// performance_schema.variables_info. What cannot be read stays unknown.
func readOrigins(ctx context.Context, db *sql.DB, f dbctl.Flavor) map[string]Origin {
	q := "SELECT LOWER(VARIABLE_NAME), GLOBAL_VALUE_ORIGIN FROM information_schema.SYSTEM_VARIABLES " +
		"WHERE VARIABLE_NAME IN ('READ_ONLY', 'RPL_SEMI_SYNC_MASTER_TIMEOUT')"
	if f == dbctl.MySQL {
		q = "SELECT LOWER(VARIABLE_NAME), VARIABLE_SOURCE FROM performance_schema.variables_info " +
			"WHERE VARIABLE_NAME IN ('read_only', 'rpl_semi_sync_master_timeout', 'rpl_semi_sync_source_timeout')"
	}
	out := map[string]Origin{}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var name, src string
		if rows.Scan(&name, &src) != nil {
			return out
		}
		if o := originOf(src); o != "" {
			out[name] = o
		}
	}
	return out
}

// originOf maps MariaDB's GLOBAL_VALUE_ORIGIN and MySQL's
// VARIABLE_SOURCE to an Origin ("" = not known).
func originOf(src string) Origin {
	switch strings.ToUpper(src) {
	case "COMPILE-TIME", "COMPILED":
		return OriginDefault
	case "CONFIG", "COMMAND-LINE", "COMMAND_LINE", "GLOBAL", "SERVER", "EXPLICIT", "EXTRA", "PERSISTED", "ENVIRONMENT":
		return OriginStartup
	case "SQL", "DYNAMIC":
		return OriginRuntime
	}
	return ""
}

// readClock reads the server's clock as seconds since the epoch (no time
// zone involved) between two readings of the local one.
func readClock(ctx context.Context, db *sql.DB) (sent, server, received time.Time, err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return
	}
	defer conn.Close()
	var s string
	sent = time.Now()
	err = conn.QueryRowContext(ctx, "SELECT UNIX_TIMESTAMP(NOW(6))").Scan(&s)
	received = time.Now()
	if err != nil {
		return
	}
	server, err = parseEpoch(s)
	return
}

// parseEpoch parses "1716800000.123456" exactly.
func parseEpoch(s string) (time.Time, error) {
	r, ok := new(big.Rat).SetString(strings.TrimSpace(s))
	if !ok {
		return time.Time{}, fmt.Errorf("server clock %q: not a number", s)
	}
	ns := new(big.Rat).Mul(r, big.NewRat(1e9, 1))
	n := new(big.Int).Quo(ns.Num(), ns.Denom())
	if !n.IsInt64() {
		return time.Time{}, fmt.Errorf("server clock %q: out of range", s)
	}
	return time.Unix(0, n.Int64()), nil
}
