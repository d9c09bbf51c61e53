package keepalived

import (
	"errors"
	"strings"
	"testing"
)

func TestParseNotifyArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    Transition
		wantErr string // the whole one-line message
		target  error
	}{
		{name: "bare", args: []string{"INSTANCE", "mmm_writer", "MASTER", "150"},
			want: Transition{Kind: KindInstance, Name: "mmm_writer", State: StateMaster, Priority: 150}},
		{name: "after the configured arguments",
			args: []string{"--config", "/etc/mysql-mmm/mmm_agent.conf", "--host", "db1", "INSTANCE", "mmm_writer", "BACKUP", "100"},
			want: Transition{Kind: KindInstance, Name: "mmm_writer", State: StateBackup, Priority: 100}},
		{name: "fault", args: []string{"INSTANCE", "mmm_writer", "FAULT", "150"},
			want: Transition{Kind: KindInstance, Name: "mmm_writer", State: StateFault, Priority: 150}},
		{name: "stop", args: []string{"INSTANCE", "mmm_writer", "STOP", "0"},
			want: Transition{Kind: KindInstance, Name: "mmm_writer", State: StateStop}},
		{name: "deleted by a reload", args: []string{"INSTANCE", "mmm_writer", "DELETED", "150"},
			want: Transition{Kind: KindInstance, Name: "mmm_writer", State: StateDeleted, Priority: 150}},
		{name: "group", args: []string{"GROUP", "G1", "BACKUP", "0"},
			want: Transition{Kind: KindGroup, Name: "G1", State: StateBackup}},
		{name: "typed by hand in lower case", args: []string{"instance", "mmm_writer", "master", "150"},
			want: Transition{Kind: KindInstance, Name: "mmm_writer", State: StateMaster, Priority: 150}},

		{name: "no arguments", args: nil, target: ErrNotifyArgs,
			wantErr: "keepalived: notify arguments: want TYPE NAME STATE PRIORITY last, got 0 arguments"},
		{name: "one argument", args: []string{"MASTER"}, target: ErrNotifyArgs,
			wantErr: `keepalived: notify arguments: want TYPE NAME STATE PRIORITY last, got 1 argument: "MASTER"`},
		{name: "three arguments", args: []string{"INSTANCE", "mmm_writer", "MASTER"}, target: ErrNotifyArgs,
			wantErr: `keepalived: notify arguments: want TYPE NAME STATE PRIORITY last, got 3 arguments: "INSTANCE" "mmm_writer" "MASTER"`},
		{name: "unknown state", args: []string{"INSTANCE", "mmm_writer", "MASTERFUL", "150"}, target: ErrUnknownState,
			wantErr: `keepalived: notify arguments: unknown state "MASTERFUL" (want MASTER, BACKUP, FAULT, STOP or DELETED)`},
		{name: "keepalived's own unknown", args: []string{"INSTANCE", "mmm_writer", "{UNKNOWN}", "150"}, target: ErrUnknownState,
			wantErr: `keepalived: notify arguments: unknown state "{UNKNOWN}" (want MASTER, BACKUP, FAULT, STOP or DELETED)`},
		{name: "a fifo-only event", args: []string{"INSTANCE", "mmm_writer", "MASTER_PRIORITY", "150"}, target: ErrUnknownState,
			wantErr: `keepalived: notify arguments: unknown state "MASTER_PRIORITY" (want MASTER, BACKUP, FAULT, STOP or DELETED)`},
		{name: "state not in third-last place", args: []string{"INSTANCE", "mmm_writer", "MASTER", "150", "extra"}, target: ErrUnknownState,
			wantErr: `keepalived: notify arguments: unknown state "150" (want MASTER, BACKUP, FAULT, STOP or DELETED)`},
		{name: "unknown type", args: []string{"SERVER", "mmm_writer", "MASTER", "150"}, target: ErrUnknownState,
			wantErr: `keepalived: notify arguments: unknown type "SERVER" (want INSTANCE or GROUP)`},
		{name: "empty name", args: []string{"INSTANCE", "", "MASTER", "150"}, target: ErrNotifyArgs,
			wantErr: `keepalived: notify arguments: empty instance name`},
		{name: "priority not a number", args: []string{"INSTANCE", "mmm_writer", "MASTER", "high"}, target: ErrNotifyArgs,
			wantErr: `keepalived: notify arguments: priority "high" is not a number from 0 to 255`},
		{name: "priority out of range", args: []string{"INSTANCE", "mmm_writer", "MASTER", "256"}, target: ErrNotifyArgs,
			wantErr: `keepalived: notify arguments: priority "256" is not a number from 0 to 255`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseNotifyArgs(tt.args)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseNotifyArgs(%q) = %+v, want error %q", tt.args, got, tt.wantErr)
				}
				checkOneLine(t, err, tt.wantErr, tt.target)
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseNotifyArgs(%q) = %+v, %v; want %+v", tt.args, got, err, tt.want)
			}
		})
	}
}

// TestParseNotifyArgsExact: exactly four, else the count error;
// four go to ParseNotifyArgs.
func TestParseNotifyArgsExact(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    Transition
		wantErr string
		target  error
	}{
		{name: "four", args: []string{"INSTANCE", "mmm_writer", "FAULT", "150"},
			want: Transition{Kind: KindInstance, Name: "mmm_writer", State: StateFault, Priority: 150}},
		{name: "none", args: nil, target: ErrNotifyArgs,
			wantErr: "want TYPE NAME STATE PRIORITY after the options, got 0 arguments"},
		{name: "one", args: []string{"INSTANCE"}, target: ErrNotifyArgs,
			wantErr: `want TYPE NAME STATE PRIORITY after the options, got 1 argument: "INSTANCE"`},
		{name: "a stray word before them", args: []string{"x", "INSTANCE", "mmm_writer", "FAULT", "150"}, target: ErrNotifyArgs,
			wantErr: `want TYPE NAME STATE PRIORITY after the options, got 5 arguments: "x" "INSTANCE" "mmm_writer" "FAULT" "150"`},
		{name: "four, one wrong", args: []string{"INSTANCE", "mmm_writer", "SLEEPING", "150"}, target: ErrUnknownState,
			wantErr: `keepalived: notify arguments: unknown state "SLEEPING" (want MASTER, BACKUP, FAULT, STOP or DELETED)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseNotifyArgsExact(tt.args)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseNotifyArgsExact(%q) = %+v, want error %q", tt.args, got, tt.wantErr)
				}
				checkOneLine(t, err, tt.wantErr, tt.target)
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseNotifyArgsExact(%q) = %+v, %v; want %+v", tt.args, got, err, tt.want)
			}
		})
	}
}

func TestParseFifoLine(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    Transition
		wantErr string
		target  error
	}{
		{name: "master", line: "INSTANCE \"mmm_writer\" MASTER 150\n",
			want: Transition{Kind: KindInstance, Name: "mmm_writer", State: StateMaster, Priority: 150}},
		{name: "without newline", line: `INSTANCE "VI_1" BACKUP 100`,
			want: Transition{Kind: KindInstance, Name: "VI_1", State: StateBackup, Priority: 100}},
		{name: "stop", line: `INSTANCE "mmm_writer" STOP 0`,
			want: Transition{Kind: KindInstance, Name: "mmm_writer", State: StateStop}},
		{name: "group", line: `GROUP "G1" FAULT 0`,
			want: Transition{Kind: KindGroup, Name: "G1", State: StateFault}},
		{name: "lower priority advert", line: `INSTANCE "mmm_writer" MASTER_RX_LOWER_PRI 150`,
			want: Transition{Kind: KindInstance, Name: "mmm_writer", State: StateMasterRxLowerPri, Priority: 150}},
		{name: "priority change", line: `INSTANCE "mmm_writer" BACKUP_PRIORITY 90`,
			want: Transition{Kind: KindInstance, Name: "mmm_writer", State: StateBackupPriority, Priority: 90}},
		{name: "name with a space", line: `INSTANCE "my writer" MASTER 150`,
			want: Transition{Kind: KindInstance, Name: "my writer", State: StateMaster, Priority: 150}},
		{name: "CRLF", line: "INSTANCE \"mmm_writer\" FAULT 150\r\n",
			want: Transition{Kind: KindInstance, Name: "mmm_writer", State: StateFault, Priority: 150}},

		{name: "empty", line: "", target: ErrFifoLine,
			wantErr: `keepalived: notify fifo line "": want TYPE "NAME" STATE PRIORITY`},
		{name: "unquoted name", line: "INSTANCE mmm_writer MASTER 150", target: ErrFifoLine,
			wantErr: `keepalived: notify fifo line "INSTANCE mmm_writer MASTER 150": want TYPE "NAME" STATE PRIORITY`},
		{name: "no priority", line: `INSTANCE "mmm_writer" MASTER`, target: ErrFifoLine,
			wantErr: `keepalived: notify fifo line "INSTANCE \"mmm_writer\" MASTER": want TYPE "NAME" STATE PRIORITY`},
		{name: "a word too many", line: `INSTANCE "mmm_writer" MASTER 150 1`, target: ErrFifoLine,
			wantErr: `keepalived: notify fifo line "INSTANCE \"mmm_writer\" MASTER 150 1": want TYPE "NAME" STATE PRIORITY`},
		{name: "no space after the name", line: `INSTANCE "mmm_writer"MASTER 150`, target: ErrFifoLine,
			wantErr: `keepalived: notify fifo line "INSTANCE \"mmm_writer\"MASTER 150": want TYPE "NAME" STATE PRIORITY`},
		{name: "unknown state", line: `INSTANCE "mmm_writer" SLEEPING 150`, target: ErrUnknownState,
			wantErr: `keepalived: notify fifo line: "INSTANCE \"mmm_writer\" SLEEPING 150": unknown state "SLEEPING" (want MASTER, BACKUP, FAULT, STOP, DELETED, MASTER_RX_LOWER_PRI, MASTER_PRIORITY, BACKUP_PRIORITY)`},
		{name: "a checker line", line: `RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 UP`, target: ErrFifoLine,
			wantErr: `keepalived: notify fifo line "RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 UP": want TYPE "NAME" STATE PRIORITY`},
		{name: "empty name", line: `INSTANCE "" MASTER 150`, target: ErrFifoLine,
			wantErr: `keepalived: notify fifo line: "INSTANCE \"\" MASTER 150": empty instance name`},
		{name: "negative priority", line: `INSTANCE "mmm_writer" MASTER -1`, target: ErrFifoLine,
			wantErr: `keepalived: notify fifo line: "INSTANCE \"mmm_writer\" MASTER -1": priority "-1" is not a number from 0 to 255`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFifoLine(tt.line)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseFifoLine(%q) = %+v, want error %q", tt.line, got, tt.wantErr)
				}
				checkOneLine(t, err, tt.wantErr, tt.target)
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseFifoLine(%q) = %+v, %v; want %+v", tt.line, got, err, tt.want)
			}
		})
	}
}

// TestTransitionStringRoundTrip: String writes what ParseFifoLine reads.
func TestTransitionStringRoundTrip(t *testing.T) {
	for s := StateMaster; s <= StateBackupPriority; s++ {
		tr := Transition{Kind: KindInstance, Name: InstanceName, State: s, Priority: 150}
		got, err := ParseFifoLine(tr.String() + "\n")
		if err != nil || got != tr {
			t.Errorf("ParseFifoLine(%q) = %+v, %v; want %+v", tr.String(), got, err, tr)
		}
	}
}

func TestState(t *testing.T) {
	tests := []struct {
		s                    State
		name                 string
		transition, holdsVIP bool
	}{
		{StateUnknown, "UNKNOWN", false, false},
		{StateMaster, "MASTER", true, true},
		{StateBackup, "BACKUP", true, false},
		{StateFault, "FAULT", true, false},
		{StateStop, "STOP", true, false},
		{StateDeleted, "DELETED", true, false},
		{StateMasterRxLowerPri, "MASTER_RX_LOWER_PRI", false, true},
		{StateMasterPriority, "MASTER_PRIORITY", false, true},
		{StateBackupPriority, "BACKUP_PRIORITY", false, false},
		{State(42), "UNKNOWN(42)", false, false},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.name {
			t.Errorf("State(%d).String() = %q, want %q", tt.s, got, tt.name)
		}
		if got := tt.s.IsTransition(); got != tt.transition {
			t.Errorf("%v.IsTransition() = %v, want %v", tt.s, got, tt.transition)
		}
		if got := tt.s.HoldsVIP(); got != tt.holdsVIP {
			t.Errorf("%v.HoldsVIP() = %v, want %v", tt.s, got, tt.holdsVIP)
		}
		if tt.s == StateUnknown || tt.s > StateBackupPriority {
			if _, err := ParseState(tt.name); !errors.Is(err, ErrUnknownState) {
				t.Errorf("ParseState(%q) = %v, want ErrUnknownState", tt.name, err)
			}
			continue
		}
		if got, err := ParseState(tt.name); err != nil || got != tt.s {
			t.Errorf("ParseState(%q) = %v, %v; want %v", tt.name, got, err, tt.s)
		}
	}
}

func TestKind(t *testing.T) {
	for k, name := range map[Kind]string{KindUnknown: "UNKNOWN", KindInstance: "INSTANCE", KindGroup: "GROUP", Kind(9): "UNKNOWN(9)"} {
		if got := k.String(); got != name {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, name)
		}
	}
	for _, bad := range []string{"", "UNKNOWN", "VS"} {
		if _, err := ParseKind(bad); !errors.Is(err, ErrUnknownState) {
			t.Errorf("ParseKind(%q) = %v, want ErrUnknownState", bad, err)
		}
	}
}

// checkOneLine checks an error's exact message, that it is one line (for
// mmm-notify to print before exit 2) and its sentinel.
func checkOneLine(t *testing.T, err error, want string, target error) {
	t.Helper()
	if got := err.Error(); got != want {
		t.Errorf("error:\n got %s\nwant %s", got, want)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q spans lines", err)
	}
	if !errors.Is(err, target) {
		t.Errorf("errors.Is(%v, %v) = false", err, target)
	}
}
