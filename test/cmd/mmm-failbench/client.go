package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// client is the application: app's account on app's host, through the
// writer VIP, one pooled connection.
type client struct {
	db *sql.DB
	o  options
}

// newClient connects once (the warm connection a real client holds when
// the fault hits) and writes nothing yet.
func newClient(ctx context.Context, l *lab.Lab, o options) (*client, error) {
	c, err := l.ConfigFrom("app", lab.WriterVIP, lab.AppUser, lab.AppDatabase)
	if err != nil {
		return nil, err
	}
	c.Timeout, c.ReadTimeout, c.WriteTimeout = o.connect, o.attempt, o.attempt
	conn, err := mysql.NewConnector(c)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("client: %w", err)
	}
	return &client{db: db, o: o}, nil
}

func (c *client) close() { c.db.Close() }

// firstInsert is the first acknowledged INSERT.
type firstInsert struct {
	at       time.Time
	server   int
	attempts int
	err      error
}

// firstInsert tries an INSERT every interval, each bounded by the attempt
// deadline, until one is acknowledged or ctx ends.
func (c *client) firstInsert(ctx context.Context) firstInsert {
	var f firstInsert
	for {
		next := time.Now().Add(c.o.interval)
		f.attempts++
		at, server, err := c.insert(ctx)
		if err == nil {
			f.at, f.server = at, server
			return f
		}
		select {
		case <-ctx.Done():
			f.err = fmt.Errorf("%d attempts, the last: %w", f.attempts, err)
			return f
		case <-time.After(time.Until(next)):
		}
	}
}

// insert writes one row and returns when the server acknowledged it and
// which server it was.
func (c *client) insert(ctx context.Context) (time.Time, int, error) {
	ctx, cancel := context.WithTimeout(ctx, c.o.attempt)
	defer cancel()
	conn, err := c.db.Conn(ctx)
	if err != nil {
		return time.Time{}, 0, err
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "INSERT INTO bench (id, server) VALUES (?, @@server_id)", rand.Uint64()>>1)
	at := time.Now()
	var server int
	if err == nil {
		err = conn.QueryRowContext(ctx, "SELECT @@server_id").Scan(&server)
	}
	if err != nil {
		// Never reuse a connection that failed: it may point at the
		// dead writer.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		return time.Time{}, 0, err
	}
	return at, server, nil
}
