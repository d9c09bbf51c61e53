package failbench

import (
	"context"
	"slices"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
	"github.com/mmm-keepalived/mmm-keepalived/test/mariadbd"
)

// queryRow runs one query as root over s's socket, bounded by 30 s.
func queryRow(ctx context.Context, s *mariadbd.Server, q string, dest any, args ...any) error {
	db, err := s.Open("")
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return db.QueryRowContext(ctx, q, args...).Scan(dest)
}

// ackedIDs returns which of ids s has in the bench table.
func ackedIDs(ctx context.Context, s *mariadbd.Server, ids []int64) (map[int64]bool, error) {
	db, err := s.Open(lab.AppDatabase)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, "SELECT id FROM "+table+" WHERE id BETWEEN ? AND ?", slices.Min(ids), slices.Max(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	have := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		have[id] = true
	}
	return have, rows.Err()
}
