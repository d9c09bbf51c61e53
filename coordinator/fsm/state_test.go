package fsm

import (
	"errors"
	"log/slog"
	"net/netip"
	"testing"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

func TestEnums(t *testing.T) {
	for s := StateOnline; s <= StateReplicationFail; s++ {
		if p, err := ParseHostState(s.String()); err != nil || p != s {
			t.Errorf("host state %v: %v %v", s, p, err)
		}
	}
	for _, c := range AllChecks {
		if p, err := ParseCheck(c.String()); err != nil || p != c {
			t.Errorf("check %v", c)
		}
	}
	for r := ResultOK; r <= ResultUnknown; r++ {
		if p, err := ParseResult(r.String()); err != nil || p != r {
			t.Errorf("result %v", r)
		}
	}
	for v := VRRPMaster; v <= VRRPStop; v++ {
		if p, err := ParseVRRPState(v.String()); err != nil || p != v {
			t.Errorf("vrrp %v", v)
		}
	}
	for k := EvidenceSocketRefused; k <= EvidenceProcessExited; k++ {
		if p, err := ParseEvidenceKind(k.String()); err != nil || p != k {
			t.Errorf("evidence %v", k)
		}
	}
	for m := config.ModeActive; m <= config.ModePassive; m++ {
		if p, err := ParseModeName(ModeName(m)); err != nil || p != m {
			t.Errorf("mode %v", m)
		}
	}
	// The zero values are never parsed; out-of-range values render visibly.
	for _, bad := range []func() error{
		func() error { _, err := ParseHostState("UNKNOWN"); return err },
		func() error { _, err := ParseCheck("invalid"); return err },
		func() error { _, err := ParseResult("maybe"); return err },
		func() error { _, err := ParseVRRPState("UNKNOWN"); return err },
		func() error { _, err := ParseEvidenceKind("rumour"); return err },
		func() error { _, err := ParseModeName("sleepy"); return err },
	} {
		if err := bad(); !errors.Is(err, ErrParse) {
			t.Errorf("accepted: %v", err)
		}
	}
	if HostState(42).String() != "UNKNOWN(42)" || Check(9).String() != "invalid(9)" {
		t.Error("out-of-range names")
	}
	var s HostState
	if err := s.UnmarshalText([]byte("NOPE")); err == nil {
		t.Error("UnmarshalText accepted NOPE")
	}
	var v VRRPState
	if err := v.UnmarshalText([]byte("UNKNOWN")); err != nil || v != VRRPUnknown {
		t.Error("VRRP UNKNOWN round trip")
	}
	levels := map[Level]slog.Level{LevelDebug: slog.LevelDebug, LevelInfo: slog.LevelInfo,
		LevelWarn: slog.LevelWarn, LevelError: slog.LevelError, LevelFatal: slog.LevelError + 4}
	for l, want := range levels {
		if l.Slog() != want {
			t.Errorf("%v maps to %v", l, l.Slog())
		}
	}
}

func TestRestore(t *testing.T) {
	if _, err := Restore(seedSpec(), []byte("{not json")); !errors.Is(err, ErrState) {
		t.Errorf("bad data: %v", err)
	}
	m, now := steady(t, nil)
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	again, err := m.Marshal()
	if err != nil || string(again) != string(data) {
		t.Fatal("Marshal is not deterministic")
	}
	// A configuration change: db3 removed, db4 added, a reader IP replaced.
	spec := seedSpec()
	spec.Hosts[2] = HostSpec{Name: "db4", Mode: config.HostModeSlave, IP: netip.MustParseAddr("198.18.0.14")}
	spec.Roles[1].Hosts = []string{"db1", "db2", "db4"}
	spec.Roles[1].IPs[2] = netip.MustParseAddr("198.18.0.104")
	r, err := Restore(spec, data)
	if err != nil {
		t.Fatal(err)
	}
	st := r.State()
	if st.Host("db3") != nil || st.Host("db4").State != StateAwaitingRecovery {
		t.Errorf("hosts after the change: %+v", st.Hosts)
	}
	ips := st.role("reader").IPs
	if ips[0].Host != "db1" || ips[1].Host != "db2" || ips[2].Host != "" || ips[2].IP.String() != "198.18.0.104" {
		t.Errorf("reader assignment after the change: %+v", ips)
	}
	// The restored machine keeps deciding: the new IP gets an owner.
	out := r.Step(now, Tick{})
	if eventText(out) == "" {
		t.Error("no decision after restore")
	}
}

func TestNewStartsUnknown(t *testing.T) {
	m, err := New(seedSpec())
	if err != nil {
		t.Fatal(err)
	}
	st := m.State()
	if st.Started || st.Mode != config.ModeActive || len(st.Hosts) != 3 || st.Hosts[0].State != StateUnknown {
		t.Errorf("fresh state %+v", st)
	}
	if m.Pending() != nil {
		t.Error("Pending before startup")
	}
	if got := Show(m.Spec(), st); got != "  db1(198.18.0.11) master/UNKNOWN. Roles: \n  db2(198.18.0.12) master/UNKNOWN. Roles: \n  db3(198.18.0.13) slave/UNKNOWN. Roles: \n" {
		t.Errorf("show before startup:\n%s", got)
	}
	if text, ok := ChecksReport(m.Spec(), st, "db1", "ping", nil); !ok || text != "db1  ping  [last change: 1970/01/01 00:00:00]  " {
		t.Errorf("checks before startup: %q", text)
	}
}
