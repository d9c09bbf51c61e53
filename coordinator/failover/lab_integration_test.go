//go:build integration

package failover_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/failover"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
	"github.com/mmm-keepalived/mmm-keepalived/test/mariadbd"
)

// labPrefix is this package's lab: each test brings its own up (a
// failover leaves the topology changed) and takes it down.
const labPrefix = "mmmf"

func TestMain(m *testing.M) {
	switch {
	case os.Geteuid() != 0:
		fmt.Fprintln(os.Stderr, "coordinator/failover: the lab needs root (network namespaces); .ci/run runs as root")
		os.Exit(1)
	case mariadbd.Binaries() != nil:
		fmt.Fprintln(os.Stderr, "coordinator/failover:", mariadbd.Binaries(), "(make deps installs it)")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// upLab brings the reference lab up and registers its teardown, which
// fails the test if anything is left behind.
func upLab(t *testing.T) *lab.Lab {
	t.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	l, err := lab.New(lab.Options{Prefix: labPrefix, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := l.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		defer l.Unlock()
		if err := l.Down(ctx); err != nil {
			t.Errorf("lab down: %v", err)
		}
		if left, err := l.Leftovers(); err != nil || len(left) > 0 {
			t.Errorf("left behind: %v %v", left, err)
		}
	})
	start := time.Now()
	if err := l.Up(ctx); err != nil {
		t.Fatalf("lab up: %v", err)
	}
	t.Logf("lab up in %v", time.Since(start).Round(time.Millisecond))
	return l
}

// env is one test's lab with the coordinator's view of it: agent
// connections from mon, as the leader would open them.
type env struct {
	t  *testing.T
	l  *lab.Lab
	r  *failover.Runner
	db map[string]*dbctl.Server
}

func newEnv(t *testing.T, opts failover.Options) *env {
	l := upLab(t)
	r, err := failover.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, l: l, r: r, db: map[string]*dbctl.Server{}}
	t.Cleanup(func() {
		for _, s := range e.db {
			s.Close()
		}
	})
	return e
}

// node opens (once) the agent connection to host; a host that does not
// answer gets a Node without DB.
func (e *env) node(host string) failover.Node {
	e.t.Helper()
	h, err := lab.LookupHost(host)
	if err != nil {
		e.t.Fatal(err)
	}
	n := failover.Node{Name: host, Source: failover.Endpoint{Host: h.Addr.String(), Port: lab.MySQLPort,
		User: lab.ReplUser.Name, Password: lab.ReplUser.Password}}
	if s := e.db[host]; s != nil {
		n.DB = s
		return n
	}
	cfg, err := e.l.ConfigFrom("mon", h.Addr, lab.AgentUser, "")
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	s, err := dbctl.Open(ctx, cfg)
	if err != nil {
		e.t.Logf("%s does not answer: %v", host, err)
		return n
	}
	e.db[host] = s
	n.DB = s
	return n
}

// forget drops the cached connection to host (after it died).
func (e *env) forget(host string) {
	if s := e.db[host]; s != nil {
		s.Close()
		delete(e.db, host)
	}
}

// root runs a one-value query as root over host's socket.
func (e *env) root(host, q string, args ...any) string {
	e.t.Helper()
	s, err := e.l.Server(host)
	if err != nil {
		e.t.Fatal(err)
	}
	db, err := s.Open("")
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	var v sql.NullString
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.QueryRowContext(ctx, q, args...).Scan(&v); err != nil {
		e.t.Fatalf("%s: %s: %v", host, q, err)
	}
	return v.String
}

// ids returns the ids of app.acks on host, read as root.
func (e *env) ids(host string) map[int64]bool {
	e.t.Helper()
	s, _ := e.l.Server(host)
	db, err := s.Open("")
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT id FROM app.acks")
	if err != nil {
		e.t.Fatalf("%s: %v", host, err)
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			e.t.Fatal(err)
		}
		out[id] = true
	}
	return out
}

// app is a pool for the application account from the app host to host.
func (e *env) app(host string) *sql.DB {
	e.t.Helper()
	h, _ := lab.LookupHost(host)
	cfg, err := e.l.ConfigFrom("app", h.Addr, lab.AppUser, lab.AppDatabase)
	if err != nil {
		e.t.Fatal(err)
	}
	cfg.Logger = &mysql.NopLogger{} // killed connections are expected here
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	e.t.Cleanup(func() { db.Close() })
	return db
}

// createAcks creates app.acks on db1 and waits until db2 and db3 have it.
func (e *env) createAcks() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.app("db1").ExecContext(ctx, "CREATE TABLE acks (id BIGINT PRIMARY KEY, via VARCHAR(8), at TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP(6))"); err != nil {
		e.t.Fatal(err)
	}
	e.waitSame("db1", "db2", "db3")
}

// waitSame waits until every other host has applied from's binlog
// position.
func (e *env) waitSame(from string, others ...string) {
	e.t.Helper()
	pos := e.root(from, "SELECT @@gtid_binlog_pos")
	for _, h := range others {
		if got := e.root(h, "SELECT MASTER_GTID_WAIT(?, 30)", pos); got != "0" {
			e.t.Fatalf("%s did not reach %s of %s: %s", h, pos, from, got)
		}
	}
}

// writer inserts a row every 10 ms through the current writer's address,
// as the application does through the writer VIP, and remembers which
// inserts were acknowledged.
type writer struct {
	e      *env
	pools  map[string]*sql.DB
	target atomic.Value // host name
	stop   chan struct{}
	done   chan struct{}

	mu     sync.Mutex
	acks   []ack
	errs   map[string]int // by error kind
	next   int64
	firstF time.Time // first failed insert
}

type ack struct {
	id  int64
	via string
	at  time.Time
}

func (e *env) startWriter(hosts ...string) *writer {
	w := &writer{e: e, pools: map[string]*sql.DB{}, stop: make(chan struct{}), done: make(chan struct{}), errs: map[string]int{}}
	for _, h := range hosts {
		p := e.app(h)
		p.SetMaxOpenConns(2)
		w.pools[h] = p
	}
	w.target.Store(hosts[0])
	go w.run()
	e.t.Cleanup(w.halt)
	return w
}

func (w *writer) run() {
	defer close(w.done)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-tick.C:
		}
		host := w.target.Load().(string)
		w.next++
		id := w.next
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_, err := w.pools[host].ExecContext(ctx, "INSERT INTO acks (id, via) VALUES (?, ?)", id, host)
		cancel()
		now := time.Now()
		w.mu.Lock()
		if err == nil {
			w.acks = append(w.acks, ack{id: id, via: host, at: now})
		} else {
			w.errs[errKind(err)]++
			if w.firstF.IsZero() {
				w.firstF = now
			}
		}
		w.mu.Unlock()
	}
}

func errKind(err error) string {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return strconv.Itoa(int(me.Number))
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return err.Error()
}

// halt stops the writer (idempotent).
func (w *writer) halt() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

// waitAcks waits until n more inserts were acknowledged.
func (w *writer) waitAcks(n int) {
	w.e.t.Helper()
	w.mu.Lock()
	want := len(w.acks) + n
	w.mu.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		got := len(w.acks)
		w.mu.Unlock()
		if got >= want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	w.e.t.Fatalf("writer: fewer than %d acknowledged inserts after 30 s (errors %v)", n, w.errs)
}

// report returns the acknowledged ids, the longest time without an
// acknowledged insert, and the unavailable window of the switch: from the
// last insert acknowledged through the old writer to the first through
// another one.
func (w *writer) report() (ids []int64, gap, window time.Duration, from, to ack) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, a := range w.acks {
		ids = append(ids, a.id)
		if i == 0 {
			continue
		}
		prev := w.acks[i-1]
		gap = max(gap, a.at.Sub(prev.at))
		if a.via != prev.via && window == 0 {
			window, from, to = a.at.Sub(prev.at), prev, a
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, gap, window, from, to
}

// missingOn returns the acknowledged ids host lacks.
func (e *env) missingOn(host string, ids []int64) []int64 {
	have := e.ids(host)
	var out []int64
	for _, id := range ids {
		if !have[id] {
			out = append(out, id)
		}
	}
	return slices.Clip(out)
}
