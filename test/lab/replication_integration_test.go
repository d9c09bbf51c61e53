//go:build integration

package lab

import (
	"context"
	"database/sql"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// TestTopology: every host has its address on eth0, lo up, and no route
// but the lab's /24; the root namespace has no lab address and no lab
// interface.
func TestTopology(t *testing.T) {
	for _, h := range Hosts {
		hh, err := handle(theLab.Namespace(h.Name))
		if err != nil {
			t.Fatal(err)
		}
		defer hh.Close()
		routes, err := hh.RouteList(nil, netlink.FAMILY_ALL)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range routes {
			if r.Dst == nil || r.Dst.String() != Net.String() {
				t.Errorf("%s: route %v: want only %v", h.Name, r, Net)
			}
		}
		addrs, err := theLab.addrsOn(h.Name)
		if err != nil || len(addrs) != 1 || !addrs[0].IP.Equal(h.Addr.AsSlice()) {
			t.Errorf("%s: addresses %v, %v; want %v", h.Name, addrs, err, h.Addr)
		}
		lo, err := hh.LinkByName("lo")
		if err != nil || lo.Attrs().Flags&net.FlagUp == 0 {
			t.Errorf("%s: lo not up: %v", h.Name, err)
		}
	}
	rootAddrs, err := netlink.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range rootAddrs {
		if Net.Contains(mustAddr(a.IP)) {
			t.Errorf("root namespace holds lab address %v", a)
		}
	}
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		for _, h := range Hosts {
			if l.Attrs().Name == h.Name {
				t.Errorf("root namespace has interface %s", h.Name)
			}
		}
	}
}

// TestReplicationFlows: a row written on db1 reaches db2 and db3, one
// written on db2 reaches db1 and (through db1) db3.
func TestReplicationFlows(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	app := openApp(t, "db1")
	if _, err := app.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS flow (id INT PRIMARY KEY, origin VARCHAR(8))"); err != nil {
		t.Fatal(err)
	}
	if _, err := app.ExecContext(ctx, "INSERT INTO flow VALUES (1, 'db1')"); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"db2", "db3"} {
		waitRow(t, h, "SELECT origin FROM app.flow WHERE id = 1", "db1")
	}
	// db2 is read_only: root (READ_ONLY ADMIN) writes there, as a
	// replication test would; nothing else writes meanwhile.
	if _, err := rootOn(t, "db2").db.ExecContext(ctx, "INSERT INTO app.flow VALUES (2, 'db2')"); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"db1", "db3"} {
		waitRow(t, h, "SELECT origin FROM app.flow WHERE id = 2", "db2")
	}
	waitHealthy(t)
}

// waitRow polls a db host as root until q returns want.
func waitRow(t *testing.T, host, q, want string) {
	t.Helper()
	db := rootOn(t, host).db
	var got string
	err := poll(context.Background(), 20*time.Second, func() (bool, error) {
		err := db.QueryRowContext(context.Background(), q).Scan(&got)
		if err == sql.ErrNoRows {
			return false, nil
		}
		return got == want, err
	})
	if err != nil {
		t.Fatalf("%s: %s = %q, want %q: %v", host, q, got, want, err)
	}
}

// TestSemisync: semisync is ON on db1 with both replicas as clients, a
// commit there is acknowledged by one of them, and the masters' my.cnf
// enable the master side on both (the seed's layout).
func TestSemisync(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	db1 := rootOn(t, "db1")
	status := func(name string) string {
		v, err := db1.globalStatus(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := status("Rpl_semi_sync_master_status"); v != "ON" {
		t.Fatalf("Rpl_semi_sync_master_status = %s", v)
	}
	if v := status("Rpl_semi_sync_master_clients"); v != "2" {
		t.Fatalf("Rpl_semi_sync_master_clients = %s", v)
	}
	before := status("Rpl_semi_sync_master_yes_tx")
	app := openApp(t, "db1")
	if _, err := app.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS semi (id INT AUTO_INCREMENT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if _, err := app.ExecContext(ctx, "INSERT INTO semi VALUES ()"); err != nil {
		t.Fatal(err)
	}
	if after := status("Rpl_semi_sync_master_yes_tx"); after == before {
		t.Fatalf("Rpl_semi_sync_master_yes_tx stayed %s after a commit", after)
	}
	for _, h := range []string{"db2", "db3"} {
		hs := rootOn(t, h)
		if v, err := hs.globalStatus(ctx, "Rpl_semi_sync_slave_status"); err != nil || v != "ON" {
			t.Errorf("%s: Rpl_semi_sync_slave_status = %s, %v", h, v, err)
		}
		// The seed's layout (the default): master side on both masters
		// as my.cnf has it; the coordinators turn db2's off.
		want := map[string]string{"db2": "1", "db3": "0"}[h]
		if v, err := hs.queryString(ctx, "SELECT @@rpl_semi_sync_master_enabled"); err != nil || v != want {
			t.Errorf("%s: rpl_semi_sync_master_enabled = %s, %v; want %s (lab.SemisyncBothMasters)", h, v, err, want)
		}
	}
}

// TestConfigWritten: the lab wrote its cluster configuration, 0600.
func TestConfigWritten(t *testing.T) {
	for _, p := range []string{theLab.ConfigPath(), theLab.HostConfigPath("db1"), filepath.Join(filepath.Dir(theLab.ConfigPath()), "api.token")} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", p, fi.Mode().Perm())
		}
	}
	b, _ := os.ReadFile(theLab.ConfigPath())
	if !strings.Contains(string(b), theLab.StateDir()+"/db1/mysql/mysqld.sock") {
		t.Errorf("config does not name db1's socket:\n%s", b)
	}
}

// mustAddr converts an IPv4 address; anything else becomes the zero Addr.
func mustAddr(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip.To4())
	return a
}

// TestDialRefusesOutsideLab: the dialer never sends a packet outside
// 198.18.0.0/24.
func TestDialRefusesOutsideLab(t *testing.T) {
	for _, addr := range []string{"192.0.2.1:3306", "127.0.0.1:3306", "198.18.1.11:3306", "db1:3306"} {
		if _, err := theLab.Dial(context.Background(), "app", addr); err == nil {
			t.Errorf("Dial(%s) succeeded", addr)
		}
	}
	if _, err := theLab.Exec(context.Background(), "nowhere", "true"); err == nil {
		t.Error("Exec on an unknown host succeeded")
	}
	out, err := theLab.Exec(context.Background(), "app", "ip", "-4", "-o", "addr", "show", "dev", "eth0")
	if err != nil || !strings.Contains(string(out), "198.18.0.30/24") {
		t.Errorf("Exec in app: %s, %v", out, err)
	}
}
