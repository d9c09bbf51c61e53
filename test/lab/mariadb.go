package lab

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/test/mariadbd"
)

// semisyncTimeout is the default rpl_semi_sync_master_timeout of the
// lab's my.cnf (Options.SemisyncTimeout): how long a commit on the writer
// waits for a replica's ACK before semisync switches off.
const semisyncTimeout = 2 * time.Second

// serverOptions renders one db host's MariaDB: test/mariadbd already sets
// log_bin, log_slave_updates, binlog_format=ROW, gtid_strict_mode, no
// performance_schema and a 16 MiB buffer pool.
func (l *Lab) serverOptions(h Host) mariadbd.Options {
	extra := []string{
		// One GTID domain for all: two writers then stop both SQL threads
		// with error 1950 instead of merging silently.
		"gtid_domain_id=0",
		// Every server starts read-only; Up opens db1, the initial writer.
		"read_only=ON",
		"report_host=" + h.Addr.String(),
		// Defaults of 60 s make recovery slow; the
		// connect retry and heartbeat are CHANGE MASTER options.
		"slave_net_timeout=10",
		"rpl_semi_sync_slave_enabled=ON",
		"rpl_semi_sync_master_timeout=" + strconv.FormatInt(cmpOr(l.opts.SemisyncTimeout, semisyncTimeout).Milliseconds(), 10),
		"rpl_semi_sync_master_wait_point=AFTER_SYNC",
	}
	if h.Mode == "master" {
		// What docs/install.md asks of both masters: a master restarted
		// after a crash does not replicate before its coordinator checked
		// it for errant transactions (the rejoin starts it, after ending
		// the stale dump threads on the writer); an IO thread starting by
		// itself met the dump thread its previous life left on the writer,
		// and the writer stalled.
		extra = append(extra, "skip_slave_start=ON")
	}
	if h.Name == Writer || (h.Mode == "master" && l.opts.Semisync == SemisyncBothMasters) {
		// Both masters as the seed article's my.cnf has it (the
		// coordinator turns the passive master's off), or the active
		// master only.
		extra = append(extra, "rpl_semi_sync_master_enabled=ON")
	}
	return mariadbd.Options{
		Dir:  filepath.Join(l.hostDir(h.Name), "mysql"),
		Name: h.Name,
		// Every address of the host's namespace: its own and the VIPs it
		// may hold (bound to its own address only, it refused clients of
		// the writer VIP). The namespace has no other address.
		BindAddress: "0.0.0.0",
		Port:        MySQLPort,
		ServerID:    h.ServerID,
		Extra:       extra,
		Wrap:        l.wrap(h.Name),
		Detach:      l.opts.Detach,
	}
}

// upMariaDB starts the three servers in parallel (mariadb-install-db on
// first start).
func (l *Lab) upMariaDB(ctx context.Context) error {
	if err := mariadbd.Binaries(); err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(DBHosts()))
	for i, h := range DBHosts() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = l.servers[h.Name].Start(ctx)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// upReplication creates the users on db1 while no replica is attached (so
// they reach the others through replication and every server starts with
// the same GTID history), then wires db2 and db3 to db1 and db1 to db2,
// all with master_use_gtid=slave_pos, waits until both threads run
// everywhere, switches semisync on at db1 with both replicas as clients,
// and finally makes db1 writable. The passive master's master side is
// off while the ring is wired (its commits would wait for an ACK before
// db1's IO thread connects), then as my.cnf has it.
func (l *Lab) upReplication(ctx context.Context) error {
	db1 := l.servers[Writer]
	if err := l.servers["db2"].Exec(ctx, "SET GLOBAL rpl_semi_sync_master_enabled=OFF"); err != nil {
		return err
	}
	stmts := []string{
		// No replica yet: the first commit would wait for an ACK.
		"SET GLOBAL rpl_semi_sync_master_enabled=OFF",
	}
	stmts = append(stmts, createUserStatements()...)
	stmts = append(stmts,
		"CREATE DATABASE IF NOT EXISTS "+AppDatabase,
		// db1 turns replica of db2 below: its own history is applied.
		"SET GLOBAL gtid_slave_pos=@@gtid_binlog_pos",
	)
	if err := db1.Exec(ctx, stmts...); err != nil {
		return err
	}
	r, err := openRoot(db1)
	if err != nil {
		return err
	}
	defer r.Close()
	pos, err := r.queryString(ctx, "SELECT @@gtid_binlog_pos")
	if err != nil {
		return err
	}
	// db1 can only ask db2 for what db2 has: start db1's replica last.
	for _, h := range []string{"db2", "db3", "db1"} {
		if err := l.startReplica(ctx, h); err != nil {
			return err
		}
		if h == "db2" {
			if err := waitGTID(ctx, l.servers[h], pos); err != nil {
				return err
			}
		}
	}
	for _, h := range DBHosts() {
		if err := waitThreads(ctx, l.servers[h.Name]); err != nil {
			return err
		}
	}
	if err := db1.Exec(ctx, "SET GLOBAL rpl_semi_sync_master_enabled=ON"); err != nil {
		return err
	}
	if l.opts.Semisync == SemisyncBothMasters {
		// Back to what my.cnf says: the coordinators meet the seed's
		// layout, not one the lab prepared for them.
		if err := l.servers["db2"].Exec(ctx, "SET GLOBAL rpl_semi_sync_master_enabled=ON"); err != nil {
			return err
		}
	}
	if err := l.waitSemisyncClients(ctx, 2); err != nil {
		return err
	}
	return db1.Exec(ctx, "SET GLOBAL read_only=OFF")
}

// startReplica points host at its topology master and starts replicating.
func (l *Lab) startReplica(ctx context.Context, host string) error {
	h, err := LookupHost(host)
	if err != nil {
		return err
	}
	m, err := LookupHost(h.Master)
	if err != nil {
		return err
	}
	return l.servers[host].Exec(ctx, changeMasterStatement(m), "START SLAVE")
}

func changeMasterStatement(master Host) string {
	return fmt.Sprintf("CHANGE MASTER TO MASTER_HOST='%s', MASTER_PORT=%d, MASTER_USER='%s', MASTER_PASSWORD='%s', "+
		"MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1",
		master.Addr, MySQLPort, ReplUser.Name, ReplUser.Password)
}

// waitGTID waits until s has applied pos.
func waitGTID(ctx context.Context, s *mariadbd.Server, pos string) error {
	r, err := openRoot(s)
	if err != nil {
		return err
	}
	defer r.Close()
	res, err := r.queryString(ctx, "SELECT MASTER_GTID_WAIT(?, 30)", pos)
	if err != nil {
		return err
	}
	if res != "0" {
		return fmt.Errorf("lab: %s: did not reach %s within 30 s", s.Name, pos)
	}
	return nil
}

// waitThreads waits until both replication threads of s run.
func waitThreads(ctx context.Context, s *mariadbd.Server) error {
	r, err := openRoot(s)
	if err != nil {
		return err
	}
	defer r.Close()
	return poll(ctx, 30*time.Second, func() (bool, error) {
		st, err := r.slaveStatus(ctx)
		if err != nil {
			return false, err
		}
		if e := st["Last_IO_Error"] + st["Last_SQL_Error"]; e != "" {
			return false, fmt.Errorf("lab: %s: replication error: %s", s.Name, e)
		}
		return st["Slave_IO_Running"] == "Yes" && st["Slave_SQL_Running"] == "Yes", nil
	})
}

// waitSemisyncClients waits until db1 counts n semisync replicas.
func (l *Lab) waitSemisyncClients(ctx context.Context, n int) error {
	r, err := openRoot(l.servers[Writer])
	if err != nil {
		return err
	}
	defer r.Close()
	return poll(ctx, 30*time.Second, func() (bool, error) {
		v, err := r.globalStatus(ctx, "Rpl_semi_sync_master_clients")
		return v == strconv.Itoa(n), err
	})
}

// poll calls done every 50 ms until it reports true, fails, or limit (or
// ctx) runs out.
func poll(ctx context.Context, limit time.Duration, done func() (bool, error)) error {
	return pollEvery(ctx, limit, 50*time.Millisecond, done)
}

// pollEvery is poll with done called every step.
func pollEvery(ctx context.Context, limit, step time.Duration, done func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		ok, err := done()
		if ok || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("lab: gave up waiting: %w", ctx.Err())
		case <-time.After(step):
		}
	}
}

// rootConn is a root pool over one server's socket, for a series of
// queries.
type rootConn struct {
	name string
	db   *sql.DB
}

func openRoot(s *mariadbd.Server) (*rootConn, error) {
	db, err := s.Open("")
	if err != nil {
		return nil, err
	}
	return &rootConn{name: s.Name, db: db}, nil
}

func (r *rootConn) Close() error { return r.db.Close() }

// slaveStatus returns SHOW SLAVE STATUS as column → value; empty when the
// server is no replica.
func (r *rootConn) slaveStatus(ctx context.Context) (map[string]string, error) {
	rows, err := r.db.QueryContext(ctx, "SHOW SLAVE STATUS")
	if err != nil {
		return nil, fmt.Errorf("lab: %s: %w", r.name, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("lab: %s: %w", r.name, err)
	}
	out := map[string]string{}
	if !rows.Next() {
		return out, rows.Err()
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, fmt.Errorf("lab: %s: %w", r.name, err)
	}
	for i, c := range cols {
		out[c] = vals[i].String
	}
	return out, rows.Err()
}

// globalStatus reads one SHOW GLOBAL STATUS variable.
func (r *rootConn) globalStatus(ctx context.Context, name string) (string, error) {
	return r.queryString(ctx, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = ?", strings.ToUpper(name))
}

// queryString runs a one-value query.
func (r *rootConn) queryString(ctx context.Context, q string, args ...any) (string, error) {
	var v sql.NullString
	if err := r.db.QueryRowContext(ctx, q, args...).Scan(&v); err != nil {
		return "", fmt.Errorf("lab: %s: %q: %w", r.name, q, err)
	}
	return v.String, nil
}
