package lab

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// RebuildFrom is the runbook's repair of a host whose rejoin was refused
// for errant transactions that were never acknowledged (the self-fence
// ended their sessions; the client got an error): the host takes the
// source's application data with its binary log off, then its binary
// log is reset to the source's GTID state, so that it rejoins as if it
// never had them. Only AppDatabase is copied — the lab's servers hold
// nothing else that changes — and the source must be quiet (no writer
// client running). After it, set_online rejoins the host.
func (l *Lab) RebuildFrom(ctx context.Context, host, source string) error {
	src, err := l.rootDB(source)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := l.rootDB(host)
	if err != nil {
		return err
	}
	defer dst.Close()
	var state, pos string
	if err := src.QueryRowContext(ctx, "SELECT @@gtid_binlog_state, @@gtid_binlog_pos").Scan(&state, &pos); err != nil {
		return fmt.Errorf("lab: rebuild %s: GTID state of %s: %w", host, source, err)
	}
	tables, err := dumpTables(ctx, src)
	if err != nil {
		return fmt.Errorf("lab: rebuild %s from %s: %w", host, source, err)
	}
	conn, err := dst.Conn(ctx)
	if err != nil {
		return fmt.Errorf("lab: rebuild %s: %w", host, err)
	}
	defer conn.Close()
	exec := func(q string, args ...any) error {
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("lab: rebuild %s: %s: %w", host, strings.Fields(q)[0], err)
		}
		return nil
	}
	if _, err := conn.ExecContext(ctx, "STOP SLAVE"); err != nil && !strings.Contains(err.Error(), "1200") {
		return fmt.Errorf("lab: rebuild %s: STOP SLAVE: %w", host, err)
	}
	for _, q := range []string{"SET SESSION sql_log_bin=0", "DROP DATABASE IF EXISTS " + AppDatabase,
		"CREATE DATABASE " + AppDatabase, "USE " + AppDatabase} {
		if err := exec(q); err != nil {
			return err
		}
	}
	for _, t := range tables {
		if err := exec(t.create); err != nil {
			return err
		}
		for _, batch := range t.inserts() {
			if err := exec(batch.query, batch.args...); err != nil {
				return err
			}
		}
	}
	for _, q := range []string{"RESET MASTER", "SET GLOBAL gtid_binlog_state='" + state + "'",
		"SET GLOBAL gtid_slave_pos='" + pos + "'"} {
		if err := exec(q); err != nil {
			return err
		}
	}
	// The source asks the host for what follows its own position when
	// the ring is closed again: a host whose binary log was reset has no
	// file holding the source's older replicated position.
	sconn, err := src.Conn(ctx)
	if err != nil {
		return fmt.Errorf("lab: rebuild %s: %w", host, err)
	}
	defer sconn.Close()
	if _, err := sconn.ExecContext(ctx, "STOP SLAVE"); err != nil && !strings.Contains(err.Error(), "1200") {
		return fmt.Errorf("lab: rebuild %s: STOP SLAVE on %s: %w", host, source, err)
	}
	if _, err := sconn.ExecContext(ctx, "SET GLOBAL gtid_slave_pos=@@gtid_binlog_pos"); err != nil {
		return fmt.Errorf("lab: rebuild %s: gtid_slave_pos on %s: %w", host, source, err)
	}
	return nil
}

// table is one table of AppDatabase: its CREATE TABLE and its rows.
type table struct {
	name   string
	create string
	cols   int
	rows   [][]any
}

// dumpTables reads every table of AppDatabase.
func dumpTables(ctx context.Context, db *sql.DB) ([]table, error) {
	names, err := db.QueryContext(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", AppDatabase)
	if err != nil {
		return nil, err
	}
	var out []table
	for names.Next() {
		var t table
		if err := names.Scan(&t.name); err != nil {
			names.Close()
			return nil, err
		}
		out = append(out, t)
	}
	if err := errors.Join(names.Err(), names.Close()); err != nil {
		return nil, err
	}
	for i := range out {
		t := &out[i]
		q := "`" + AppDatabase + "`.`" + t.name + "`"
		var name string
		if err := db.QueryRowContext(ctx, "SHOW CREATE TABLE "+q).Scan(&name, &t.create); err != nil {
			return nil, err
		}
		rows, err := db.QueryContext(ctx, "SELECT * FROM "+q)
		if err != nil {
			return nil, err
		}
		cols, err := rows.Columns()
		if err != nil {
			rows.Close()
			return nil, err
		}
		t.cols = len(cols)
		for rows.Next() {
			raw := make([]sql.RawBytes, t.cols)
			ptrs := make([]any, t.cols)
			for j := range raw {
				ptrs[j] = &raw[j]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, err
			}
			row := make([]any, t.cols)
			for j, b := range raw {
				if b != nil {
					row[j] = string(b)
				}
			}
			t.rows = append(t.rows, row)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type insertBatch struct {
	query string
	args  []any
}

// inserts returns the table's rows as multi-row INSERTs of up to 500.
func (t table) inserts() []insertBatch {
	var out []insertBatch
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", t.cols), ",") + ")"
	for start := 0; start < len(t.rows); start += 500 {
		end := min(start+500, len(t.rows))
		b := insertBatch{query: "INSERT INTO `" + t.name + "` VALUES " + strings.TrimSuffix(strings.Repeat(one+",", end-start), ",")}
		for _, r := range t.rows[start:end] {
			b.args = append(b.args, r...)
		}
		out = append(out, b)
	}
	return out
}
