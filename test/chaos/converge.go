package chaos

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// health is one look at the whole cluster after a fault was reversed.
type health struct {
	ok     bool
	reason string   // the first invariant that does not hold
	writer string   // the leader's writer
	stale  []string // hosts ONLINE for the leader whose replication is stopped or behind (see look)
}

// look checks every invariant of a converged cluster: a leader; every host
// ONLINE; a writer that alone holds the writer VIP and alone is writable;
// every host replicating with both threads (the writer from its peer, the
// others from the writer) and at the writer's GTID position within 1 s.
func (c *campaign) look(ctx context.Context) health {
	s, ok := c.l.LeaderSnapshot()
	if !ok {
		return health{reason: "no raft leader"}
	}
	if !s.State.Started {
		return health{reason: "the state machine has not started"}
	}
	h := health{writer: lab.WriterOf(s), ok: true}
	fail := func(format string, args ...any) {
		if h.ok {
			h.ok, h.reason = false, fmt.Sprintf(format, args...)
		}
	}
	for _, d := range lab.DBHosts() {
		if st := lab.StateOf(s, d.Name); st != fsm.StateOnline {
			fail("%s is %s", d.Name, st)
		}
	}
	if h.writer == "" {
		fail("no writer")
		return h
	}
	if holders, err := c.liveHolders(); err != nil {
		fail("writer VIP: %v", err)
	} else if !slices.Equal(holders, []string{h.writer}) {
		fail("writer VIP on %v, want %s", holders, h.writer)
	}
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	pos, err := queryString(qctx, c.pools[h.writer], "SELECT @@gtid_binlog_pos")
	if err != nil {
		fail("%s's GTID position: %v", h.writer, err)
	}
	for _, d := range lab.DBHosts() {
		// The writer's replication from its peer matters only while the
		// peer is ONLINE: from a peer held out (an errant transaction,
		// say) it must stay stopped.
		counts := lab.StateOf(s, d.Name) == fsm.StateOnline &&
			(d.Name != h.writer || lab.StateOf(s, d.Peer) == fsm.StateOnline)
		if why := c.hostBehind(qctx, d, h.writer, pos); why != "" {
			fail("%s", why)
			if counts {
				h.stale = append(h.stale, why)
			}
		}
	}
	return h
}

// hostBehind says what is wrong with one host's read_only, replication
// or position; "" when nothing.
func (c *campaign) hostBehind(ctx context.Context, d lab.Host, writer, pos string) string {
	db := c.pools[d.Name]
	ro, err := queryString(ctx, db, "SELECT @@read_only")
	if err != nil {
		return fmt.Sprintf("%s: read_only: %v", d.Name, err)
	}
	if want := map[bool]string{true: "0", false: "1"}[d.Name == writer]; ro != want {
		return fmt.Sprintf("%s: read_only=%s", d.Name, ro)
	}
	r, err := slaveStatus(ctx, db)
	if err != nil {
		return fmt.Sprintf("%s: replication: %v", d.Name, err)
	}
	master := writer
	if d.Name == writer {
		master = d.Peer
	}
	if !r.running() || r.Master != master {
		msg := fmt.Sprintf("%s: replicates from %s (io %s, sql %s), want %s", d.Name, r.Master, r.IO, r.SQL, master)
		if r.LastErr != "" {
			msg += ": " + r.LastErr
		}
		return msg
	}
	if d.Name == writer || pos == "" {
		return ""
	}
	if ok, err := waitGTID(ctx, db, pos, 1); err != nil || !ok {
		return fmt.Sprintf("%s: not at the writer's position %s within 1 s (%v)", d.Name, pos, err)
	}
	return ""
}

// liveHolders are the hosts with the writer VIP whose link is up.
func (c *campaign) liveHolders() ([]string, error) {
	hs, err := c.l.VIPHolders(lab.WriterVIP)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, h := range hs {
		if st, err := c.l.LinkState(h); err == nil && st == "up" {
			out = append(out, h)
		}
	}
	return out, nil
}

// staleGrace is how long a host may stay ONLINE with stopped or late
// replication before it counts: MMM's rep_threads and rep_backlog checks
// need check_period (1 s) and trap_period (2 s) to notice, repointing a
// replica takes a moment, and a host catching up after a restart is late
// for a while.
const staleGrace = 10 * time.Second

// converge acts as the operator until every invariant holds (set_online of
// every host in AWAITING_RECOVERY, as the README says) or limit passes. It
// returns how long it took, and the last reason when it did not converge.
func (c *campaign) converge(ctx context.Context, f Fault, since time.Time) (time.Duration, string, bool) {
	deadline := since.Add(c.o.Converge)
	staleFrom := map[string]time.Time{}
	reported := map[string]bool{}
	lastTry := map[string]time.Time{}
	c.fault = f
	var last health
	for {
		c.operate(ctx, lastTry)
		last = c.look(ctx)
		if last.ok {
			return time.Since(since), "", true
		}
		now := time.Now()
		seen := map[string]bool{}
		for _, why := range last.stale {
			host, _, _ := strings.Cut(why, ":")
			seen[host] = true
			if staleFrom[host].IsZero() {
				staleFrom[host] = now
			}
			if now.Sub(staleFrom[host]) >= staleGrace && !reported[host] {
				reported[host] = true
				c.addStale(f, fmt.Sprintf("ONLINE for %v while %s", staleGrace, why))
			}
		}
		for h := range staleFrom {
			if !seen[h] {
				delete(staleFrom, h)
			}
		}
		if now.After(deadline) {
			return time.Since(since), last.reason, false
		}
		select {
		case <-ctx.Done():
			return time.Since(since), ctx.Err().Error(), false
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// operate plays the host's service manager and the operator: a mysqld
// that died after the fault was reversed — the self-fence kills a frozen
// writer, possibly just after the thaw — is started again, as systemd's
// Restart=on-abort does; then set_online for every host in
// AWAITING_RECOVERY (at most once a second per host: the state machine
// refuses it until the host replicates, caught up).
func (c *campaign) operate(ctx context.Context, lastTry map[string]time.Time) {
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	if started, err := c.l.RestartDead(sctx); len(started) > 0 || err != nil {
		c.log.Warn("mysqld had died after the reverse: started again", "hosts", started, "err", err)
	}
	cancel()
	s, ok := c.l.LeaderSnapshot()
	if !ok {
		return
	}
	c.repairErrant(ctx, s)
	for _, d := range lab.DBHosts() {
		if lab.StateOf(s, d.Name) != fsm.StateAwaitingRecovery || time.Since(lastTry[d.Name]) < time.Second {
			continue
		}
		lastTry[d.Name] = time.Now()
		r, err := c.command(ctx, s.Leader, "set_online "+d.Name)
		c.log.Debug("set_online", "host", d.Name, "ok", r.OK, "reply", r.Text, "err", err)
	}
}

// repairErrant does the runbook's repair of each host whose rejoin the
// leader refused for errant transactions (Options.RepairErrant): rebuilt
// from the writer with the application paused, once per refusal.
func (c *campaign) repairErrant(ctx context.Context, s api.Snapshot) {
	if !c.o.RepairErrant {
		return
	}
	for _, d := range lab.DBHosts() {
		writer, ok := lab.RepairSource(s, d.Name)
		if !ok {
			continue
		}
		refused := s.State.Host(d.Name).Refused
		key := d.Name + " " + refused
		if c.rebuilt[key] {
			continue
		}
		c.rebuilt[key] = true
		resume := c.app.Pause()
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		err := c.l.RebuildFrom(rctx, d.Name, writer)
		cancel()
		resume()
		entry := fmt.Sprintf("fault %d (%s): %s rebuilt from %s: %s", c.fault.Index, c.fault.Kind, d.Name, writer, refused)
		if err != nil {
			entry += fmt.Sprintf(" (the repair failed: %v)", err)
		}
		c.res.ErrantRepaired = append(c.res.ErrantRepaired, entry)
		c.log.Warn("errant transactions repaired as the runbook says", "entry", entry)
	}
}

// command runs an mmm_control command on host's coordinator.
func (c *campaign) command(ctx context.Context, host, line string) (fsm.Reply, error) {
	cmd, err := fsm.ParseCommand(line)
	if err != nil {
		return fsm.Reply{}, fmt.Errorf("chaos: %q: %w", line, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	r, err := c.l.Client(host).Command(ctx, cmd)
	if err != nil {
		return r, fmt.Errorf("chaos: %q on %s: %w", line, host, err)
	}
	return r, nil
}

// checkRows looks up on every host the rows acknowledged since the last
// check: an ONLINE host without one is stale.
func (c *campaign) checkRows(ctx context.Context, f Fault, writer string) {
	acks := c.app.Snapshot().Acks
	ids := make([]int64, 0, len(acks)-c.checked)
	for _, a := range acks[c.checked:] {
		ids = append(ids, a.ID)
	}
	if len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	pos, err := queryString(ctx, c.pools[writer], "SELECT @@gtid_binlog_pos")
	if err != nil {
		c.log.Warn("rows check: writer position", "writer", writer, "err", err)
		return
	}
	for _, d := range lab.DBHosts() {
		if d.Name != writer {
			if ok, err := waitGTID(ctx, c.pools[d.Name], pos, 10); err != nil || !ok {
				c.addStale(f, fmt.Sprintf("%s: ONLINE but not at the writer's %s within 10 s (%v)", d.Name, pos, err))
				continue
			}
		}
		lost, err := missingRows(ctx, c.pools[d.Name], c.o.Table, ids)
		if err != nil {
			c.log.Warn("rows check", "host", d.Name, "err", err)
			return
		}
		if len(lost) > 0 {
			c.addStale(f, fmt.Sprintf("%s: ONLINE without %d acknowledged rows (first %d)", d.Name, len(lost), lost[0]))
		}
	}
	c.checked = len(acks)
}

// historyTail renders the leader's last n history entries, repeats
// folded: the campaign's own set_online, refused once a second while a
// host cannot rejoin, would otherwise push every event out of the tail.
func historyTail(ctx context.Context, l *lab.Lab, n int) string {
	s, ok := l.LeaderSnapshot()
	if !ok {
		return "(no raft leader)"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	h, err := l.Client(s.Leader).History(ctx, 0)
	if err != nil {
		return fmt.Sprintf("(history from %s: %v)", s.Leader, err)
	}
	lines := renderHistory(h)
	return strings.Join(lines[max(0, len(lines)-n):], "")
}

// renderHistory renders entries one a line, a run of entries with the
// same kind, host, outcome and text as its first line and a count.
func renderHistory(h []api.HistoryEntry) []string {
	var out []string
	for i := 0; i < len(h); {
		e := h[i]
		j := i + 1
		for j < len(h) && h[j].Kind == e.Kind && h[j].Host == e.Host && h[j].Outcome == e.Outcome && h[j].Text == e.Text {
			j++
		}
		line := fmt.Sprintf("  %s %-7s %-4s %-8s %s", e.Time.Format("15:04:05.000"), e.Kind, e.Host, e.Outcome, e.Text)
		if e.Error != "" {
			line += ": " + e.Error
		}
		if j-i > 1 {
			line += fmt.Sprintf(" (x%d until %s)", j-i, h[j-1].Time.Format("15:04:05.000"))
		}
		out = append(out, line+"\n")
		i = j
	}
	return out
}

var errStuck = errors.New("chaos: too many faults in a row did not converge")
