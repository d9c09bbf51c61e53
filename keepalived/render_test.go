package keepalived

import (
	"bytes"
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the golden files in testdata/")

// labConfig is the lab topology, built by hand: db1 and db2 masters
// holding the writer VIP 198.18.0.100, db3 a replica.
func labConfig() *config.Config {
	host := func(name, ip string, mode config.HostMode, prio int) *config.Host {
		return &config.Host{
			Name: name, IP: netip.MustParseAddr(ip), Mode: mode, Priority: prio,
			ClusterInterface: "eth0", TrackFile: "/run/mmm-keepalived/writer.track",
			AgentPassword: "agent-secret", MonitorPassword: "monitor-secret", ReplicationPassword: "repl-secret",
		}
	}
	return &config.Config{
		Files:            []string{"/etc/mysql-mmm/mmm_agent.conf", "/etc/mysql-mmm/mmm_common.conf"},
		ActiveMasterRole: "writer",
		Keepalived: config.Keepalived{
			VirtualRouterID: 51,
			VRRPVersion:     3,
			AdvertInt:       100 * time.Millisecond,
			CheckInterval:   time.Second,
			CheckTimeout:    time.Second,
			CheckFall:       1,
			CheckRise:       2,
			CheckBin:        "/usr/bin/mmm-check",
			NotifyBin:       "/usr/bin/mmm-notify",
			NotifyFifo:      "/run/mmm-keepalived/vrrp.fifo",
			GarpMasterDelay: 5 * time.Second,
			GarpMasterRpt:   5, DownTimerAdverts: 1,
		},
		Hosts: []*config.Host{
			host("db1", "198.18.0.11", config.HostModeMaster, 150),
			host("db2", "198.18.0.12", config.HostModeMaster, 100),
			host("db3", "198.18.0.13", config.HostModeSlave, 0),
		},
		Roles: []*config.Role{
			{Name: "writer", Mode: config.RoleModeExclusive, Hosts: []string{"db1", "db2"},
				IPs: []netip.Addr{netip.MustParseAddr("198.18.0.100")}},
			{Name: "reader", Mode: config.RoleModeBalanced, Hosts: []string{"db1", "db2", "db3"},
				IPs: []netip.Addr{netip.MustParseAddr("198.18.0.101"), netip.MustParseAddr("198.18.0.102"), netip.MustParseAddr("198.18.0.103")}},
		},
	}
}

// goldenCase is one rendered file checked against testdata/NAME.conf and,
// in configtest_test.go, by keepalived -t.
type goldenCase struct {
	name string
	host string
	edit func(*config.Config)
}

var goldenCases = []goldenCase{
	{name: "lab-db1", host: "db1"},
	{name: "lab-db2", host: "db2"},
	{name: "unicast-db1", host: "db1", edit: func(c *config.Config) { c.Keepalived.Unicast = true }},
	{name: "v2-auth-db2", host: "db2", edit: func(c *config.Config) {
		c.Keepalived.VRRPVersion = 2
		c.Keepalived.AdvertInt = time.Second
		c.Keepalived.AuthPass = "mmmlab01"
		c.Keepalived.CheckTimeout = 2 * time.Second
		c.Keepalived.CheckFall = 2
		c.Keepalived.GarpMasterDelay = 0
		c.Keepalived.GarpMasterRpt = 1
		c.Keepalived.NotifyFifo = "" // no fifo: the line disappears
	}},
	// Loaded by name (mmmctl @c2): the hooks get --cluster c2, which
	// finds the same file and the same runtime paths.
	{name: "cluster-c2-db1", host: "db1", edit: func(c *config.Config) {
		c.Cluster = "c2"
		c.Files = []string{"/etc/mmm-keepalived/mmm_c2.conf"}
		paths := config.DefaultRuntimePaths("c2")
		for _, h := range c.Hosts {
			h.TrackFile = paths.TrackFile
		}
		c.Keepalived.NotifyFifo = paths.NotifyFifo
		c.Keepalived.VirtualRouterID = 52
	}},
}

func (g goldenCase) config() *config.Config {
	c := labConfig()
	if g.edit != nil {
		g.edit(c)
	}
	return c
}

func TestRenderGolden(t *testing.T) {
	for _, g := range goldenCases {
		t.Run(g.name, func(t *testing.T) {
			got, err := Render(g.config(), g.host)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			path := filepath.Join("testdata", g.name+".conf")
			if *rewrite {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -rewrite to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Render(%s) differs from %s (go test -rewrite updates it):\n%s", g.host, path, got)
			}
		})
	}
}

// TestRenderPaths checks the promise of Render's doc: every path is
// absolute, and the only secret is auth_pass.
func TestRenderPaths(t *testing.T) {
	for _, g := range goldenCases {
		got, err := Render(g.config(), g.host)
		if err != nil {
			t.Fatalf("%s: %v", g.name, err)
		}
		for _, line := range strings.Split(string(got), "\n") {
			f := strings.Fields(strings.ReplaceAll(line, `"`, " "))
			if len(f) < 2 || strings.HasPrefix(f[0], "#") {
				continue
			}
			switch f[0] {
			case "script", "notify", "file", "vrrp_notify_fifo":
				for _, w := range f[1:] {
					if strings.Contains(w, "/") && !strings.HasPrefix(w, "/") {
						t.Errorf("%s: relative path in %q", g.name, line)
					}
				}
				if !strings.HasPrefix(f[1], "/") {
					t.Errorf("%s: %s is not an absolute path: %q", g.name, f[0], line)
				}
			}
		}
		for _, secret := range []string{"agent-secret", "monitor-secret", "repl-secret"} {
			if strings.Contains(string(got), secret) {
				t.Errorf("%s: MySQL password %q leaked into the rendered file", g.name, secret)
			}
		}
	}
}

func TestRenderErrors(t *testing.T) {
	at := func(line int) config.Where {
		return config.Where{Pos: config.Pos{File: "mmm_common.conf", Line: 39},
			KeyPos: map[string]config.Pos{"virtual_router_id": {File: "mmm_common.conf", Line: line}}}
	}
	tests := []struct {
		name   string
		host   string
		edit   func(*config.Config)
		want   []string // the error's lines, in order
		target error
	}{
		{"no virtual router id", "db1", func(c *config.Config) { c.Keepalived.VirtualRouterID = 0 },
			[]string{"keepalived: <keepalived> virtual_router_id is not set (1-255): needed to render keepalived.conf"}, ErrMissing},
		{"virtual router id out of range, with its line", "db1", func(c *config.Config) {
			c.Keepalived.VirtualRouterID = 300
			c.Keepalived.Where = at(41)
		}, []string{"keepalived: mmm_common.conf:41: <keepalived> virtual_router_id 300 is out of range (1-255)"}, ErrInvalid},
		{"missing key points at its section", "db1", func(c *config.Config) {
			c.Keepalived.VirtualRouterID = 0
			c.Keepalived.Where = config.Where{Pos: config.Pos{File: "mmm_common.conf", Line: 39}}
		}, []string{"keepalived: mmm_common.conf:39: <keepalived> virtual_router_id is not set (1-255): needed to render keepalived.conf"}, ErrMissing},
		{"unknown host", "db9", nil,
			[]string{`keepalived: host "db9" is not defined (hosts: db1, db2, db3)`}, ErrHost},
		{"host outside the writer role", "db3", nil,
			[]string{`keepalived: host "db3" is not in the writer role "writer" (hosts: db1, db2): only those run keepalived`}, ErrHost},
		{"no writer role", "db1", func(c *config.Config) { c.ActiveMasterRole = "" },
			[]string{"keepalived: active_master_role is not set: the writer role is needed to render keepalived.conf"}, ErrMissing},
		{"writer role undefined", "db1", func(c *config.Config) { c.ActiveMasterRole = "boss" },
			[]string{`keepalived: active_master_role "boss" names no role: the writer role is needed to render keepalived.conf`}, ErrInvalid},
		{"no priority", "db1", func(c *config.Config) { c.Hosts[0].Priority = 0 },
			[]string{"keepalived: <host db1> priority is not set (1-254): needed to render keepalived.conf"}, ErrMissing},
		{"address owner priority", "db2", func(c *config.Config) { c.Hosts[1].Priority = 255 },
			[]string{"keepalived: <host db2> priority 255 is out of range (1-254)"}, ErrInvalid},
		{"authentication with VRRPv3", "db1", func(c *config.Config) { c.Keepalived.AuthPass = "secret" },
			[]string{"keepalived: <keepalived> auth_pass is set, but VRRPv3 has no authentication (keepalived rejects it): remove auth_pass or set vrrp_version 2"}, ErrInvalid},
		{"VRRPv2 keeps the sub-second default", "db1", func(c *config.Config) { c.Keepalived.VRRPVersion = 2 },
			[]string{"keepalived: <keepalived> advert_int 100ms is not a VRRPv2 advert interval (whole seconds, 1-255): set advert_int in seconds or use vrrp_version 3"}, ErrInvalid},
		{"VRRPv3 advert_int below a centisecond", "db1", func(c *config.Config) { c.Keepalived.AdvertInt = 5 * time.Millisecond },
			[]string{"keepalived: <keepalived> advert_int 5ms is not a VRRPv3 advert interval (10ms to 40.95s in steps of 10ms)"}, ErrInvalid},
		{"unknown VRRP version", "db1", func(c *config.Config) { c.Keepalived.VRRPVersion = 4 },
			[]string{"keepalived: <keepalived> vrrp_version 4 is not a VRRP version keepalived runs (2 or 3)"}, ErrInvalid},
		{"VRRPv2 password too long", "db1", func(c *config.Config) {
			c.Keepalived.VRRPVersion, c.Keepalived.AdvertInt, c.Keepalived.AuthPass = 2, time.Second, "longsecret"
		}, []string{"keepalived: <keepalived> auth_pass is 10 characters long: VRRP PASS authentication uses at most 8"}, ErrInvalid},
		{"VRRPv2 password with a quote", "db1", func(c *config.Config) {
			c.Keepalived.VRRPVersion, c.Keepalived.AdvertInt, c.Keepalived.AuthPass = 2, time.Second, `a"b`
		}, []string{"keepalived: <keepalived> auth_pass holds spaces, quotes or other characters keepalived would not read as one word"}, ErrInvalid},
		{"sub-second check interval", "db1", func(c *config.Config) { c.Keepalived.CheckInterval = 1500 * time.Millisecond },
			[]string{"keepalived: <keepalived> check_interval 1.5s is not a whole number of seconds ≥ 1 (keepalived takes integers)"}, ErrInvalid},
		{"zero check timeout", "db1", func(c *config.Config) { c.Keepalived.CheckTimeout = 0 },
			[]string{"keepalived: <keepalived> check_timeout 0s is not a whole number of seconds ≥ 1 (keepalived takes integers)"}, ErrInvalid},
		{"zero fall", "db1", func(c *config.Config) { c.Keepalived.CheckFall = 0 },
			[]string{"keepalived: <keepalived> check_fall 0 is less than 1"}, ErrInvalid},
		{"fractional garp delay", "db1", func(c *config.Config) { c.Keepalived.GarpMasterDelay = 500 * time.Millisecond },
			[]string{"keepalived: <keepalived> garp_master_delay 500ms is not a whole number of seconds ≥ 0 (keepalived takes integers)"}, ErrInvalid},
		{"unicast without a peer", "db1", func(c *config.Config) {
			c.Keepalived.Unicast = true
			c.Roles[0].Hosts = []string{"db1"}
		}, []string{"keepalived: <keepalived> unicast is on, but role writer has no host besides db1 to send adverts to"}, ErrInvalid},
		{"unicast peer without an address", "db1", func(c *config.Config) {
			c.Keepalived.Unicast = true
			c.Hosts[1].IP = netip.Addr{}
		}, []string{`keepalived: <host db2> ip "invalid IP" is not an IPv4 address: unicast VRRP needs one`}, ErrInvalid},
		{"relative check binary", "db1", func(c *config.Config) { c.Keepalived.CheckBin = "mmm-check" },
			[]string{`keepalived: <keepalived> check_bin "mmm-check" is not an absolute path without spaces or quotes`}, ErrInvalid},
		{"notify binary with a space", "db1", func(c *config.Config) { c.Keepalived.NotifyBin = "/opt/my tools/mmm-notify" },
			[]string{`keepalived: <keepalived> notify_bin "/opt/my tools/mmm-notify" is not an absolute path without spaces or quotes`}, ErrInvalid},
		{"relative host notify fifo", "db2", func(c *config.Config) { c.Hosts[1].NotifyFifo = "db2.fifo" },
			[]string{`keepalived: <host db2> notify_fifo "db2.fifo" is not an absolute path without spaces or quotes`}, ErrInvalid},
		{"no track file", "db2", func(c *config.Config) { c.Hosts[1].TrackFile = "" },
			[]string{"keepalived: <host db2> track_file is not set: needed to render keepalived.conf"}, ErrMissing},
		{"no interface anywhere", "db1", func(c *config.Config) { c.Hosts[0].ClusterInterface = "" },
			[]string{"keepalived: <keepalived> interface is not set and host db1 has no cluster_interface: needed to render keepalived.conf"}, ErrMissing},
		{"IPv6 writer VIP", "db1", func(c *config.Config) { c.Roles[0].IPs = []netip.Addr{netip.MustParseAddr("2001:db8::100")} },
			[]string{"keepalived: <role writer> ips 2001:db8::100: only IPv4 writer VIPs are supported"}, ErrInvalid},
		{"writer role without a VIP", "db1", func(c *config.Config) { c.Roles[0].IPs = nil },
			[]string{"keepalived: <role writer> ips is empty: the writer role needs a VIP"}, ErrMissing},
		{"relative configuration file", "db1", func(c *config.Config) { c.Files = []string{"mmm_agent.conf"} },
			[]string{`keepalived: configuration file "mmm_agent.conf" is not an absolute path without spaces or quotes: mmm-check and mmm-notify are given it`}, ErrInvalid},
		{"cluster name that is no file name", "db1", func(c *config.Config) { c.Cluster = `c2 "x"` },
			[]string{`keepalived: cluster name "c2 \"x\"" is not one word keepalived can read`}, ErrInvalid},
		{"every problem at once", "db1", func(c *config.Config) {
			c.Keepalived.VirtualRouterID = 0
			c.Hosts[0].Priority = 0
		}, []string{
			"keepalived: <keepalived> virtual_router_id is not set (1-255): needed to render keepalived.conf",
			"keepalived: <host db1> priority is not set (1-254): needed to render keepalived.conf",
		}, ErrMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := labConfig()
			if tt.edit != nil {
				tt.edit(c)
			}
			out, err := Render(c, tt.host)
			if err == nil {
				t.Fatalf("Render succeeded:\n%s", out)
			}
			if got, want := err.Error(), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("error:\n got %s\nwant %s", got, want)
			}
			if !errors.Is(err, tt.target) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.target)
			}
		})
	}
}

// TestRenderHostFifo: a host's notify_fifo replaces <keepalived>'s in its
// file only (hosts sharing a filesystem need one fifo each).
func TestRenderHostFifo(t *testing.T) {
	c := labConfig()
	c.Hosts[0].NotifyFifo = "/run/mmm-lab/db1/vrrp.fifo"
	for host, want := range map[string]string{"db1": "/run/mmm-lab/db1/vrrp.fifo", "db2": c.Keepalived.NotifyFifo} {
		out, err := Render(c, host)
		if err != nil {
			t.Fatal(err)
		}
		if line := "vrrp_notify_fifo " + want + "\n"; !strings.Contains(string(out), line) {
			t.Errorf("%s: no %q in\n%s", host, line, out)
		}
	}
}

func TestRenderNilConfig(t *testing.T) {
	if _, err := Render(nil, "db1"); !errors.Is(err, ErrMissing) {
		t.Fatalf("Render(nil) = %v, want ErrMissing", err)
	}
}

// TestRenderKeyError checks that problems with keys come as *KeyError, so
// that a caller can point at the line.
func TestRenderKeyError(t *testing.T) {
	c := labConfig()
	c.Keepalived.VirtualRouterID = 0
	_, err := Render(c, "db1")
	var ke *KeyError
	if !errors.As(err, &ke) || ke.Section != "keepalived" || ke.Key != "virtual_router_id" {
		t.Fatalf("Render error %v: want a *KeyError for <keepalived> virtual_router_id", err)
	}
}
