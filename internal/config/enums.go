package config

import (
	"fmt"
	"strings"
)

// The names below are the configuration spellings; index = enum value, and
// index 0 (the zero value) is never accepted by a Parse function.
var (
	hostModeNames      = []string{"unknown", "master", "slave", "witness"}
	roleModeNames      = []string{"unknown", "exclusive", "balanced"}
	monitorModeNames   = []string{"unknown", "active", "manual", "wait", "passive"}
	catchupPolicyNames = []string{"unknown", "refuse", "promote"}
)

// Ping methods of the ping check (`ping_method`).
const (
	PingICMP = "icmp" // MMM's ICMP echo
	PingTCP  = "tcp"  // a TCP connect to mysql_port, for hosts that drop ICMP
)

var pingMethodNames = []string{PingICMP, PingTCP}

func enumString(names []string, v uint8) string {
	if int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", names[0], v)
}

// parseEnum maps s (case-insensitive) to its index in names, skipping the
// zero value.
func parseEnum(names []string, s string) (uint8, error) {
	for i, n := range names[1:] {
		if strings.EqualFold(s, n) {
			return uint8(i + 1), nil
		}
	}
	return 0, fmt.Errorf("expected %s, got %q", oneOf(names[1:]), s)
}

// oneOf renders a choice for a message: "a", "a or b", "a, b or c".
func oneOf(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

func (m HostMode) String() string { return enumString(hostModeNames, uint8(m)) }

// ParseHostMode parses a host's mode: master, slave or witness.
func ParseHostMode(s string) (HostMode, error) {
	v, err := parseEnum(hostModeNames, s)
	return HostMode(v), err
}

func (m RoleMode) String() string { return enumString(roleModeNames, uint8(m)) }

// ParseRoleMode parses a role's mode: exclusive or balanced.
func ParseRoleMode(s string) (RoleMode, error) {
	v, err := parseEnum(roleModeNames, s)
	return RoleMode(v), err
}

// String returns the configuration spelling (active, manual, wait, passive);
// mmm_control prints it upper-case.
func (m MonitorMode) String() string { return enumString(monitorModeNames, uint8(m)) }

// ParseMonitorMode parses the monitor's mode: active, manual, wait or passive.
func ParseMonitorMode(s string) (MonitorMode, error) {
	v, err := parseEnum(monitorModeNames, s)
	return MonitorMode(v), err
}

func (p CatchupPolicy) String() string { return enumString(catchupPolicyNames, uint8(p)) }

// ParseCatchupPolicy parses catchup_policy: refuse or promote.
func ParseCatchupPolicy(s string) (CatchupPolicy, error) {
	v, err := parseEnum(catchupPolicyNames, s)
	return CatchupPolicy(v), err
}

// parsePingMethod accepts icmp or tcp.
func parsePingMethod(s string) (string, error) {
	for _, n := range pingMethodNames {
		if strings.EqualFold(s, n) {
			return n, nil
		}
	}
	return "", fmt.Errorf("expected %s, got %q", oneOf(pingMethodNames), s)
}
