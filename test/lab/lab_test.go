package lab

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

func TestCheckAddrs(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"198.18.0.11", true},
		{"198.18.0.100", true},
		{"198.18.0.254", true},
		{"198.18.0.0", false},   // the network itself
		{"198.18.0.255", false}, // broadcast
		{"198.18.1.11", false},
		{"192.0.2.1", false},
		{"127.0.0.1", false},
		{"10.0.60.100", false},
		{"::1", false},
	}
	for _, tt := range tests {
		err := CheckAddrs(netip.MustParseAddr(tt.addr))
		if (err == nil) != tt.ok {
			t.Errorf("CheckAddrs(%s) = %v, want ok=%v", tt.addr, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrOutsideLab) {
			t.Errorf("CheckAddrs(%s) = %v, want ErrOutsideLab", tt.addr, err)
		}
	}
	if err := CheckAddrs(netip.Addr{}); !errors.Is(err, ErrOutsideLab) {
		t.Errorf("zero address: %v", err)
	}
	if err := CheckAddrs(topologyAddrs()...); err != nil {
		t.Errorf("the topology itself: %v", err)
	}
}

func TestNewPrefix(t *testing.T) {
	tests := []struct {
		prefix string
		ok     bool
	}{
		{"", true}, // DefaultPrefix
		{"mmm", true},
		{"mmmt", true},
		{"a1234567", true},
		{"a12345678", false}, // too long
		{"1mm", false},
		{"mm-", false},
		{"MMM", false},
		{"../x", false},
	}
	for _, tt := range tests {
		l, err := New(Options{Prefix: tt.prefix})
		if (err == nil) != tt.ok {
			t.Errorf("New(%q) = %v, want ok=%v", tt.prefix, err, tt.ok)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrBadPrefix) {
				t.Errorf("New(%q) = %v, want ErrBadPrefix", tt.prefix, err)
			}
			continue
		}
		if got := l.Namespace("db1"); got != l.Prefix()+"-db1" {
			t.Errorf("Namespace = %q", got)
		}
		if got := l.StateDir(); got != "/run/mmm-lab/"+l.Prefix() {
			t.Errorf("StateDir = %q", got)
		}
	}
}

func TestParseThread(t *testing.T) {
	for _, want := range []Thread{ThreadIO, ThreadSQL, ThreadBoth} {
		got, err := ParseThread(want.String())
		if err != nil || got != want {
			t.Errorf("ParseThread(%q) = %v, %v", want, got, err)
		}
	}
	if _, err := ParseThread("relay"); err == nil {
		t.Error("ParseThread(relay) accepted")
	}
	if ThreadUnknown.String() != "unknown" {
		t.Errorf("zero Thread = %q", ThreadUnknown)
	}
}

// TestConfigLoads proves the cluster configuration the lab writes is one
// internal/config accepts, describes the topology, stays inside the lab
// network, and renders keepalived.conf for both masters.
func TestConfigLoads(t *testing.T) {
	dir := t.TempDir()
	state := "/run/mmm-lab/mmmt"
	common := filepath.Join(dir, "mmm_common.conf")
	if err := os.WriteFile(common, []byte(renderConfig(state, "/opt/mmm/bin", ProfileFast)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, h := range DBHosts() {
		path := filepath.Join(dir, "mmm_"+h.Name+".conf")
		if err := os.WriteFile(path, []byte("include mmm_common.conf\nthis "+h.Name+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := config.Load(path)
		if err != nil {
			t.Fatalf("%s: %v", h.Name, err)
		}
		if len(c.Warnings) > 0 {
			t.Errorf("%s: warnings: %v", h.Name, c.Warnings)
		}
		if c.ThisHost() == nil || c.ThisHost().IP != h.Addr {
			t.Errorf("%s: this host = %+v", h.Name, c.ThisHost())
		}
		if h.Mode == "master" {
			if _, err := keepalived.Render(c, h.Name); err != nil {
				t.Errorf("keepalived.Render(%s): %v", h.Name, err)
			}
		}
	}
	c, err := config.Load(common)
	if err != nil {
		t.Fatal(err)
	}
	var addrs []netip.Addr
	for _, h := range DBHosts() {
		ch := c.Host(h.Name)
		if ch == nil {
			t.Fatalf("host %s missing", h.Name)
		}
		if ch.IP != h.Addr || ch.Mode.String() != h.Mode || ch.Peer != h.Peer {
			t.Errorf("host %s = %s %s peer %q", h.Name, ch.IP, ch.Mode, ch.Peer)
		}
		if want := filepath.Join(state, h.Name, "mysql/mysqld.sock"); ch.MySQLSocket != want {
			t.Errorf("host %s socket %q, want %q", h.Name, ch.MySQLSocket, want)
		}
		for _, p := range []string{ch.DataDir, ch.APISocket, ch.TrackFile, ch.PidPath} {
			if !strings.HasPrefix(p, filepath.Join(state, h.Name)+"/") {
				t.Errorf("host %s: per-host path %q outside its state dir", h.Name, p)
			}
		}
		if ch.AgentUser != AgentUser.Name || ch.MonitorUser != MonitorUser.Name || ch.ReplicationUser != ReplUser.Name {
			t.Errorf("host %s users: %s %s %s", h.Name, ch.AgentUser, ch.MonitorUser, ch.ReplicationUser)
		}
		addrs = append(addrs, ch.IP)
	}
	w := c.WriterRole()
	if w == nil || !slices.Equal(w.Hosts, []string{"db1", "db2"}) || !slices.Equal(w.IPs, []netip.Addr{WriterVIP}) {
		t.Errorf("writer role = %+v", w)
	}
	r := c.Role("reader")
	if r == nil || !slices.Equal(r.IPs, ReaderVIPs) || len(r.Hosts) != 3 {
		t.Errorf("reader role = %+v", r)
	}
	for _, role := range c.Roles {
		addrs = append(addrs, role.IPs...)
	}
	addrs = append(addrs, c.Monitor.PingIPs...)
	if err := CheckAddrs(addrs...); err != nil {
		t.Error(err)
	}
	if c.Keepalived.VirtualRouterID == 0 {
		t.Error("no virtual_router_id")
	}
}
