package notify

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/fence"
	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

func ipnet(s string) *net.IPNet {
	p := netip.MustParsePrefix(s)
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func TestHostObserver(t *testing.T) {
	dir := t.TempDir()
	open, closed, missing := filepath.Join(dir, "open"), filepath.Join(dir, "closed"), filepath.Join(dir, "missing")
	if err := keepalived.WriteTrackFile(open, true); err != nil {
		t.Fatal(err)
	}
	if err := keepalived.WriteTrackFile(closed, false); err != nil {
		t.Fatal(err)
	}
	withVIP := func(string) ([]net.Addr, error) {
		return []net.Addr{ipnet("198.18.0.11/24"), ipnet("198.18.0.100/32")}, nil
	}
	without := func(string) ([]net.Addr, error) { return []net.Addr{ipnet("198.18.0.11/24")}, nil }
	broken := func(name string) ([]net.Addr, error) { return nil, errIface }
	vips := []netip.Addr{netip.MustParseAddr("198.18.0.100")}
	tests := []struct {
		name             string
		addrs            func(string) ([]net.Addr, error)
		track            string
		holds, eligible  bool
		vipErr, trackErr bool
		trackIs          error
	}{
		{"VIP here, eligible", withVIP, open, true, true, false, false, nil},
		{"no VIP, ineligible", without, closed, false, false, false, false, nil},
		{"interface unreadable", broken, open, false, true, true, false, nil},
		{"track file missing is an error (keepalived would read 0)", without, missing, false, false, false, true, fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := HostObserver{Interface: "eth0", VIPs: vips, TrackFile: tt.track, addrs: tt.addrs}.Observe()
			if o.HoldsVIP != tt.holds || o.Eligible != tt.eligible || (o.VIPErr != nil) != tt.vipErr || (o.TrackErr != nil) != tt.trackErr {
				t.Errorf("Observe() = %+v", o)
			}
			if tt.trackIs != nil && !errors.Is(o.TrackErr, tt.trackIs) {
				t.Errorf("track error %v, want %v", o.TrackErr, tt.trackIs)
			}
			if o.Where != "198.18.0.100 on eth0" {
				t.Errorf("Where = %q", o.Where)
			}
		})
	}
}

// TestHostObserverLoopback reads a real interface: lo holds 127.0.0.1.
func TestHostObserverLoopback(t *testing.T) {
	if _, err := net.InterfaceByName("lo"); err != nil {
		t.Skip("no interface lo:", err)
	}
	o := HostObserver{Interface: "lo", VIPs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}.Observe()
	if !o.HoldsVIP || o.VIPErr != nil {
		t.Errorf("lo: %+v", o)
	}
	o = HostObserver{Interface: "no-such-if0", VIPs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}.Observe()
	if o.HoldsVIP || o.VIPErr == nil {
		t.Errorf("missing interface: %+v", o)
	}
}

func labConfig(t *testing.T) *config.Config {
	t.Helper()
	c, err := config.Parse("/etc/mmm/mmm_common.conf", []byte(`active_master_role writer
<host default>
    cluster_interface eth0
    agent_user mmm_agent
    agent_password agent-secret
</host>
<host db1>
    ip 198.18.0.11
    mode master
    peer db2
    mysql_socket /run/db1/mysqld.sock
    api_socket /run/db1/mmm.sock
    track_file /run/db1/writer.track
</host>
<host db2>
    ip 198.18.0.12
    mode master
    peer db1
    api_socket
</host>
<host db3>
    ip 198.18.0.13
    mode slave
</host>
<role writer>
    hosts db1, db2
    ips 198.18.0.100
    mode exclusive
</role>
<keepalived>
    virtual_router_id 51
</keepalived>
`))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNew(t *testing.T) {
	c := labConfig(t)
	h, err := New(c, "db1", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	obs := h.Observer.(HostObserver)
	f := h.Fencer.(fence.Local)
	if obs.Interface != "eth0" || len(obs.VIPs) != 1 || obs.VIPs[0].String() != "198.18.0.100" || obs.TrackFile != "/run/db1/writer.track" {
		t.Errorf("observer %+v", obs)
	}
	if f.Config.Net != "unix" || f.Config.Addr != "/run/db1/mysqld.sock" || f.Config.User != "mmm_agent" || f.Config.Passwd != "agent-secret" ||
		f.Options.MaxKillRetries != 10 || f.Options.ReadOnlyAttempt != 500*time.Millisecond || f.Config.Timeout != 500*time.Millisecond {
		t.Errorf("fencer %+v %+v", f.Config, f.Options)
	}
	if h.Reporter == nil {
		t.Error("no reporter for db1's api_socket")
	}

	// db2: no socket (TCP to its ip), no api_socket (no reporter).
	h, err = New(c, "db2", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if f := h.Fencer.(fence.Local); f.Config.Net != "tcp" || f.Config.Addr != "198.18.0.12:3306" {
		t.Errorf("db2 fencer %+v", f.Config)
	}
	if h.Reporter != nil {
		t.Error("db2 has a reporter without api_socket")
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name, host string
		edit       func(*config.Config)
		want       string
	}{
		{"unknown host", "db9", nil, `host "db9" is not defined (hosts: db1, db2, db3)`},
		{"not a writer host", "db3", nil, "host db3 is not in the writer role writer (db1, db2)"},
		{"no writer role", "db1", func(c *config.Config) { c.ActiveMasterRole = "boss" }, `no writer role (active_master_role "boss")`},
		{"no agent", "db1", func(c *config.Config) { c.Host("db1").AgentUser = "" }, "host db1 has no agent_user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := labConfig(t)
			if tt.edit != nil {
				tt.edit(c)
			}
			_, err := New(c, tt.host, time.Second)
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want ErrConfig and %q", err, tt.want)
			}
		})
	}
}

func TestLock(t *testing.T) {
	path := LockFile(filepath.Join(t.TempDir(), "writer.track"), "db1")
	if filepath.Base(path) != ".mmm-notify.db1.lock" {
		t.Errorf("LockFile = %s", path)
	}
	unlock, err := Lock(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	// Held: a second taker waits until its context ends.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := Lock(ctx, path); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second Lock = %v, want the deadline", err)
	}
	unlock()
	unlock2, err := Lock(context.Background(), path)
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	unlock2()
	if _, err := Lock(context.Background(), filepath.Join(t.TempDir(), "no", "dir", "x.lock")); err == nil {
		t.Error("Lock in a missing directory succeeded")
	}
}
