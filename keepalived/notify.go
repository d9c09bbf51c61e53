package keepalived

import (
	"fmt"
	"strconv"
	"strings"
)

// State is what keepalived reports for a VRRP instance or sync group: a
// state it entered (notify scripts and the fifo) or, on the fifo only, an
// event while in a state. The zero value is StateUnknown.
type State uint8

const (
	StateUnknown State = iota
	StateMaster
	StateBackup
	StateFault
	StateStop    // keepalived is stopping the instance
	StateDeleted // the instance was removed by a reload (notify_deleted)

	// Fifo-only events: the instance stays in its state.
	StateMasterRxLowerPri // a master received an advert of lower priority
	StateMasterPriority   // a master's priority changed (notify_priority_changes)
	StateBackupPriority   // a backup's priority changed (notify_priority_changes)
)

// stateNames are keepalived's spellings, index = State.
var stateNames = []string{"UNKNOWN", "MASTER", "BACKUP", "FAULT", "STOP", "DELETED",
	"MASTER_RX_LOWER_PRI", "MASTER_PRIORITY", "BACKUP_PRIORITY"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("UNKNOWN(%d)", uint8(s))
}

// ParseState parses keepalived's spelling of a state or event (it always
// sends upper case; lower case is accepted for people typing it).
func ParseState(s string) (State, error) {
	for i, n := range stateNames[1:] {
		if strings.EqualFold(s, n) {
			return State(i + 1), nil
		}
	}
	return StateUnknown, fmt.Errorf("%w state %q (want %s)", ErrUnknownState, s, strings.Join(stateNames[1:], ", "))
}

// IsTransition reports whether s is a state change rather than a fifo-only
// event. Only transitions reach notify scripts.
func (s State) IsTransition() bool { return s >= StateMaster && s <= StateDeleted }

// HoldsVIP reports whether an instance in (or reporting an event in) state
// s holds its VIPs: MASTER and the master's events. In every other state
// the host must not accept writes.
func (s State) HoldsVIP() bool {
	return s == StateMaster || s == StateMasterRxLowerPri || s == StateMasterPriority
}

// Kind says whether an event is about a VRRP instance or a sync group.
// The zero value is KindUnknown.
type Kind uint8

const (
	KindUnknown Kind = iota
	KindInstance
	KindGroup
)

var kindNames = []string{"UNKNOWN", "INSTANCE", "GROUP"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("UNKNOWN(%d)", uint8(k))
}

// ParseKind parses INSTANCE or GROUP.
func ParseKind(s string) (Kind, error) {
	for i, n := range kindNames[1:] {
		if strings.EqualFold(s, n) {
			return Kind(i + 1), nil
		}
	}
	return KindUnknown, fmt.Errorf("%w type %q (want INSTANCE or GROUP)", ErrUnknownState, s)
}

// Transition is one report from keepalived: Kind Name entered State (or,
// on the fifo only, had an event) with Priority, the instance's effective
// priority (0 for a group).
type Transition struct {
	Kind     Kind
	Name     string
	State    State
	Priority int
}

// String renders the fifo's form: INSTANCE "mmm_writer" MASTER 150.
func (e Transition) String() string {
	return fmt.Sprintf("%s %q %s %d", e.Kind, e.Name, e.State, e.Priority)
}

// ParseNotifyArgs parses a notify script's arguments (os.Args[1:]).
// keepalived appends TYPE NAME STATE PRIORITY after the arguments
// configured with the script, so only the last four are read; the caller
// parses what comes before. Only transitions are accepted: keepalived
// sends no fifo-only event to a script.
//
// Errors wrap ErrNotifyArgs (and ErrUnknownState for a bad word) and are
// one line, e.g.
//
//	keepalived: notify arguments: want TYPE NAME STATE PRIORITY last, got 2 arguments: "INSTANCE" "mmm_writer"
func ParseNotifyArgs(args []string) (Transition, error) {
	if len(args) < 4 {
		return Transition{}, errorf(ErrNotifyArgs, "keepalived: notify arguments: want TYPE NAME STATE PRIORITY last, got %d argument%s%s",
			len(args), plural(len(args)), quoteAll(args))
	}
	last := args[len(args)-4:]
	var e Transition
	var err error
	if st, _ := ParseState(last[2]); !st.IsTransition() {
		// Scripts get transitions only: name those, not the fifo's events.
		err = fmt.Errorf("%w state %q (want MASTER, BACKUP, FAULT, STOP or DELETED)", ErrUnknownState, last[2])
	} else {
		e, err = parseTransition(last[0], last[1], last[2], last[3])
	}
	if err != nil {
		return Transition{}, fmt.Errorf("%w: %w", ErrNotifyArgs, err)
	}
	return e, nil
}

// ParseNotifyArgsExact is ParseNotifyArgs for a script that parsed its
// own options first and holds what follows them: exactly TYPE NAME STATE
// PRIORITY. More than four means a stray word in the configured command,
// which would shift keepalived's words, so it is refused rather than cut.
// The count error wraps ErrNotifyArgs and speaks of the options, e.g.
//
//	want TYPE NAME STATE PRIORITY after the options, got 1 argument: "INSTANCE"
func ParseNotifyArgsExact(args []string) (Transition, error) {
	if len(args) != 4 {
		return Transition{}, errorf(ErrNotifyArgs, "want TYPE NAME STATE PRIORITY after the options, got %d argument%s%s",
			len(args), plural(len(args)), quoteAll(args))
	}
	return ParseNotifyArgs(args)
}

// ParseFifoLine parses one line keepalived wrote to vrrp_notify_fifo:
// TYPE "NAME" STATE PRIORITY, with or without its newline. Errors wrap
// ErrFifoLine (and ErrUnknownState for a bad word) and are one line.
func ParseFifoLine(line string) (Transition, error) {
	line = strings.TrimRight(line, "\r\n")
	bad := func(why string) (Transition, error) {
		return Transition{}, errorf(ErrFifoLine, "keepalived: notify fifo line %q: %s", line, why)
	}
	// The name is quoted and may, in principle, hold spaces: cut at the
	// first and the last quote.
	typ, rest, ok := strings.Cut(line, ` "`)
	i := strings.LastIndexByte(rest, '"')
	if !ok || i < 0 {
		return bad(`want TYPE "NAME" STATE PRIORITY`)
	}
	name, tail := rest[:i], strings.Fields(rest[i+1:])
	if len(tail) != 2 || !strings.HasPrefix(rest[i+1:], " ") {
		return bad(`want TYPE "NAME" STATE PRIORITY`)
	}
	e, err := parseTransition(typ, name, tail[0], tail[1])
	if err != nil {
		return Transition{}, fmt.Errorf("%w: %q: %w", ErrFifoLine, line, err)
	}
	return e, nil
}

func parseTransition(typ, name, state, prio string) (Transition, error) {
	k, err := ParseKind(typ)
	if err != nil {
		return Transition{}, err
	}
	if name == "" {
		return Transition{}, fmt.Errorf("empty %s name", strings.ToLower(k.String()))
	}
	s, err := ParseState(state)
	if err != nil {
		return Transition{}, err
	}
	p, err := strconv.Atoi(prio)
	if err != nil || p < 0 || p > 255 {
		return Transition{}, fmt.Errorf("priority %q is not a number from 0 to 255", prio)
	}
	return Transition{Kind: k, Name: name, State: s, Priority: p}, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// quoteAll renders args for a one-line message: `: "a" "b"`, or "".
func quoteAll(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i == 0 {
			b.WriteString(":")
		}
		b.WriteString(" " + strconv.Quote(a))
	}
	return b.String()
}
