package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args []string
		ok   bool
	}{
		{nil, true},
		{[]string{"--witness", "--host", "mon", "--log-format", "json", "--log-level", "debug"}, true},
		{[]string{"--log-format", "xml"}, false},
		{[]string{"--log-level", "loud"}, false},
		{[]string{"extra"}, false},
		{[]string{"--leadership-transfer=false"}, true},
	}
	for _, tt := range tests {
		if _, err := parseArgs(tt.args, io.Discard); (err == nil) != tt.ok {
			t.Errorf("%v: err %v", tt.args, err)
		}
	}
}

// freePort returns a loopback port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestServeThreeNodes runs three coordinators in this process over real
// TCP on 127.0.0.1 (raft and reports on one port each, the API on a unix
// socket and TCP): they elect a leader, every node's socket shows the
// same started state, and a command sent to a follower's socket is
// forwarded to the leader; every node's report reaches the leader. No MySQL runs: every host is HARD_OFFLINE.
func TestServeThreeNodes(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("active_master_role writer\n<host default>\n  monitor_user m\n  monitor_password p\n  mysql_port 1\n</host>\n")
	for i, h := range []string{"db1", "db2", "db3"} {
		mode, peer := "master", map[string]string{"db1": "db2", "db2": "db1"}[h]
		if h == "db3" {
			mode = "slave"
		}
		fmt.Fprintf(&b, "<host %s>\n  ip 127.0.0.%d\n  mode %s\n", h, 11+i, mode)
		if peer != "" {
			fmt.Fprintf(&b, "  peer %s\n", peer)
		}
		fmt.Fprintf(&b, "  raft_address 127.0.0.1:%d\n  api_address 127.0.0.1:%d\n  api_socket %s\n  data_dir %s\n  track_file %s\n</host>\n",
			freePort(t), freePort(t), filepath.Join(dir, h, "mmm.sock"), filepath.Join(dir, h, "data"), filepath.Join(dir, h, "writer.track"))
		if err := os.MkdirAll(filepath.Join(dir, h), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b.WriteString("<role writer>\n  hosts db1, db2\n  ips 192.0.2.100\n  mode exclusive\n</role>\n")
	b.WriteString("<check default>\n  check_period 0.2\n  trap_period 0.5\n  timeout 0.3\n</check>\n<check ping>\n  ping_method tcp\n</check>\n")
	fmt.Fprintf(&b, "<keepalived>\n  notify_fifo %s\n</keepalived>\n", filepath.Join(dir, "vrrp.fifo"))
	b.WriteString("<coordinator>\n  raft_heartbeat_timeout 200ms\n  raft_election_timeout 200ms\n  raft_leader_lease_timeout 100ms\n</coordinator>\n")
	path := filepath.Join(dir, "mmm_common.conf")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 3)
	for _, h := range []string{"db1", "db2", "db3"} {
		level := new(slog.LevelVar)
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		go func() { done <- serve(ctx, options{config: path, transfer: true}, cfg, h, level, log) }()
	}
	defer func() {
		cancel()
		for range 3 {
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("serve: %v", err)
				}
			case <-time.After(shutdownLimit + time.Second):
				t.Error("a node did not stop within the shutdown limit")
			}
		}
	}()
	clients := map[string]*api.Client{}
	for _, h := range []string{"db1", "db2", "db3"} {
		c, err := api.NewClient(api.ClientOptions{Socket: cfg.Host(h).APISocket})
		if err != nil {
			t.Fatal(err)
		}
		clients[h] = c
	}
	snap := func(h string) api.Snapshot {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		s, _ := clients[h].Snapshot(ctx)
		return s
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		a, b, c := snap("db1"), snap("db2"), snap("db3")
		reported := true // every node's report (uptime) reached the leader, over TCP for followers
		for _, h := range a.State.Hosts {
			reported = reported && h.Uptime > 0
		}
		if reported && a.Leader != "" && a.Leader == b.Leader && b.Leader == c.Leader && a.State.Started &&
			a.Applied > 0 && fsm.Show(a.Spec, a.State) == fsm.Show(c.Spec, c.State) && fsm.Show(a.Spec, a.State) == fsm.Show(b.Spec, b.State) {
			t.Logf("leader %s, state:\n%s", a.Leader, fsm.Show(a.Spec, a.State))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no agreed, started state: leaders %q %q %q, started %v", a.Leader, b.Leader, c.Leader, a.State.Started)
		}
		time.Sleep(50 * time.Millisecond)
	}
	leader := snap("db1").Leader
	follower := "db1"
	if leader == "db1" {
		follower = "db2"
	}
	cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
	defer ccancel()
	rep, err := clients[follower].Command(cctx, fsm.Command{Op: fsm.OpMode})
	if err != nil || !rep.OK || rep.Text != "ACTIVE" {
		t.Errorf("mode through %s's socket: %+v, %v", follower, rep, err)
	}
}

// TestCluster: --cluster NAME runs with cluster NAME's file (found next
// to the default one, a temporary directory here); with --config, or a
// bad name, it is a usage error.
func TestCluster(t *testing.T) {
	dir := t.TempDir()
	saved := config.DefaultPaths
	config.DefaultPaths = []string{filepath.Join(dir, "mmm.conf"), filepath.Join(dir, "mmm_agent.conf")}
	t.Cleanup(func() { config.DefaultPaths = saved })
	c2 := filepath.Join(dir, "mmm_c2.conf")
	for _, tt := range []struct {
		args            []string
		config, cluster string
		err             string
	}{
		{args: nil, config: filepath.Join(dir, "mmm.conf")},
		{args: []string{"--cluster", "c2"}, config: c2, cluster: "c2"},
		{args: []string{"--cluster=prod-eu_1", "--host", "db1"}, config: filepath.Join(dir, "mmm_prod-eu_1.conf"), cluster: "prod-eu_1"},
		{args: []string{"--cluster", "c2", "--config", c2}, err: "usage: --config and --cluster both name the configuration: give one"},
		{args: []string{"--cluster", "../c2"}, err: `usage: --cluster: cluster name "../c2": want letters, digits, '-' and '_'`},
	} {
		o, err := parseArgs(tt.args, io.Discard)
		switch {
		case tt.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.err)):
			t.Errorf("%q: err %v, want %q…", tt.args, err, tt.err)
		case tt.err == "" && (err != nil || o.config != tt.config || o.cluster != tt.cluster):
			t.Errorf("%q: %v, config %q, cluster %q; want %q, %q", tt.args, err, o.config, o.cluster, tt.config, tt.cluster)
		}
	}

	// The file read is c2's: its host list, in the error for an unknown host.
	src := "active_master_role writer\n<host db5>\n  ip 192.0.2.5\n  mode master\n  peer db6\n</host>\n" +
		"<host db6>\n  ip 192.0.2.6\n  mode master\n  peer db5\n</host>\n" +
		"<role writer>\n  hosts db5, db6\n  ips 192.0.2.100\n  mode exclusive\n</role>\n"
	if err := os.WriteFile(c2, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	if code := run([]string{"--cluster", "c2", "--host", "db1"}, io.Discard, &stderr); code != exitUsage ||
		!strings.Contains(stderr.String(), `host \"db1\" is not in `+c2) {
		t.Errorf("--cluster c2 --host db1: exit %d, %s", code, stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"--cluster", "c3"}, io.Discard, &stderr); code != exitUsage ||
		!strings.Contains(stderr.String(), filepath.Join(dir, "mmm_c3.conf")) {
		t.Errorf("--cluster c3 (absent): exit %d, %s", code, stderr.String())
	}
}
