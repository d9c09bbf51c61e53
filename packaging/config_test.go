package packaging

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

// The markers around the example in files/mmm.conf.
const (
	shippedConfig = "files/mmm.conf"

	exampleBegin = "# --- example begins ---"
	exampleEnd   = "# --- example ends ---"
)

// uncommentExample returns the example of a shipped mmm.conf as the
// configuration an operator makes of it: the lines between the markers,
// each without its first '#'.
func uncommentExample(t *testing.T, src []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	in := false
	for line := range strings.Lines(string(src)) {
		switch strings.TrimRight(line, "\n") {
		case exampleBegin:
			in = true
			continue
		case exampleEnd:
			in = false
			continue
		}
		if !in {
			continue
		}
		if !strings.HasPrefix(line, "#") {
			t.Fatalf("example line %q is not commented out", line)
		}
		out.WriteString(line[1:])
	}
	if out.Len() == 0 {
		t.Fatalf("no example between %q and %q", exampleBegin, exampleEnd)
	}
	return out.Bytes()
}

// writeExample writes the uncommented example into a new directory with
// the password files and API token it names, mode 0600, and returns its
// path.
func writeExample(t *testing.T, src []byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"mmm.conf": string(uncommentExample(t, src)), "agent.pass": "agent-secret\n",
		"monitor.pass": "monitor-secret\n", "repl.pass": "repl-secret\n", "api.token": "0123456789abcdef\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "mmm.conf")
}

func TestShippedConfigExampleLoads(t *testing.T) {
	src, err := os.ReadFile(shippedConfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(writeExample(t, src))
	if err != nil {
		t.Fatalf("the example in files/mmm.conf does not load:\n%v", err)
	}
	if len(cfg.Warnings) > 0 {
		t.Errorf("warnings: %q", cfg.Warnings)
	}
	// The seed topology: MySQL-MMM's usual three hosts and four VIPs.
	want := map[string]string{"db1": "10.0.60.100", "db2": "10.0.60.101", "db3": "10.0.60.102"}
	if len(cfg.Hosts) != len(want) {
		t.Errorf("hosts: got %d, want %d", len(cfg.Hosts), len(want))
	}
	for name, ip := range want {
		if h := cfg.Host(name); h == nil || h.IP.String() != ip {
			t.Errorf("host %s: got %+v, want ip %s", name, h, ip)
		}
	}
	if cfg.This != "db1" || cfg.ActiveMasterRole != "writer" {
		t.Errorf("this %q, active_master_role %q: want db1, writer", cfg.This, cfg.ActiveMasterRole)
	}
	if got := len(cfg.Coordinator.RaftPeers); got != 3 {
		t.Errorf("raft_peers: %d, want 3", got)
	}
	// Complete enough to render keepalived.conf for both writer hosts.
	for _, host := range []string{"db1", "db2"} {
		out, err := keepalived.Render(cfg, host)
		if err != nil {
			t.Fatalf("keepalived render --host %s: %v", host, err)
		}
		if !bytes.Contains(out, []byte("10.0.60.160/32")) {
			t.Errorf("keepalived.conf for %s lacks the writer VIP 10.0.60.160:\n%s", host, out)
		}
	}
}

// The shipped file configures nothing: installing the package must not
// make a host part of a cluster.
func TestShippedConfigIsCommentsOnly(t *testing.T) {
	src, err := os.ReadFile(shippedConfig)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(src), "\n") {
		if s := strings.TrimSpace(line); s != "" && !strings.HasPrefix(s, "#") {
			t.Errorf("mmm.conf:%d: %q is not a comment", i+1, line)
		}
	}
}
