package lab

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
)

// LostRows returns the acknowledged ids (of an AppWriter, say) that host
// lacks in AppDatabase.table, after waiting up to 20 s until host has
// applied everything writer has. The suites call it on the final writer
// and on every replica: "no acknowledged row lost" is LostRows == nil
// everywhere.
func (l *Lab) LostRows(ctx context.Context, host, writer, table string, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	db, err := l.rootDB(host)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if host != writer {
		w, err := l.rootDB(writer)
		if err != nil {
			return nil, err
		}
		var pos string
		err = w.QueryRowContext(ctx, "SELECT @@gtid_binlog_pos").Scan(&pos)
		w.Close()
		if err != nil {
			return nil, fmt.Errorf("lab: %s's position: %w", writer, err)
		}
		var res sql.NullInt64
		if err := db.QueryRowContext(ctx, "SELECT MASTER_GTID_WAIT(?, 20)", pos).Scan(&res); err != nil || res.Int64 != 0 {
			return nil, fmt.Errorf("lab: %s did not apply %s's %s within 20 s (%v, %v)", host, writer, pos, res, err)
		}
	}
	rows, err := db.QueryContext(ctx, "SELECT id FROM "+AppDatabase+"."+table+" WHERE id BETWEEN ? AND ?",
		slices.Min(ids), slices.Max(ids))
	if err != nil {
		return nil, fmt.Errorf("lab: rows on %s: %w", host, err)
	}
	defer rows.Close()
	have := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("lab: rows on %s: %w", host, err)
		}
		have[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lab: rows on %s: %w", host, err)
	}
	var lost []int64
	for _, id := range ids {
		if !have[id] {
			lost = append(lost, id)
		}
	}
	return lost, nil
}

// ReaderVIPsOn returns the reader VIPs host holds on its interface.
func (l *Lab) ReaderVIPsOn(host string) []string {
	var out []string
	for _, ip := range ReaderVIPs {
		if holders, err := l.VIPHolders(ip); err == nil && slices.Contains(holders, host) {
			out = append(out, ip.String())
		}
	}
	return out
}

// rootDB opens a small pool as root over host's socket.
func (l *Lab) rootDB(host string) (*sql.DB, error) {
	s, err := l.Server(host)
	if err != nil {
		return nil, err
	}
	db, err := s.Open("")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(2)
	return db, nil
}
