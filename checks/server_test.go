package checks

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/checks/checkstest"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// answers is a MariaDB 10.11 replica as the fake plays it.
func answers(slave ...[]any) map[string]checkstest.Answer {
	a := map[string]checkstest.Answer{
		"SELECT NOW()": {Columns: []string{"NOW()"}, Rows: [][]any{{"2026-01-02 03:04:05"}}},
		"SELECT VERSION(), @@version_comment": {Columns: []string{"VERSION()", "@@version_comment"},
			Rows: [][]any{{"10.11.19-MariaDB-0+deb12u1", "Debian 12"}}},
		"SHOW SLAVE STATUS": {Columns: []string{"Slave_IO_State", "Slave_IO_Running", "Slave_SQL_Running",
			"Seconds_Behind_Master", "Last_IO_Errno", "Last_IO_Error"}, Rows: slave},
		"SELECT @@GLOBAL.gtid_slave_pos": {Columns: []string{"@@GLOBAL.gtid_slave_pos"}, Rows: [][]any{{"0-1-42"}}},
		"SHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync%'": {Columns: []string{"Variable_name", "Value"}, Rows: [][]any{
			{"rpl_semi_sync_master_enabled", "ON"}, {"rpl_semi_sync_master_timeout", "2000"},
			{"rpl_semi_sync_slave_enabled", "OFF"}}},
		"SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync%'": {Columns: []string{"Variable_name", "Value"}, Rows: [][]any{
			{"Rpl_semi_sync_master_status", "ON"}, {"Rpl_semi_sync_master_clients", "2"}}},
		"SELECT @@GLOBAL.read_only": {Columns: []string{"@@GLOBAL.read_only"}, Rows: [][]any{{"1"}}},
	}
	return a
}

// serverFor is a Server logging in to the fake over TCP.
func serverFor(f *checkstest.Server) *Server {
	return NewServer(Target{IP: loopback, Port: f.Port(), User: "mmm_monitor", Password: "pw"}.MySQLConfig())
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestServerAnswers(t *testing.T) {
	f := checkstest.Start(t, checkstest.Options{Answers: answers([]any{"Waiting for master to send event", "Yes", "Yes", "3", "0", ""})})
	s := serverFor(f)
	ctx := ctxFor(t, 5*time.Second)
	if err := s.Now(ctx); err != nil {
		t.Fatalf("Now: %v", err)
	}
	st, err := s.ReplicaStatus(ctx)
	if err != nil || !st.Running() || !st.SecondsBehind.Valid || st.SecondsBehind.Int64 != 3 || st.ExecutedGTID != "0-1-42" {
		t.Fatalf("ReplicaStatus: %+v, %v", st, err)
	}
	semi, err := s.Semisync(ctx)
	if err != nil || !semi.MasterEnabled || !semi.MasterActive || semi.Clients != 2 {
		t.Fatalf("Semisync: %+v, %v", semi, err)
	}
	ro, err := s.ReadOnly(ctx)
	if err != nil || !ro.ReadOnly {
		t.Fatalf("ReadOnly: %+v, %v", ro, err)
	}
	if s.Addr() != f.Addr() {
		t.Errorf("Addr %q, want %q", s.Addr(), f.Addr())
	}
}

func TestServerNotReplicaOverSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "mysqld.sock")
	f := checkstest.Start(t, checkstest.Options{Socket: sock, Answers: answers()})
	s := NewServer(Target{Socket: sock, User: "mmm_monitor"}.MySQLConfig())
	_, err := s.ReplicaStatus(ctxFor(t, 5*time.Second))
	if !errors.Is(err, dbctl.ErrNotReplica) {
		t.Fatalf("ReplicaStatus of a non-replica: %v, want ErrNotReplica", err)
	}
	r := RepThreads{Server: s, Timeout: time.Second}.Run(t.Context())
	checkResult(t, r, StatusFailed, "Replication is not set up")
	if len(f.Queries()) == 0 {
		t.Error("the fake saw no query")
	}
}

func TestServerFailures(t *testing.T) {
	tooMany := &mysql.MySQLError{Number: 1040, SQLState: state("08004"), Message: "Too many connections"}
	denied := &mysql.MySQLError{Number: 1045, SQLState: state("28000"), Message: "Access denied for user 'mmm_monitor'@'localhost' (using password: YES)"}
	hang := answers()
	hang["SELECT NOW()"] = checkstest.Answer{Hang: true}
	broken := answers()
	broken["SELECT NOW()"] = checkstest.Answer{Err: &mysql.MySQLError{Number: 1146, SQLState: state("42S02"), Message: "no"}}
	for _, tc := range []struct {
		name    string
		opts    checkstest.Options
		connect bool  // a *ConnectError
		is      error // and wraps this
		status  Status
		msg     string
	}{
		{"too many connections", checkstest.Options{RejectConnect: tooMany}, true, dbctl.ErrTooManyConnections,
			StatusUnknown, "Too many connections! Error 1040 (08004): Too many connections (host = 127.0.0.1:..."},
		{"wrong password", checkstest.Options{RejectLogin: denied}, true, dbctl.ErrAccessDenied,
			StatusFailed, "Connect error (host = 127.0.0.1:..."},
		{"accepts and never answers", checkstest.Options{Silent: true}, true, context.DeadlineExceeded,
			StatusFailed, "Connect error (host = 127.0.0.1:..."},
		{"query never answers", checkstest.Options{Answers: hang}, false, context.DeadlineExceeded, StatusFailed, "Timeout"},
		{"query fails", checkstest.Options{Answers: broken}, false, nil, StatusFailed, "SQL Query Error: Error 1146 (42S02): no"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := checkstest.Start(t, tc.opts)
			s := serverFor(f)
			const deadline = 300 * time.Millisecond
			start := time.Now()
			err := s.Now(ctxFor(t, deadline))
			if took := time.Since(start); took > deadline+time.Second { // a bound, not a speed target
				t.Errorf("Now returned after %v, past its deadline %v", took, deadline)
			}
			var ce *ConnectError
			if errors.As(err, &ce) != tc.connect || (tc.is != nil && !errors.Is(err, tc.is)) || err == nil {
				t.Errorf("Now: %v; want connect error %v wrapping %v", err, tc.connect, tc.is)
			}
			r := MySQL{Server: s, Timeout: deadline}.Run(t.Context())
			checkResult(t, r, tc.status, tc.msg)
			if r.Duration > deadline+time.Second {
				t.Errorf("check took %v, past its deadline %v", r.Duration, deadline)
			}
		})
	}
}

func TestServerRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := NewServer(Target{IP: netip.MustParseAddr("127.0.0.1"), Port: port, User: "u"}.MySQLConfig())
	r := MySQL{Server: s, Timeout: time.Second}.Run(t.Context())
	checkResult(t, r, StatusFailed, "Connect error (host = 127.0.0.1:...")
	for _, c := range []Check{RepThreads{Server: s}, RepBacklog{Server: s}, Semisync{Server: s, MinClients: 1}, ReadOnly{Server: s}} {
		if r := c.Run(t.Context()); r.Status != StatusUnknown {
			t.Errorf("%s with mysqld down: %v, want UNKNOWN (the mysql check reports it)", c.Name(), r)
		}
	}
	// A configuration the driver rejects is a connect error too.
	bad := NewServer(&mysql.Config{Net: "tcp", Addr: "127.0.0.1:1", User: "u", Params: map[string]string{"x": "y"}, TLSConfig: "nonexistent"})
	if err := bad.Now(t.Context()); !errors.As(err, new(*ConnectError)) {
		t.Errorf("a bad driver configuration: %v, want a connect error", err)
	}
}

func TestServerNoDeadlineStillBounded(t *testing.T) {
	f := checkstest.Start(t, checkstest.Options{Silent: true})
	s := serverFor(f)
	// No deadline from the caller: the driver's own timeouts (DefaultTimeout) end it.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Now(ctx) }()
	select {
	case err := <-done:
		if !errors.As(err, new(*ConnectError)) {
			t.Errorf("Now: %v, want a connect error", err)
		}
	case <-time.After(DefaultTimeout + 5*time.Second):
		t.Fatal("Now without a deadline did not return")
	}
}

func TestServerFlavourUnknown(t *testing.T) {
	a := answers()
	delete(a, "SELECT VERSION(), @@version_comment")
	s := serverFor(checkstest.Start(t, checkstest.Options{Answers: a}))
	r := RepBacklog{Server: s, Timeout: time.Second}.Run(t.Context())
	checkResult(t, r, StatusUnknown, "Unknown state. Execute error: dbctl: detect flavour: ...")
}

// TestPersistentServer: a persistent Server connects and detects the
// flavour once for many reads, keeps its pool across answers (also "not
// a replica"), drops it after a failure and reconnects; Now still
// connects afresh every time.
func TestPersistentServer(t *testing.T) {
	a := answers([]any{"Waiting for master to send event", "Yes", "Yes", "0", "0", ""})
	delete(a, "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync%'") // Semisync fails
	f := checkstest.Start(t, checkstest.Options{Answers: a})
	s := NewPersistentServer(Target{IP: loopback, Port: f.Port(), User: "mmm_monitor", Password: "pw"}.MySQLConfig())
	t.Cleanup(func() { s.Close() })
	ctx := ctxFor(t, 10*time.Second)
	detects := func() int {
		n := 0
		for _, q := range f.Queries() {
			if q == "SELECT VERSION(), @@version_comment" {
				n++
			}
		}
		return n
	}
	for range 3 {
		if _, err := s.ReplicaStatus(ctx); err != nil {
			t.Fatalf("ReplicaStatus: %v", err)
		}
	}
	if _, err := s.ReadOnly(ctx); err != nil {
		t.Fatalf("ReadOnly: %v", err)
	}
	if n := detects(); n != 1 {
		t.Errorf("%d connections for four reads, want 1", n)
	}
	// Semisync is not answered by this fake: the failure drops the pool.
	if _, err := s.Semisync(ctx); err == nil {
		t.Fatal("Semisync without an answer succeeded")
	}
	if _, err := s.ReplicaStatus(ctx); err != nil {
		t.Fatalf("ReplicaStatus after a failure: %v", err)
	}
	if n := detects(); n != 2 {
		t.Errorf("%d connections after a failure, want 2 (reconnected once)", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReplicaStatus(ctx); err != nil || detects() != 3 {
		t.Errorf("after Close: %v, %d connections, want 3", err, detects())
	}
	nows := func() int {
		n := 0
		for _, q := range f.Queries() {
			if q == "SELECT NOW()" {
				n++
			}
		}
		return n
	}
	for range 2 {
		if err := s.Now(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if detects() != 3 || nows() != 2 {
		t.Errorf("Now used the pool or detected the flavour: %d detects, %d NOW()", detects(), nows())
	}
}

func TestPersistentServerNotReplicaKeepsPool(t *testing.T) {
	f := checkstest.Start(t, checkstest.Options{Answers: answers()})
	s := NewPersistentServer(Target{IP: loopback, Port: f.Port(), User: "mmm_monitor", Password: "pw"}.MySQLConfig())
	t.Cleanup(func() { s.Close() })
	ctx := ctxFor(t, 5*time.Second)
	for range 2 {
		if _, err := s.ReplicaStatus(ctx); !errors.Is(err, dbctl.ErrNotReplica) {
			t.Fatalf("ReplicaStatus of a non-replica: %v", err)
		}
	}
	n := 0
	for _, q := range f.Queries() {
		if q == "SELECT VERSION(), @@version_comment" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d connections, want 1: an answer keeps the pool", n)
	}
}

func TestPersistentServerRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := NewPersistentServer(Target{IP: loopback, Port: port, User: "u"}.MySQLConfig())
	_, err = s.ReadOnly(ctxFor(t, 2*time.Second))
	var ce *ConnectError
	if !errors.As(err, &ce) {
		t.Fatalf("refused: %v, want a *ConnectError", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close without a pool: %v", err)
	}
}
