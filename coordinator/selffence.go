package coordinator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
	"github.com/mmm-keepalived/mmm-keepalived/internal/fence"
	"github.com/mmm-keepalived/mmm-keepalived/internal/mycnf"
	"github.com/mmm-keepalived/mmm-keepalived/internal/tcpsess"
)

// The self-fence: a host that stops being allowed to write makes sure
// its own mysqld stops taking writes, whatever the leader can reach.
//
// A host may write while the committed state gives it the writer role
// and it is within its lease. When that ends — a failover or switchover
// moved the role, or the host lost its leader for longer than the lease
// — or while it may write and keepalived leaves MASTER (FAULT, STOP: the
// writer VIP is gone), its coordinator fences the local mysqld over its
// socket, again and again, until the fence is confirmed: read_only reads
// back on with every client killed, or mysqld is not running at all.
// mmm-notify fences once on the same VRRP transitions; it cannot retry,
// and a frozen mysqld (SIGSTOP, an I/O stall, a VM pause) accepts the
// socket and never answers. Statements that waited in such a mysqld
// commit within milliseconds when it resumes, so "its own side fences
// it" is not enough when the fence did not happen. When the fence is not
// confirmed within fence_timeout the coordinator kills mysqld (SIGKILL,
// by mysql_pidfile; kill_unfenced_mysqld): a dead server commits
// nothing, and a frozen one is killed too (the kernel delivers SIGKILL to
// a stopped process).
//
// The outcome goes to the leader in every report (Report.SelfFence).
// The leader's fence of a host whose MySQL does not answer waits for
// that confirmation rather than assuming it, unless the host's
// coordinator is cut off (then the lease proves it stopped writing
// eligibility and fences by itself, and the writer's semisync timeout,
// which the coordinator owns, outlasts the lease and this fence).

// SelfFence is a host's own account of fencing its mysqld.
type SelfFence struct {
	// Since is the raft index this host had applied when the fence
	// began, Why what began it.
	Since uint64
	Why   string
	// Done: mysqld is read-only, not running, or was killed (How, with
	// Detail), at At on this host's clock. A new self-fence starts over.
	Done   bool      `json:",omitzero"`
	How    string    `json:",omitempty"`
	Detail string    `json:",omitempty"`
	At     time.Time `json:",omitzero"`
	// Tries counts the fence attempts; LastErr is the last one's error.
	Tries   int    `json:",omitzero"`
	LastErr string `json:",omitempty"`
}

// How a self-fence ended.
const (
	SelfFencedReadOnly = "read-only"
	SelfFencedDown     = "mysqld is not running"
	SelfFencedKilled   = "mysqld killed"
)

// selfFencer fences the local mysqld until it is confirmed; its I/O
// sits behind the function fields so that the loop can be tested.
type selfFencer struct {
	// fence makes one attempt (fence.Local).
	fence func(ctx context.Context) (fence.Result, error)
	// down reports why err proves that no mysqld is running ("" when it
	// does not: definitive).
	down func(err error) string
	// kill kills mysqld and waits for it to be gone (killMySQLD); nil:
	// kill_unfenced_mysqld is off.
	kill func(ctx context.Context) (string, error)
	// detach, when set, runs once the fence is confirmed with mysqld
	// alive: it ends the host's replication IO thread (see
	// startSelfFenceLocked for when).
	detach func(ctx context.Context) error
	// reset ends the TCP sessions of the writer VIPs from the kernel side
	// once no write can commit any more (resetSessions); nil: none.
	reset func() (int, error)
	// killAfter is fence_timeout: how long the fence may fail before the
	// kill.
	killAfter time.Duration
	retry     time.Duration
	now       func() time.Time
	after     func(time.Duration) <-chan time.Time
	// update receives the progress (the caller's copy for reports).
	update func(SelfFence)
	warn   func(msg string, args ...any)
}

// run fences until it is confirmed or ctx ends, starting from sf.
func (s selfFencer) run(ctx context.Context, sf SelfFence) SelfFence {
	start := s.now()
	for ctx.Err() == nil {
		// One attempt may not outlast the kill's deadline: a mysqld that
		// freezes during the fence must not hold the loop.
		fctx, cancel := context.WithTimeout(ctx, max(s.killAfter-s.now().Sub(start), s.retry))
		res, err := s.fence(fctx)
		cancel()
		sf.Tries++
		switch why := ""; {
		case err == nil:
			detail := res.String()
			if s.detach != nil {
				if derr := s.detach(ctx); derr != nil {
					s.warn("self-fence: the replication IO thread is not stopped", "err", derr)
					detail += "; replication IO thread NOT stopped: " + derr.Error()
				} else {
					detail += "; replication IO thread stopped until the rejoin"
				}
			}
			return s.finish(sf, SelfFencedReadOnly, detail+s.resetClients())
		case errors.Is(err, fence.ErrUnreachable):
			if why = s.down(err); why != "" {
				return s.finish(sf, SelfFencedDown, why)
			}
		}
		sf.LastErr = err.Error()
		if sf.Tries == 1 {
			s.warn("self-fence: the local mysqld is not fenced yet; trying again", "why", sf.Why, "err", err)
		}
		s.update(sf)
		if s.kill != nil && s.now().Sub(start) >= s.killAfter {
			detail, err := s.kill(ctx)
			if err == nil {
				return s.finish(sf, SelfFencedKilled, detail+s.resetClients())
			}
			sf.LastErr = "kill: " + err.Error()
			s.warn("self-fence: killing the unfenced mysqld failed; trying again", "err", err)
			s.update(sf)
		}
		select {
		case <-ctx.Done():
		case <-s.after(s.retry):
		}
	}
	return sf
}

// resetClients resets the writer VIPs' sessions (s.reset) and says how
// it went, for the detail.
func (s selfFencer) resetClients() string {
	if s.reset == nil {
		return ""
	}
	n, err := s.reset()
	if err != nil {
		s.warn("self-fence: the writer VIP's client sessions were not all reset", "err", err)
		return fmt.Sprintf("; %d client session(s) reset, the others not: %v", n, err)
	}
	return fmt.Sprintf("; %d client session(s) of the writer VIP reset", n)
}

func (s selfFencer) finish(sf SelfFence, how, detail string) SelfFence {
	sf.Done, sf.How, sf.Detail, sf.At, sf.LastErr = true, how, detail, s.now(), ""
	s.update(sf)
	return sf
}

// killMySQLD sends SIGKILL to the mysqld whose pid pidfile names and
// waits, within ctx, until it is gone. It refuses a pid whose process is
// not mysqld or mariadbd: a stale pid file may name anything.
func killMySQLD(ctx context.Context, pidfile string) (string, error) {
	pid, err := mycnf.ReadPid(pidfile)
	if err != nil {
		return "", err
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return "", fmt.Errorf("coordinator: mysqld pid %d (%s): %w", pid, pidfile, err)
	}
	if name := strings.TrimSpace(string(comm)); name != "mysqld" && name != "mariadbd" {
		return "", fmt.Errorf("coordinator: pid %d of %s is %q, not mysqld: not killed", pid, pidfile, name)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return "", fmt.Errorf("coordinator: kill mysqld pid %d: %w", pid, err)
	}
	for !gone(pid) {
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("coordinator: mysqld pid %d got SIGKILL but has not ended: %w", pid, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return fmt.Sprintf("SIGKILL to pid %d (%s)", pid, pidfile), nil
}

// gone: pid has ended (no such process, or a zombie waiting for its
// parent: it runs no more code either way).
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// pid (comm) S ...: the state follows the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && (s[i+2] == 'Z' || s[i+2] == 'X')
}

// selfFenceAttempt bounds one read_only attempt (and the connect) of the
// self-fence. SET GLOBAL read_only waits for commits in progress — on a
// cut-off writer, one waiting for a semisync acknowledgement that will
// not come — and the fence kills the clients and tries again when an
// attempt runs out: short, so that the writer VIP's sessions end while
// the track file still holds the address (fenceHold).
const selfFenceAttempt = 150 * time.Millisecond

// selfFencer builds this host's self-fence from the configuration:
// attempts of selfFenceAttempt every 200 ms, and the kill after
// fence_timeout when kill_unfenced_mysqld is on and mysql_pidfile is
// set. cutOff: the writer lost its lease, so it may be cut off from
// every replica while another writer opens: the clients are killed
// before read_only (a commit waiting for an acknowledgement would hold
// it back for a whole attempt) and its replication is detached (see
// startSelfFenceLocked).
func (c *Coordinator) selfFencer(update func(SelfFence), cutOff bool) selfFencer {
	h := c.cfg.Host(c.host)
	ft := c.cfg.Coordinator.FenceTimeout
	local := fence.LocalFor(c.cfg, h, selfFenceAttempt)
	local.Options.KillFirst = cutOff
	f := selfFencer{
		fence: local.Fence,
		down: func(err error) string {
			_, why := definitive(err, local.Config.Addr)
			return why
		},
		killAfter: ft,
		retry:     200 * time.Millisecond,
		now:       c.now,
		after:     time.After,
		update:    update,
		warn:      c.log.Warn,
	}
	if role := c.cfg.WriterRole(); role != nil && slices.Contains(role.Hosts, c.host) {
		ips, port := role.IPs, h.MySQLPort
		f.reset = func() (int, error) {
			n, _, err := tcpsess.Reset(ips, port)
			return n, err
		}
	}
	if cutOff {
		f.detach = func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			var err error
			// mmm-notify's fence, running at the same time, kills every
			// client session, this one's among them: try again on a new one.
			for range 3 {
				if err = detachReplication(ctx, local.Config); err == nil || !dbctl.ConnectionLost(err) {
					break
				}
			}
			return err
		}
	}
	if c.cfg.Coordinator.KillUnfencedMySQLD && h.MySQLPidfile != "" {
		f.kill = func(ctx context.Context) (string, error) {
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			return killMySQLD(ctx, h.MySQLPidfile)
		}
	}
	return f
}

// detachReplication ends the replication IO thread of the server at cfg
// (dbctl.KillReplicaIO); a server that is no replica has none.
func detachReplication(ctx context.Context, cfg *mysql.Config) error {
	srv, err := dbctl.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	if _, err := srv.KillReplicaIO(ctx); err != nil && !errors.Is(err, dbctl.ErrNotReplica) {
		return err
	}
	return nil
}
