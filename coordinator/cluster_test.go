package coordinator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

// testConfig is a three-host cluster (db1, db2 masters, db3 replica)
// with fast checks and raft timeouts; every path is under dir. No address
// is ever dialled: the tests use raft's in-memory transport.
func testConfig(t *testing.T, dir string) *config.Config {
	t.Helper()
	var b strings.Builder
	b.WriteString("active_master_role writer\n<host default>\n  monitor_user m\n  monitor_password p\n</host>\n")
	for i, h := range []struct{ name, mode, peer string }{{"db1", "master", "db2"}, {"db2", "master", "db1"}, {"db3", "slave", ""}} {
		fmt.Fprintf(&b, "<host %s>\n  ip 127.0.0.%d\n  mode %s\n", h.name, 11+i, h.mode)
		if h.peer != "" {
			fmt.Fprintf(&b, "  peer %s\n", h.peer)
		}
		fmt.Fprintf(&b, "  data_dir %s\n  track_file %s\n  api_socket %s\n</host>\n",
			filepath.Join(dir, h.name, "data"), filepath.Join(dir, h.name, "writer.track"), filepath.Join(dir, h.name, "mmm.sock"))
		if err := os.MkdirAll(filepath.Join(dir, h.name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b.WriteString("<role writer>\n  hosts db1, db2\n  ips 192.0.2.100\n  mode exclusive\n</role>\n")
	b.WriteString("<role reader>\n  hosts db1, db2, db3\n  ips 192.0.2.101, 192.0.2.102\n  mode balanced\n</role>\n")
	b.WriteString("<check default>\n  check_period 0.1\n  trap_period 0.3\n  timeout 0.5\n</check>\n")
	fmt.Fprintf(&b, "<keepalived>\n  notify_fifo %s\n</keepalived>\n", filepath.Join(dir, "vrrp.fifo"))
	b.WriteString("<coordinator>\n  raft_heartbeat_timeout 100ms\n  raft_election_timeout 100ms\n  raft_leader_lease_timeout 50ms\n  lease 500ms\n  history_size 50\n</coordinator>\n")
	cfg, err := config.Parse(filepath.Join(dir, "mmm_common.conf"), []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// world is what the fake prober and inspector see: every host healthy,
// db1 the writable master, db2 and db3 replicating from db1.
type world struct {
	mu   sync.Mutex
	down map[string]bool // host → every check fails
}

func (w *world) setDown(host string, down bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.down[host] = down
}

func (w *world) Probe(ctx context.Context, host string, c fsm.Check) (fsm.Result, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.down[host] {
		return fsm.ResultFailed, "ERROR: down in the test"
	}
	return fsm.ResultOK, "OK"
}

func (w *world) Inspect(ctx context.Context, host string) (Inspection, error) {
	writable := host == "db1"
	follows := "db1"
	if host == "db1" {
		follows = "db2"
	}
	return Inspection{Writable: &writable, Follows: &follows, Position: fsm.Position{"0": 10}}, nil
}

// testCluster is three coordinators on raft's in-memory transport.
type testCluster struct {
	t      *testing.T
	cfg    *config.Config
	world  *world
	trans  map[string]*raft.InmemTransport
	stores map[string]Stores
	nodes  map[string]*Coordinator
	stop   map[string]func()
	execs  map[string]map[string]Executor
	cut    map[string]bool // isolated hosts: their status questions go nowhere
	noAsk  bool            // nobody answers status questions
	// transfer: Options.LeadershipTransfer (off: a stop is a crash, no
	// handoff).
	transfer bool
	mu       sync.Mutex
}

func newTestCluster(t *testing.T, execs map[string]map[string]Executor) *testCluster {
	t.Helper()
	return newTestClusterWith(t, execs, nil)
}

// newTestClusterWith is newTestCluster with the configuration changed by
// mutate first and the harness by opts.
func newTestClusterWith(t *testing.T, execs map[string]map[string]Executor, mutate func(*config.Config), opts ...func(*testCluster)) *testCluster {
	t.Helper()
	cfg := testConfig(t, t.TempDir())
	if mutate != nil {
		mutate(cfg)
	}
	tc := &testCluster{t: t, cfg: cfg, world: &world{down: map[string]bool{}}, trans: map[string]*raft.InmemTransport{},
		stores: map[string]Stores{}, nodes: map[string]*Coordinator{}, stop: map[string]func(){}, execs: execs,
		cut: map[string]bool{}}
	for _, h := range cfg.Hosts {
		_, tr := raft.NewInmemTransport(raft.ServerAddress(h.RaftAddress))
		tc.trans[h.Name] = tr
		tc.stores[h.Name] = InmemStores()
	}
	for _, o := range opts {
		o(tc)
	}
	for _, h := range cfg.Hosts {
		tc.start(h.Name)
	}
	t.Cleanup(func() {
		for _, h := range cfg.Hosts {
			tc.kill(h.Name)
		}
	})
	return tc
}

// start runs host's coordinator on its (kept) stores and transport.
func (tc *testCluster) start(host string) *Coordinator {
	tc.t.Helper()
	st := tc.stores[host]
	tc.mu.Lock()
	if !tc.cut[host] {
		// A restarted process dials its peers again; closing the
		// transport at shutdown dropped them.
		for h, tr := range tc.trans {
			if h != host && !tc.cut[h] {
				tc.trans[host].Connect(tr.LocalAddr(), tr)
				tr.Connect(tc.trans[host].LocalAddr(), tc.trans[host])
			}
		}
	}
	tc.mu.Unlock()
	log := slog.New(slog.NewTextHandler(testWriter{tc.t, host}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	c, err := New(Options{Config: tc.cfg, Host: host, Logger: log, Prober: tc.world, Inspector: tc.world,
		Executors: tc.execs[host], Retry: RetryPolicy{Backoff: 50 * time.Millisecond}, LeadershipTransfer: tc.transfer,
		Transport: tc.trans[host], Stores: &st, Send: tc.send,
		AskPeer: func(ctx context.Context, peer string) (peerStatus, error) { return tc.ask(ctx, host, peer) },
		Uptime:  func() (float64, error) { return 1000, nil },
		VIPs:    func() ([]netip.Addr, bool) { return nil, true }})
	if err != nil {
		tc.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	tc.mu.Lock()
	tc.nodes[host] = c
	tc.stop[host] = func() {
		cancel()
		if err := <-done; err != nil {
			tc.t.Logf("%s: run: %v", host, err)
		}
	}
	tc.mu.Unlock()
	return c
}

// kill stops host's coordinator (its stores and transport stay, as a
// process's files and address do).
func (tc *testCluster) kill(host string) {
	tc.mu.Lock()
	stop := tc.stop[host]
	delete(tc.stop, host)
	delete(tc.nodes, host)
	tc.mu.Unlock()
	if stop != nil {
		stop()
	}
}

func (tc *testCluster) node(host string) *Coordinator {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.nodes[host]
}

// send delivers a report to the leader in process, like the raft port.
func (tc *testCluster) send(ctx context.Context, leaderID, leaderAddr string, r Report) (uint64, error) {
	c := tc.node(leaderID)
	if c == nil {
		return 0, fmt.Errorf("no coordinator %s", leaderID)
	}
	return c.handleReport(ctx, r)
}

// ask answers from's status question to peer in process, like the raft
// port, unless either is cut off.
func (tc *testCluster) ask(ctx context.Context, from, peer string) (peerStatus, error) {
	tc.mu.Lock()
	blocked := tc.noAsk || tc.cut[from] || tc.cut[peer]
	tc.mu.Unlock()
	c := tc.node(peer)
	if c == nil || blocked {
		return peerStatus{}, fmt.Errorf("%s does not answer %s", peer, from)
	}
	return c.status(), nil
}

// isolate cuts host off from the others: raft and status questions.
func (tc *testCluster) isolate(host string) {
	tc.mu.Lock()
	tc.cut[host] = true
	tc.mu.Unlock()
	tc.trans[host].DisconnectAll()
	for h, tr := range tc.trans {
		if h != host {
			tr.Disconnect(tc.trans[host].LocalAddr())
		}
	}
}

// leader waits for a leader that all running nodes agree on.
func (tc *testCluster) leader() *Coordinator {
	tc.t.Helper()
	var l *Coordinator
	eventually(tc.t, 10*time.Second, "a leader all nodes agree on", func() bool {
		l = nil
		tc.mu.Lock()
		defer tc.mu.Unlock()
		for _, c := range tc.nodes {
			if c.IsLeader() {
				l = c
			}
		}
		if l == nil {
			return false
		}
		for _, c := range tc.nodes {
			if c.Leader() != l.Host() {
				return false
			}
		}
		return true
	})
	return l
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func trackEligible(t *testing.T, path string) bool {
	ok, err := keepalived.ReadTrackFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Logf("track file: %v", err)
	}
	return ok
}

// testWriter sends a node's log to t.Log while the test runs.
type testWriter struct {
	t    *testing.T
	host string
}

func (w testWriter) Write(p []byte) (int, error) {
	defer func() { _ = recover() }() // a late log line after the test ended
	w.t.Logf("%s: %s", w.host, strings.TrimSpace(string(p)))
	return len(p), nil
}
