package chaos

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// openPools opens a small root pool over each db host's socket; the pools
// outlive restarts of the servers (a broken connection is replaced).
func openPools(l *lab.Lab, size int) (map[string]*sql.DB, error) {
	pools := map[string]*sql.DB{}
	for _, h := range lab.DBHosts() {
		s, err := l.Server(h.Name)
		if err != nil {
			closePools(pools)
			return nil, err
		}
		db, err := s.Open("")
		if err != nil {
			closePools(pools)
			return nil, fmt.Errorf("chaos: root pool of %s: %w", h.Name, err)
		}
		db.SetMaxOpenConns(size)
		db.SetMaxIdleConns(size)
		pools[h.Name] = db
	}
	return pools, nil
}

func closePools(pools map[string]*sql.DB) {
	for _, db := range pools {
		db.Close()
	}
}

// replication is what SHOW SLAVE STATUS says of one host.
type replication struct {
	Master  string // lab host name of Master_Host
	IO, SQL string // Slave_IO_Running, Slave_SQL_Running
	LastErr string // Last_IO_Error or Last_SQL_Error
}

func (r replication) running() bool { return r.IO == "Yes" && r.SQL == "Yes" }

var errNoReplication = errors.New("chaos: no replication configured")

func slaveStatus(ctx context.Context, db *sql.DB) (replication, error) {
	rows, err := db.QueryContext(ctx, "SHOW SLAVE STATUS")
	if err != nil {
		return replication{}, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return replication{}, err
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return replication{}, err
		}
		return replication{}, errNoReplication
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return replication{}, err
	}
	get := func(name string) string {
		if i := slices.Index(cols, name); i >= 0 {
			return vals[i].String
		}
		return ""
	}
	r := replication{IO: get("Slave_IO_Running"), SQL: get("Slave_SQL_Running"), Master: get("Master_Host")}
	for _, h := range lab.Hosts {
		if h.Addr.String() == r.Master {
			r.Master = h.Name
		}
	}
	r.LastErr = get("Last_IO_Error")
	if e := get("Last_SQL_Error"); e != "" {
		r.LastErr = e
	}
	return r, nil
}

func queryString(ctx context.Context, db *sql.DB, q string, args ...any) (string, error) {
	var s sql.NullString
	if err := db.QueryRowContext(ctx, q, args...).Scan(&s); err != nil {
		return "", err
	}
	return s.String, nil
}

// waitGTID waits up to seconds for db to have applied pos (MASTER_GTID_WAIT).
func waitGTID(ctx context.Context, db *sql.DB, pos string, seconds float64) (bool, error) {
	var res sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT MASTER_GTID_WAIT(?, ?)", pos, seconds).Scan(&res); err != nil {
		return false, err
	}
	return res.Valid && res.Int64 == 0, nil
}

// missingRows returns the ids db lacks in the app's table.
func missingRows(ctx context.Context, db *sql.DB, table string, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := db.QueryContext(ctx, "SELECT id FROM "+lab.AppDatabase+"."+table+" WHERE id BETWEEN ? AND ?",
		slices.Min(ids), slices.Max(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	have := make(map[int64]bool, len(ids))
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		have[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var lost []int64
	for _, id := range ids {
		if !have[id] {
			lost = append(lost, id)
		}
	}
	return lost, nil
}
