package fsm

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// enumName returns names[v], or "<names[0]>(v)" for a value out of range.
func enumName(names []string, v uint8) string {
	if int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", names[0], v)
}

// enumParse finds s among names (exact spelling), skipping the zero value.
func enumParse(names []string, what, s string) (uint8, error) {
	for i, n := range names[1:] {
		if n == s {
			return uint8(i + 1), nil
		}
	}
	return 0, fmt.Errorf("%w: %s %q", ErrParse, what, s)
}

// HostState is a host's MMM state. The zero value is UNKNOWN, the
// state of a host before startup decided anything.
type HostState uint8

const (
	StateUnknown HostState = iota
	StateOnline
	StateAdminOffline
	StateHardOffline
	StateAwaitingRecovery
	StateReplicationDelay
	StateReplicationFail
)

var hostStateNames = []string{"UNKNOWN", "ONLINE", "ADMIN_OFFLINE", "HARD_OFFLINE",
	"AWAITING_RECOVERY", "REPLICATION_DELAY", "REPLICATION_FAIL"}

func (s HostState) String() string { return enumName(hostStateNames, uint8(s)) }

// ParseHostState parses MMM's spelling (ONLINE, HARD_OFFLINE, …).
func ParseHostState(s string) (HostState, error) {
	v, err := enumParse(hostStateNames, "host state", s)
	return HostState(v), err
}

// MarshalText makes states readable in the serialised state.
func (s HostState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText accepts what MarshalText wrote, including UNKNOWN.
func (s *HostState) UnmarshalText(b []byte) error {
	if string(b) == hostStateNames[0] {
		*s = StateUnknown
		return nil
	}
	v, err := ParseHostState(string(b))
	*s = v
	return err
}

// Check names one of MMM's four checks. The zero value is invalid.
type Check uint8

const (
	CheckInvalid Check = iota
	CheckPing
	CheckMySQL
	CheckRepThreads
	CheckRepBacklog
)

// numChecks is the number of valid checks; HostStatus.Checks is indexed by
// Check-1.
const numChecks = 4

// AllChecks lists the checks in MMM's display order.
var AllChecks = []Check{CheckPing, CheckMySQL, CheckRepThreads, CheckRepBacklog}

var checkNames = []string{"invalid", "ping", "mysql", "rep_threads", "rep_backlog"}

func (c Check) String() string { return enumName(checkNames, uint8(c)) }

// ParseCheck parses ping, mysql, rep_threads or rep_backlog.
func ParseCheck(s string) (Check, error) {
	v, err := enumParse(checkNames, "check", s)
	return Check(v), err
}

// Result is the outcome of one probe, as MMM's checker reports it: the
// text starts with OK, ERROR or UNKNOWN. The zero value is invalid.
type Result uint8

const (
	ResultInvalid Result = iota
	ResultOK
	ResultFailed
	ResultUnknown
)

var resultNames = []string{"invalid", "ok", "failed", "unknown"}

func (r Result) String() string { return enumName(resultNames, uint8(r)) }

// ParseResult parses ok, failed or unknown.
func ParseResult(s string) (Result, error) {
	v, err := enumParse(resultNames, "probe result", s)
	return Result(v), err
}

// Level is an event's log level, MMM's Log4perl levels. FATAL marks every
// state change (MMM's alerting convention). The zero value is invalid.
type Level uint8

const (
	LevelInvalid Level = iota
	LevelDebug
	LevelInfo
	LevelWarn
	LevelError
	LevelFatal
)

var levelNames = []string{"invalid", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}

func (l Level) String() string { return enumName(levelNames, uint8(l)) }

// Slog maps the level to log/slog; FATAL is above ERROR.
func (l Level) Slog() slog.Level {
	switch l {
	case LevelDebug:
		return slog.LevelDebug
	case LevelInfo:
		return slog.LevelInfo
	case LevelWarn:
		return slog.LevelWarn
	case LevelError:
		return slog.LevelError
	}
	return slog.LevelError + 4
}

// VRRPState is the state keepalived reports for a master's VRRP instance.
// The zero value means nothing was reported.
type VRRPState uint8

const (
	VRRPUnknown VRRPState = iota
	VRRPMaster
	VRRPBackup
	VRRPFault
	VRRPStop
)

var vrrpNames = []string{"UNKNOWN", "MASTER", "BACKUP", "FAULT", "STOP"}

func (v VRRPState) String() string { return enumName(vrrpNames, uint8(v)) }

// ParseVRRPState parses keepalived's spelling (MASTER, BACKUP, FAULT, STOP).
func ParseVRRPState(s string) (VRRPState, error) {
	v, err := enumParse(vrrpNames, "VRRP state", strings.ToUpper(s))
	return VRRPState(v), err
}

// MarshalText keeps the serialised state readable.
func (v VRRPState) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText accepts what MarshalText wrote.
func (v *VRRPState) UnmarshalText(b []byte) error {
	if string(b) == vrrpNames[0] {
		*v = VRRPUnknown
		return nil
	}
	p, err := ParseVRRPState(string(b))
	*v = p
	return err
}

// EvidenceKind is definitive local evidence that mysqld is gone, observed
// by the host's own coordinator (see the package documentation for why
// each kind cannot occur on a healthy host).
type EvidenceKind uint8

const (
	EvidenceInvalid EvidenceKind = iota
	// EvidenceSocketRefused: connect(2) to the local unix socket returned
	// ECONNREFUSED — nothing listens on it.
	EvidenceSocketRefused
	// EvidenceProcessExited: the mysqld process (pid from its pid file)
	// exited, as the kernel reported it.
	EvidenceProcessExited
)

var evidenceNames = []string{"invalid", "socket-refused", "process-exited"}

func (k EvidenceKind) String() string { return enumName(evidenceNames, uint8(k)) }

// ParseEvidenceKind parses socket-refused or process-exited.
func ParseEvidenceKind(s string) (EvidenceKind, error) {
	v, err := enumParse(evidenceNames, "evidence", s)
	return EvidenceKind(v), err
}

// modeNames are MMM's mode names as `mmm_control mode` prints them,
// indexed by config.MonitorMode.
var modeNames = []string{"UNKNOWN", "ACTIVE", "MANUAL", "WAIT", "PASSIVE"}

// ModeName renders a monitor mode as mmm_control prints it (ACTIVE, …).
func ModeName(m config.MonitorMode) string { return enumName(modeNames, uint8(m)) }

// ParseModeName parses ACTIVE, MANUAL, WAIT or PASSIVE (any case).
func ParseModeName(s string) (config.MonitorMode, error) {
	v, err := enumParse(modeNames, "mode", strings.ToUpper(s))
	return config.MonitorMode(v), err
}

// hostModeName renders a host mode as `show` prints it (master, slave).
func hostModeName(m config.HostMode) string {
	return enumName([]string{"unknown", "master", "slave", "witness"}, uint8(m))
}
