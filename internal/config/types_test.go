package config

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestEnums(t *testing.T) {
	type enum interface{ String() string }
	tests := []struct {
		in    string
		parse func(string) (enum, error)
		want  string // String() of the result; "" = error
	}{
		{"master", func(s string) (enum, error) { return ParseHostMode(s) }, "master"},
		{"SLAVE", func(s string) (enum, error) { return ParseHostMode(s) }, "slave"},
		{"witness", func(s string) (enum, error) { return ParseHostMode(s) }, "witness"},
		{"unknown", func(s string) (enum, error) { return ParseHostMode(s) }, ""},
		{"exclusive", func(s string) (enum, error) { return ParseRoleMode(s) }, "exclusive"},
		{"balanced", func(s string) (enum, error) { return ParseRoleMode(s) }, "balanced"},
		{"", func(s string) (enum, error) { return ParseRoleMode(s) }, ""},
		{"active", func(s string) (enum, error) { return ParseMonitorMode(s) }, "active"},
		{"manual", func(s string) (enum, error) { return ParseMonitorMode(s) }, "manual"},
		{"wait", func(s string) (enum, error) { return ParseMonitorMode(s) }, "wait"},
		{"passive", func(s string) (enum, error) { return ParseMonitorMode(s) }, "passive"},
		{"lazy", func(s string) (enum, error) { return ParseMonitorMode(s) }, ""},
		{"refuse", func(s string) (enum, error) { return ParseCatchupPolicy(s) }, "refuse"},
		{"promote", func(s string) (enum, error) { return ParseCatchupPolicy(s) }, "promote"},
		{"force", func(s string) (enum, error) { return ParseCatchupPolicy(s) }, ""},
	}
	for _, tt := range tests {
		got, err := tt.parse(tt.in)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("parse %q = %v, want an error", tt.in, got)
		case tt.want == "" && !strings.HasPrefix(err.Error(), "expected "):
			t.Errorf("parse %q: error %q does not say what was expected", tt.in, err)
		case tt.want != "" && (err != nil || got.String() != tt.want):
			t.Errorf("parse %q = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	if HostModeUnknown.String() != "unknown" || HostMode(9).String() != "unknown(9)" || ModeUnknown.String() != "unknown" {
		t.Errorf("zero/out-of-range String: %s %s", HostModeUnknown, HostMode(9))
	}
}

func TestValues(t *testing.T) {
	durations := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"5", 5 * time.Second, true},
		{"0.5", 500 * time.Millisecond, true},
		{"0.1", 100 * time.Millisecond, true},
		{"800ms", 800 * time.Millisecond, true},
		{"1m30s", 90 * time.Second, true},
		{"0", 0, true},
		{"-1", -time.Second, true}, // Validate rejects it with the key's limit
		{"NaN", 0, false},
		{"inf", 0, false},
		{"1e300", 0, false},
		{"5 s", 0, false},
		{"", 0, false},
	}
	for _, d := range durations {
		got, err := parseDuration(d.in)
		if (err == nil) != d.ok || got != d.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v ok=%v", d.in, got, err, d.want, d.ok)
		}
	}
	for in, want := range map[string]bool{"true": true, "On": true, "YES": true, "1": true, "false": false, "off": false, "No": false, "0": false} {
		if got, err := parseBool(in); err != nil || got != want {
			t.Errorf("parseBool(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := parseBool("2"); err == nil {
		t.Error("parseBool(2) succeeded")
	}
	if got, err := parseList(" a ,b,\tc "); err != nil || strings.Join(got, "|") != "a|b|c" {
		t.Errorf("parseList = %q, %v", got, err)
	}
	if got, err := parseList(""); err != nil || got != nil {
		t.Errorf("parseList(\"\") = %q, %v", got, err)
	}
	if _, err := parseList("a,"); err == nil {
		t.Error("parseList(a,) succeeded")
	}
	if _, err := parseWord("db1 db2"); err == nil {
		t.Error("parseWord with a blank succeeded")
	}
	if a, err := parseIP("::ffff:198.18.0.1"); err != nil || a != netip.MustParseAddr("198.18.0.1") {
		t.Errorf("parseIP(v4-mapped) = %v, %v", a, err)
	}
	if _, err := parseIP("fe80::1%eth0"); err == nil {
		t.Error("parseIP with a zone succeeded")
	}
	if a, err := parseIP("2001:db8::1"); err != nil || !a.Is6() {
		t.Errorf("parseIP(v6) = %v, %v", a, err)
	}
	if _, err := parseIPList("198.18.0.1,nope"); err == nil {
		t.Error("parseIPList with a bad item succeeded")
	}
	if _, err := parseIPList("198.18.0.1,,"); err == nil {
		t.Error("parseIPList with empty items succeeded")
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{Pos: Pos{"a.conf", 3}, Section: "role", Name: "writer", Key: "hosts", Msg: "m"}, "a.conf:3: role writer: hosts: m"},
		{Error{Pos: Pos{"a.conf", 3}, Section: "monitor", Key: "port", Msg: "m"}, "a.conf:3: monitor: port: m"},
		{Error{Pos: Pos{"a.conf", 0}, Key: "this", Msg: "m"}, "a.conf: this: m"},
		{Error{Section: "host", Name: "db1", Key: "ip", Msg: "m"}, "host db1: ip: m"},
		{Error{Pos: Pos{"a.conf", 7}, Msg: "m"}, "a.conf:7: m"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	e := &Error{Err: ErrValue}
	if !errors.Is(e, ErrValue) || errors.Is(e, ErrSyntax) {
		t.Error("Unwrap does not reach the sentinel")
	}
	if (Pos{}).String() != "" {
		t.Error("zero Pos renders")
	}
}

// TestValidateBuiltInCode: a Config built in code (no files) validates
// with messages that have no position, and Validate can run again after a
// change.
func TestValidateBuiltInCode(t *testing.T) {
	c := Defaults()
	if err := c.Validate(); err == nil || err.Error() != "active_master_role: missing; expected the name of the writer role (e.g. active_master_role writer)\nno <host NAME> section; expected at least one host" {
		t.Errorf("empty config: %v", err)
	}
	h := defaultHost()
	h.Name, h.IP, h.Mode = "db1", netip.MustParseAddr("198.18.0.11"), HostModeSlave
	c.Hosts = append(c.Hosts, h)
	c.Roles = append(c.Roles, &Role{Name: "writer", Mode: RoleModeExclusive, Hosts: []string{"db1"}, IPs: []netip.Addr{netip.MustParseAddr("198.18.0.100")}})
	c.ActiveMasterRole = "writer"
	c.Keepalived.CheckInterval = 1500 * time.Millisecond
	c.Socket.Type = "tls"
	c.Checks["ping"].PingMethod = "udp"
	delete(c.Checks, "mysql")
	c.Monitor.Mode = ModeUnknown
	c.Coordinator.CatchupPolicy = CatchupUnknown
	c.Coordinator.RaftPeers = []string{"db1", "db1"}
	c.Keepalived.VRRPVersion = 4
	c.Keepalived.AuthPass = "123456789"
	c.Coordinator.RaftElectionTimeout = 100 * time.Millisecond
	h.Priority = 255
	want := []string{
		`host db1: priority: expected 1..254, got 255`,
		`role writer: hosts: host "db1" is a slave; an exclusive role takes master hosts only`,
		`monitor: mode: expected active, manual, wait or passive`,
		`check ping: ping_method: expected icmp or tcp, got "udp"`,
		`check mysql: missing; all four checks must exist`,
		`socket: type: expected plain or ssl, got "tls"`,
		`coordinator: raft_peers: host "db1" is listed twice`,
		`coordinator: raft_election_timeout: expected at least raft_heartbeat_timeout (1s), got 100ms`,
		`coordinator: catchup_policy: expected refuse or promote`,
		`keepalived: vrrp_version: expected 2 or 3, got 4`,
		`keepalived: auth_pass: keepalived uses at most 8 characters, got 9`,
		`keepalived: check_interval: expected whole seconds >= 1 (keepalived's vrrp_script), got 1.5s`,
	}
	if err := c.Validate(); err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("Validate:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
}

func TestValidateMoreRanges(t *testing.T) {
	inDir(t, map[string]string{
		"base.conf": labBase,
		"main.conf": `include base.conf
max_kill_retries 0
<host db1>
    api_address 198.18.0.11:0
</host>
<host db2>
    peer db2
</host>
<host db3>
    peer db7
</host>
<role reader>
    ips 198.18.0.101, 198.18.0.101
    hosts db1, db1
</role>
<keepalived>
    advert_int 5ms
    garp_master_delay -1
    check_fall 0
</keepalived>
<coordinator>
    history_size 0
    semisync_min_clients -1
</coordinator>
`,
	})
	_, err := Load("main.conf")
	want := []string{
		`main.conf:2: max_kill_retries: expected at least 1, got 0`,
		`main.conf:4: host db1: api_address: expected a port 1..65535 in "198.18.0.11:0"`,
		`main.conf:7: host db2: peer: a host cannot be its own peer`,
		`main.conf:10: host db3: peer: host "db7" is not defined`,
		`main.conf:13: role reader: ips: 198.18.0.101 is listed twice`,
		`main.conf:14: role reader: hosts: host "db1" is listed twice`,
		`main.conf:17: keepalived: advert_int: expected 10ms..40.95s in steps of 10ms with vrrp_version 3, got 5ms`,
		`main.conf:18: keepalived: garp_master_delay: expected a duration >= 0 (0 = off), got -1s`,
		`main.conf:19: keepalived: check_fall: expected at least 1, got 0`,
		`main.conf:22: coordinator: history_size: expected at least 1, got 0`,
		`main.conf:23: coordinator: semisync_min_clients: expected at least 0, got -1`,
		`base.conf:9: host db1: peer: host "db2" names "db2" as its peer; peers must name each other`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("Load:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
}
