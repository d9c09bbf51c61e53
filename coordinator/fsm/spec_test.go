package fsm

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

func TestSpecValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Spec)
		err    string
	}{
		{"the seed topology", func(*Spec) {}, ""},
		{"no hosts", func(s *Spec) { s.Hosts = nil }, "no hosts"},
		{"nameless host", func(s *Spec) { s.Hosts[0].Name = "" }, "a host has no name"},
		{"duplicate host", func(s *Spec) { s.Hosts[1].Name = "db1" }, `host "db1" defined twice`},
		{"witness host", func(s *Spec) { s.Hosts[2].Mode = config.HostModeWitness }, `host "db3": mode must be master or slave`},
		{"own peer", func(s *Spec) { s.Hosts[0].Peer = "db1" }, `host "db1" is its own peer`},
		{"unknown peer", func(s *Spec) { s.Hosts[0].Peer = "db7" }, `unknown peer "db7"`},
		{"duplicate role", func(s *Spec) { s.Roles[1].Name = "writer" }, `role "writer": empty or duplicate name`},
		{"role mode", func(s *Spec) { s.Roles[1].Mode = config.RoleModeUnknown }, "mode must be exclusive or balanced"},
		{"role without ips", func(s *Spec) { s.Roles[1].IPs = nil }, "needs hosts and ips"},
		{"role with an unknown host", func(s *Spec) { s.Roles[1].Hosts = []string{"db7"} }, `unknown host "db7"`},
		{"invalid ip", func(s *Spec) { s.Roles[1].IPs[0] = netip.Addr{} }, "invalid ip"},
		{"ip in two roles", func(s *Spec) { s.Roles[1].IPs[0] = s.Roles[0].IPs[0] }, `in roles "writer" and "reader"`},
		{"prefer outside hosts", func(s *Spec) { s.Roles[0].Prefer = "db3" }, `prefer "db3" is not one of its hosts`},
		{"unknown writer role", func(s *Spec) { s.ActiveMasterRole = "boss" }, `"boss" is not a role`},
		{"balanced writer role", func(s *Spec) { s.ActiveMasterRole = "reader" }, "must be exclusive"},
		{"three masters", func(s *Spec) { s.Roles[0].Hosts = []string{"db1", "db2", "db3"} }, "more than two hosts"},
		{"mode", func(s *Spec) { s.Timing.Mode = config.ModeUnknown }, "monitor mode 0"},
		{"no writer role at all", func(s *Spec) { s.ActiveMasterRole = "" }, ""},
	}
	for _, tt := range tests {
		s := seedSpec()
		tt.mutate(&s)
		err := s.Validate()
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.err != "" && (!errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
		}
		if tt.err != "" {
			if _, err := New(s); !errors.Is(err, ErrInvalidSpec) {
				t.Errorf("%s: New accepted it", tt.name)
			}
			if _, err := Restore(s, []byte("{}")); !errors.Is(err, ErrInvalidSpec) {
				t.Errorf("%s: Restore accepted it", tt.name)
			}
		}
	}
}

func TestSpecFromConfig(t *testing.T) {
	ip := netip.MustParseAddr
	c := &config.Config{
		ActiveMasterRole: "writer",
		Monitor: config.Monitor{Mode: config.ModeManual, FlapCount: 5, FlapDuration: time.Minute,
			AutoSetOnline: 2 * time.Minute, WaitForOtherMaster: 3 * time.Minute, CarefulStartup: true},
		Hosts: []*config.Host{
			{Name: "db1", Mode: config.HostModeMaster, Peer: "db2", IP: ip("198.18.0.11")},
			{Name: "db2", Mode: config.HostModeMaster, Peer: "db1", IP: ip("198.18.0.12")},
			{Name: "mon", Mode: config.HostModeWitness, IP: ip("198.18.0.20")},
		},
		Roles: []*config.Role{
			{Name: "writer", Mode: config.RoleModeExclusive, Hosts: []string{"db1", "db2"}, IPs: []netip.Addr{ip("198.18.0.100")}, Prefer: "db1"},
		},
		Checks: map[string]*config.Check{"ping": {TrapPeriod: time.Second}, "mysql": {TrapPeriod: 2 * time.Second}},
	}
	s := SpecFromConfig(c)
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(s.Hosts) != 2 || s.Hosts[1].Peer != "db1" || s.Hosts[1].IP != ip("198.18.0.12") {
		t.Errorf("hosts %+v (the witness must be left out)", s.Hosts)
	}
	if s.Roles[0].Prefer != "db1" || s.ActiveMasterRole != "writer" {
		t.Errorf("roles %+v", s.Roles)
	}
	want := Timing{Mode: config.ModeManual, FlapCount: 5, FlapDuration: time.Minute, AutoSetOnline: 2 * time.Minute,
		WaitForOtherMaster: 3 * time.Minute, CarefulStartup: true}
	if s.Timing != want {
		t.Errorf("timing %+v", s.Timing)
	}
	if s.TrapPeriod[CheckPing] != time.Second || s.TrapPeriod[CheckMySQL] != 2*time.Second || s.trap(CheckRepBacklog) != 0 {
		t.Errorf("trap periods %v", s.TrapPeriod)
	}
	c.Roles[0].Hosts[0] = "changed" // the spec owns its copies
	if s.Roles[0].Hosts[0] != "db1" {
		t.Error("SpecFromConfig shares the role's host slice")
	}
}

func TestMachineOwnsItsSpec(t *testing.T) {
	s := seedSpec()
	m, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	s.Roles[0].Hosts[0] = "x"
	s.TrapPeriod[CheckPing] = time.Hour
	got := m.Spec()
	if got.Roles[0].Hosts[0] != "db1" || got.TrapPeriod[CheckPing] != 10*time.Second {
		t.Error("the machine shares its spec with the caller")
	}
}
