package failbench

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// system is one HA setup under test: how its lab is built, brought to the
// steady state, and how it does a planned switchover.
type system interface {
	name() string
	describe() string
	binDir() string // lab.Options.BinDir: what the lab starts by itself
	ready(ctx context.Context, l *lab.Lab) error
	switchover(ctx context.Context, l *lab.Lab) error
	// heal is the operator's part after the fault was undone (ours:
	// set_online of the host that came back); it returns what it did.
	heal(ctx context.Context, l *lab.Lab, host string) string
	// note describes the system's state at the fault (ours: the raft
	// leader, which a dead host may have been).
	note(ctx context.Context, l *lab.Lab) string
	// keepsSemisync: the system keeps the master side on the writer
	// only (the trial checks it at the end).
	keepsSemisync() bool
	// stages returns the system's own stages of the failover away from
	// victim since fault (see Stage); nil when it records none.
	stages(ctx context.Context, l *lab.Lab, victim string, fault time.Time) []Stage
}

func newSystem(name string, o Options) (system, error) {
	switch name {
	case "ours":
		return ours{bin: o.BinDir, profile: o.Profile}, nil
	case "classic":
		return classic{}, nil
	}
	return nil, fmt.Errorf("%w %q (ours, classic)", ErrUnknownSystem, name)
}

// ours is mmm-keepalived: keepalived with mmm-check and mmm-notify, and a
// coordinator on every db host, all from make build's bin/.
type ours struct {
	bin     string
	profile lab.Profile
}

func (ours) name() string { return "ours" }

func (ours) keepsSemisync() bool { return true }

func (o ours) describe() string {
	timing := "check_period 1 s, trap_period 2 s, lease 1 s, raft heartbeat timeout 500 ms"
	if o.profile == lab.ProfileDefaults {
		timing = "the shipped defaults: check_period 5 s, trap_period 10 s, lease 2.5 s, raft heartbeat timeout 1 s"
	}
	return "mmm-keepalived: keepalived (VRRPv3, advert 0.1 s) tracking mmm-check (interval 1 s, fall 1) and the coordinator's track file, " +
		"mmm-notify as notify hook, a coordinator per db host (" + timing + ")"
}

func (o ours) binDir() string { return o.bin }

// ready sets db2 and db3 ONLINE (a fresh cluster starts them in
// AWAITING_RECOVERY) and waits for the steady state: every host ONLINE,
// db1 the writer holding the writer VIP alone, the reader VIPs one per
// host, the raft leader off the writer host (at most 45 s).
func (ours) ready(ctx context.Context, l *lab.Lab) error {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	var last string
	leaderBy := time.Now().Add(45 * time.Second)
	for {
		s, ok := leaderSnapshot(ctx, l)
		if ok && s.State.Started {
			online := 0
			for _, h := range lab.DBHosts() {
				switch st := hostState(s, h.Name); st {
				case fsm.StateOnline:
					online++
				case fsm.StateAwaitingRecovery:
					_, _ = command(ctx, l, s.Leader, "set_online "+h.Name)
				}
			}
			last = fmt.Sprintf("%d of 3 ONLINE, writer %q", online, s.State.Owner("writer"))
			if online == 3 && s.State.Owner("writer") == lab.Writer {
				if err := vipsSteady(l); err != nil {
					last = err.Error()
				} else if s.Leader != lab.Writer || time.Now().After(leaderBy) {
					// Steady also means the raft leader off the writer
					// host (--leadership-transfer, on by default), as in
					// a cluster that has run for a while; a trial that
					// starts without it says so (the trial's note).
					return nil
				} else {
					last = "raft leader still on the writer host"
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("failbench: ours not steady: %s: %w", last, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// vipsSteady checks that the writer VIP is on the writer alone and every
// reader VIP on one host.
func vipsSteady(l *lab.Lab) error {
	hs, err := l.VIPHolders(lab.WriterVIP)
	if err != nil {
		return err
	}
	if !slices.Equal(hs, []string{lab.Writer}) {
		return fmt.Errorf("writer VIP on %v", hs)
	}
	per := map[string]int{}
	for _, ip := range lab.ReaderVIPs {
		hs, err := l.VIPHolders(ip)
		if err != nil {
			return err
		}
		if len(hs) != 1 {
			return fmt.Errorf("reader VIP %s on %v", ip, hs)
		}
		per[hs[0]]++
	}
	// Balanced: three reader VIPs, one per db host, so that every
	// victim holds one.
	if len(per) != len(lab.DBHosts()) {
		return fmt.Errorf("reader VIPs not balanced yet: %v", per)
	}
	return nil
}

// switchover is mmmctl move_role writer db2, through the raft leader.
func (ours) switchover(ctx context.Context, l *lab.Lab) error {
	s, ok := leaderSnapshot(ctx, l)
	if !ok {
		return fmt.Errorf("failbench: switchover: no leader")
	}
	r, err := command(ctx, l, s.Leader, "move_role writer db2")
	if err != nil {
		return fmt.Errorf("failbench: move_role: %w", err)
	}
	if !r.OK {
		return fmt.Errorf("failbench: move_role: %s", r.Text)
	}
	return nil
}

// heal runs set_online host until it is ONLINE (at most 40 s), as an
// operator does after a failover (auto_set_online is 0 in the lab): the
// state machine refuses it until the host's replication is verified.
// A rejoin refused for errant transactions (a writer cut off or frozen
// with a commit waiting for an acknowledgement keeps it, never
// acknowledged) gets the runbook's repair first, as an operator would:
// the app is stopped by then, so the writer is quiet.
func (ours) heal(ctx context.Context, l *lab.Lab, host string) string {
	ctx, cancel := context.WithTimeout(ctx, 40*time.Second)
	defer cancel()
	start := time.Now()
	var st fsm.HostState
	repaired := ""
	for {
		if s, ok := leaderSnapshot(ctx, l); ok {
			if writer, ok := lab.RepairSource(s, host); ok && repaired == "" {
				repaired = "; errant transactions repaired (rebuilt from " + writer + ")"
				if err := l.RebuildFrom(ctx, host, writer); err != nil {
					return fmt.Sprintf("%s refused for errant transactions; the repair failed: %v", host, err)
				}
			}
			switch st = hostState(s, host); st {
			case fsm.StateOnline:
				return fmt.Sprintf("%s ONLINE %v after the heal%s", host, time.Since(start).Round(100*time.Millisecond), repaired)
			case fsm.StateAwaitingRecovery, fsm.StateAdminOffline:
				_, _ = command(ctx, l, s.Leader, "set_online "+host)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Sprintf("%s not ONLINE 40 s after the heal (%v)", host, st)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (ours) note(ctx context.Context, l *lab.Lab) string {
	if s, ok := leaderSnapshot(ctx, l); ok {
		return "raft leader " + s.Leader
	}
	return "no raft leader"
}

func apiClient(l *lab.Lab, host string) (*api.Client, error) {
	return api.NewClient(api.ClientOptions{Socket: filepath.Join(l.StateDir(), host, "mmm.sock")})
}

// leaderSnapshot reads the committed state from the raft leader.
func leaderSnapshot(ctx context.Context, l *lab.Lab) (api.Snapshot, bool) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	for _, h := range lab.DBHosts() {
		c, err := apiClient(l, h.Name)
		if err != nil {
			continue
		}
		s, err := c.Snapshot(ctx)
		if err != nil || s.Leader == "" {
			continue
		}
		if s.Leader == h.Name {
			return s, true
		}
		if lc, err := apiClient(l, s.Leader); err == nil {
			if ls, err := lc.Snapshot(ctx); err == nil && ls.Leader == s.Leader {
				return ls, true
			}
		}
	}
	return api.Snapshot{}, false
}

func hostState(s api.Snapshot, host string) fsm.HostState {
	if h := s.State.Host(host); h != nil {
		return h.State
	}
	return fsm.StateUnknown
}

// command runs an mmm_control command on host's coordinator.
func command(ctx context.Context, l *lab.Lab, host, line string) (fsm.Reply, error) {
	cmd, err := fsm.ParseCommand(line)
	if err != nil {
		return fsm.Reply{}, err
	}
	c, err := apiClient(l, host)
	if err != nil {
		return fsm.Reply{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return c.Command(ctx, cmd)
}
