package dbctl

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Client is a client connection as SHOW PROCESSLIST shows it.
type Client struct {
	ID      uint64
	User    string
	Host    string
	DB      string
	Command string
	Time    time.Duration
	State   string
	// Info is the running statement, cut to infoMax characters, or
	// "<redacted>" when it may carry a password: callers log it.
	Info string
}

const infoMax = 100

// KillClients kills every client connection except replication threads
// (a connected replica's Binlog Dump, this server's own replica threads),
// the event scheduler and other server daemons, and the connection it
// runs on; it returns the connections it killed. A connection that ends
// by itself meanwhile is not an error. It goes on after a failed KILL and
// returns the killed ones together with the joined errors. Other
// connections of this Server's pool are clients like any other: a busy
// one is killed, an idle one is replaced on next use.
//
// Without PROCESS the server would show only the account's own sessions,
// so KillClients checks that privilege first and returns ErrAccessDenied
// rather than fencing nothing.
//
// Privilege: PROCESS and, for other accounts' sessions, MariaDB 10.11
// CONNECTION ADMIN / MySQL 8 CONNECTION_ADMIN (or SUPER; sessions of
// SYSTEM_USER accounts need SYSTEM_USER on MySQL 8).
func (s *Server) KillClients(ctx context.Context) ([]Client, error) {
	var killed []Client
	var errs []error
	err := s.onConn(ctx, func(c *sql.Conn) error {
		// INFORMATION_SCHEMA.INNODB_TRX needs PROCESS on every flavour.
		if _, err := c.ExecContext(ctx, "SELECT COUNT(*) FROM information_schema.INNODB_TRX"); err != nil {
			return fmt.Errorf("check PROCESS privilege: %w", err)
		}
		var own uint64
		if err := c.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&own); err != nil {
			return err
		}
		list, err := rows(ctx, c, "SHOW FULL PROCESSLIST")
		if err != nil {
			return err
		}
		for _, r := range list {
			cl := clientFromRow(r)
			if spared(cl, own) {
				continue
			}
			_, err := c.ExecContext(ctx, "KILL CONNECTION "+strconv.FormatUint(cl.ID, 10))
			switch {
			case err == nil:
				killed = append(killed, cl)
			case sentinelFor(mysqlErrno(err)) == errUnknownThread:
			case ctx.Err() != nil:
				return err
			default:
				errs = append(errs, wrap(fmt.Sprintf("kill client %d (%s@%s)", cl.ID, cl.User, cl.Host), err))
			}
		}
		return nil
	})
	if err != nil {
		errs = append(errs, wrap("kill clients", err))
	}
	return killed, errors.Join(errs...)
}

func clientFromRow(r map[string]sql.NullString) Client {
	id, _ := strconv.ParseUint(r["Id"].String, 10, 64)
	secs, _ := strconv.ParseInt(r["Time"].String, 10, 64)
	return Client{
		ID: id, User: r["User"].String, Host: r["Host"].String, DB: r["db"].String,
		Command: r["Command"].String, Time: time.Duration(secs) * time.Second,
		State: r["State"].String, Info: redactInfo(r["Info"].String),
	}
}

// spared reports whether KillClients leaves the connection alone.
func spared(c Client, own uint64) bool {
	if c.ID == own {
		return true
	}
	switch c.User {
	case "system user", // replica IO/SQL/worker threads, server background threads
		"event_scheduler", "DELAYED":
		return true
	}
	switch c.Command {
	case "Binlog Dump", "Binlog Dump GTID", "Register Slave", // replicas reading our binlog
		"Slave_IO", "Slave_SQL", "Slave_worker", // MariaDB's replica threads
		"Daemon", "Killed":
		return true
	}
	return false
}

// redactInfo cuts a statement for display and hides it entirely when it
// may carry a password (CREATE USER ... IDENTIFIED BY, SET PASSWORD,
// CHANGE MASTER ... MASTER_PASSWORD).
func redactInfo(info string) string {
	l := strings.ToLower(info)
	if strings.Contains(l, "password") || strings.Contains(l, "identified") {
		return "<redacted>"
	}
	if r := []rune(info); len(r) > infoMax {
		return string(r[:infoMax]) + "…"
	}
	return info
}
