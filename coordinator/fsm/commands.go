package fsm

import (
	"fmt"
	"strings"
)

// Op is an mmm_control command that goes through the state machine. The
// read-only ones (ping, show, checks, help) do not: use Show and
// ChecksReport. The zero value is invalid.
type Op uint8

const (
	OpInvalid Op = iota
	OpSetOnline
	OpSetOffline
	OpMode
	OpSetActive
	OpSetManual
	OpSetPassive
	OpMoveRole
	OpSetIP
)

var opNames = []string{"invalid", "set_online", "set_offline", "mode", "set_active",
	"set_manual", "set_passive", "move_role", "set_ip"}

func (o Op) String() string { return enumName(opNames, uint8(o)) }

// Command is an admin command. Force is `move_role --force` and our
// `set_online --force` (skip the host's own replication check).
type Command struct {
	Op    Op
	Host  string
	Role  string
	IP    string // set_ip: as typed, so that a bad one gets MMM's reply
	Force bool
}

// ParseCommand parses an mmm_control command line. Like mmm_mond it
// dispatches on the name and the number of arguments; anything else
// yields an error wrapping ErrParse whose text is MMM's reply
// "Invalid command '<line>'".
func ParseCommand(line string) (Command, error) {
	f := strings.Fields(line)
	invalid := fmt.Errorf("%w: Invalid command '%s'", ErrParse, line)
	if len(f) == 0 {
		return Command{}, invalid
	}
	args := f[1:]
	force := len(args) > 0 && args[0] == "--force"
	switch {
	case f[0] == "set_online" && len(args) == 1:
		return Command{Op: OpSetOnline, Host: args[0]}, nil
	case f[0] == "set_online" && len(args) == 2 && force:
		return Command{Op: OpSetOnline, Host: args[1], Force: true}, nil
	case f[0] == "set_offline" && len(args) == 1:
		return Command{Op: OpSetOffline, Host: args[0]}, nil
	case f[0] == "move_role" && len(args) == 2:
		return Command{Op: OpMoveRole, Role: args[0], Host: args[1]}, nil
	case f[0] == "move_role" && len(args) == 3 && force:
		return Command{Op: OpMoveRole, Role: args[1], Host: args[2], Force: true}, nil
	case f[0] == "set_ip" && len(args) == 2:
		return Command{Op: OpSetIP, IP: args[0], Host: args[1]}, nil
	case len(args) == 0:
		for _, op := range []Op{OpMode, OpSetActive, OpSetManual, OpSetPassive} {
			if f[0] == op.String() {
				return Command{Op: op}, nil
			}
		}
	}
	return Command{}, invalid
}

// String renders the command in mmm_control syntax.
func (c Command) String() string {
	force := ""
	if c.Force {
		force = " --force"
	}
	switch c.Op {
	case OpSetOnline:
		return "set_online" + force + " " + c.Host
	case OpSetOffline:
		return "set_offline " + c.Host
	case OpMoveRole:
		return "move_role" + force + " " + c.Role + " " + c.Host
	case OpSetIP:
		return "set_ip " + c.IP + " " + c.Host
	}
	return c.Op.String()
}

// command executes an admin command with MMM's checks and replies.
func (s *step) command(c Command) {
	switch c.Op {
	case OpSetOnline:
		s.setOnline(c.Host, c.Force)
	case OpSetOffline:
		s.setOffline(c.Host)
	case OpMode:
		s.reply(true, "%s", ModeName(s.st.Mode))
	case OpSetActive:
		s.setActive()
	case OpSetManual:
		s.setManual()
	case OpSetPassive:
		s.setPassive()
	case OpMoveRole:
		if c.Force {
			s.forcedMoveRole(c.Role, c.Host)
		} else {
			s.moveRole(c.Role, c.Host)
		}
	case OpSetIP:
		s.setIP(c.IP, c.Host)
	default:
		s.reply(false, "Invalid command '%s'", c)
	}
}

func (s *step) unknownHost(host string) {
	s.reply(false, "ERROR: Unknown host name '%s'!", host)
}

func (s *step) setOnline(host string, force bool) {
	h := s.host(host)
	if h == nil {
		s.unknownHost(host)
		return
	}
	from := h.State
	switch {
	case from == StateOnline:
		s.reply(true, "OK: This host is already ONLINE. Skipping command.")
		return
	case from != StateAdminOffline && from != StateAwaitingRecovery:
		s.reply(false, "ERROR: Host '%s' is '%s' at the moment. It can't be switched to ONLINE.", host, from)
		return
	case !h.ok(CheckPing) || !h.ok(CheckMySQL):
		s.reply(false, "ERROR: Checks ping and/or mysql are not ok for host '%s'. It can't be switched to ONLINE.", host)
		return
	}
	// The peer's replication stopped because its own promotion stopped it
	// (RingStopped: its threads do not run) is no reason to refuse:
	// the ring is restarted once this host is back; refusing would wait
	// for ever. A peer that replicates but lags still refuses.
	ringStopped := func(p *HostStatus) bool {
		return p.RingStopped && p.Name == s.activeMaster() && !p.ok(CheckRepThreads)
	}
	if p := s.host(s.hostSpec(host).Peer); p != nil && p.State == StateOnline &&
		(!p.ok(CheckRepThreads) || !p.ok(CheckRepBacklog)) && !ringStopped(p) {
		s.reply(false, "ERROR: Some replication checks failed on peer '%s'. We can't set '%s' online now. Please, wait some time.", p.Name, host)
		return
	}
	if from == StateAwaitingRecovery && !force && !s.replVerified(h) {
		if (h.Refused != "" || h.MustRejoin) && s.now.Sub(h.Repl.At) >= ReplicationRetryOnDemand {
			// The operator may just have repaired it (the runbook):
			// request the rejoin again now rather than after
			// ReplicationRetry, so that the next set_online can pass.
			h.Repl = ReplIntent{}
		}
		s.reply(false, "ERROR: Replication of '%s' from the active master is not verified (%s). We can't set '%s' online now. Please, wait some time or use set_online --force.",
			host, s.replProblem(h), host)
		return
	}
	if h.Unreachable {
		s.reply(false, "ERROR: Can't reach agent daemon on '%s'! Can't switch its state!", host)
		return
	}
	s.log(LevelFatal, "Admin changed state of '%s' from %s to ONLINE", host, from)
	s.setState(h, StateOnline)
	h.Flapping = false
	if from == StateAdminOffline {
		h.ReplRestarted = s.now
	}
	s.reply(true, "OK: State of '%s' changed to ONLINE. Now you can wait some time and check its new roles!", host)
}

// replProblem explains why replVerified is false.
func (s *step) replProblem(h *HostStatus) string {
	am := s.activeMaster()
	switch {
	case h.Refused != "":
		return "its replication was refused: " + h.Refused
	case h.MustRejoin:
		return "it failed as the writer and has not been rejoined yet (errant-transaction check)"
	case h.Follows == "":
		return fmt.Sprintf("it does not replicate from '%s'", am)
	case h.Follows != am:
		return fmt.Sprintf("it replicates from '%s', not from '%s'", h.Follows, am)
	case !h.ok(CheckRepThreads):
		return "rep_threads: " + h.check(CheckRepThreads).Message
	}
	return "rep_backlog: " + h.check(CheckRepBacklog).Message
}

func (s *step) setOffline(host string) {
	h := s.host(host)
	if h == nil {
		s.unknownHost(host)
		return
	}
	from := h.State
	switch from {
	case StateAdminOffline:
		s.reply(true, "OK: This host is already ADMIN_OFFLINE. Skipping command.")
		return
	case StateOnline, StateReplicationFail, StateReplicationDelay:
	default:
		s.reply(false, "ERROR: Host '%s' is '%s' at the moment. It can't be switched to ADMIN_OFFLINE.", host, from)
		return
	}
	if s.notifyFails(h) {
		s.reply(false, "ERROR: Can't reach agent daemon on '%s'! Can't switch its state!", host)
		return
	}
	s.log(LevelFatal, "Admin changed state of '%s' from %s to ADMIN_OFFLINE", host, from)
	s.setState(h, StateAdminOffline)
	s.clearRoles(host)
	s.reply(true, "OK: State of '%s' changed to ADMIN_OFFLINE. Now you can wait some time and check all roles!", host)
}
