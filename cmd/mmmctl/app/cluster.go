package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
)

// clusterCommands go beyond mmm_control: the raft group, the history,
// the switchover.
func clusterCommands() []*cli.Command {
	return []*cli.Command{
		{
			Name: "status", Usage: "show raft members, leader, replication and semisync per host",
			Flags: []cli.Flag{jsonFlag, staleFlag},
			Description: "What the coordinator asked knows: the raft group, and for every host its\n" +
				"MMM state, roles and the leader's latest look at its MySQL. Exits 7 when\n" +
				"that coordinator has no raft leader, unless --allow-stale.\n\n" +
				"Example:\n   mmmctl status\n   mmmctl --json status",
			Action: statusAction,
		},
		{
			Name: "history", Usage: "show transitions and actions with outcome and duration",
			Flags: []cli.Flag{
				&cli.IntFlag{Name: "limit", Aliases: []string{"n"}, Value: 50, Usage: "show the newest `N` entries (0: all kept)"},
				&cli.StringFlag{Name: "host", Usage: "only entries about `HOST`"},
				jsonFlag,
			},
			Description: "The replicated history: MMM's log lines (event), admin commands (command)\n" +
				"and the actions run for them (action), oldest first.\n\nExample:\n   mmmctl history -n 20\n   mmmctl history --host db2",
			Action: historyAction,
		},
		{
			Name: "switchover", Usage: "move the writer role to its peer (or --to HOST) and wait until it is done",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "to", Usage: "target `HOST` (default: the other ONLINE host of the writer role)"},
				&cli.DurationFlag{Name: "wait", Value: time.Minute, Usage: "follow the handover for at most `DURATION` (0: return once the move is committed)"},
				&cli.BoolFlag{Name: "no-wait", Usage: "same as --wait 0"},
				jsonFlag,
			},
			Description: "A move_role of the active master role, refused like it (target not ONLINE,\n" +
				"role on its preferred host in ACTIVE mode, ...). The coordinator hands\n" +
				"over: close the old writer, fence it, catch the target up, promote it.\n" +
				"mmmctl prints each step as it completes and returns once the target is\n" +
				"the writer with its MySQL writable (exit 0); a step that fails for good,\n" +
				"or the role moving elsewhere, exits 1 with the reason; not done within\n" +
				"--wait, 7. --no-wait returns once the move is committed, as mmm_control's\n" +
				"move_role does. With --json the reply is the JSON and the steps go to\n" +
				"stderr.\n\n" +
				"Example:\n   mmmctl switchover\n   mmmctl switchover --to db1 --wait 2m\n   mmmctl switchover --no-wait",
			Before: func(c *cli.Context) error {
				if c.Bool("no-wait") {
					return c.Set("wait", "0s")
				}
				return nil
			},
			Action:       switchoverAction,
			BashComplete: completeHosts,
		},
	}
}

func statusAction(c *cli.Context) error {
	st, err := query(c, 0, (*api.Client).Status, func(st api.Status) error { return printStatus(c, st) })
	if err != nil {
		return err
	}
	return staleRead(c, st.Node, st.Leader == "")
}

// printStatus is status's text: the raft group, then a row per host and
// a note per problem. Every string is the API's, printed escaped.
func printStatus(c *cli.Context, st api.Status) error {
	w := c.App.Writer
	leader := st.Leader
	if leader == "" {
		leader = "none"
	}
	p := printableCell
	fmt.Fprintf(w, "Node %s, leader %s, term %d, applied index %d, mode %s\n\n", p(st.Node), p(leader), st.Term, st.Applied, p(st.Mode))
	tw := table(c)
	fmt.Fprintln(tw, "MEMBER\tADDRESS\tVOTER\tLEADER")
	for _, m := range st.Members {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p(m.Host), p(m.Address), yesNo(m.Voter), map[bool]string{true: "*"}[m.Leader])
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = table(c)
	fmt.Fprintln(tw, "HOST\tSTATE\tROLES\tREAD_ONLY\tMASTER\tIO\tSQL\tBEHIND\tSEMISYNC\tGTID")
	var notes []string
	for _, h := range st.Hosts {
		o := h.Obs
		if o == nil {
			o = &api.HostObs{}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p(h.Host), p(h.State), p(orDash(strings.Join(h.Roles, ", "))),
			onOff(o.ReadOnly), p(orDash(o.Master)), p(orDash(o.IORunning)), p(orDash(o.SQLRunning)), behind(o.SecondsBehind),
			semisync(o), p(orDash(o.GTIDExecuted)))
		switch {
		case h.Obs == nil:
			notes = append(notes, fmt.Sprintf("%s: not observed yet", h.Host))
		case !o.Reachable:
			notes = append(notes, fmt.Sprintf("%s: its coordinator does not answer (seen %s)", h.Host, o.Observed.Local().Format(timeFormat)))
		}
		if o.LastError != "" {
			notes = append(notes, fmt.Sprintf("%s: %s", h.Host, o.LastError))
		}
	}
	tw.Flush()
	for _, n := range append(notes, st.Warnings...) {
		fmt.Fprintf(w, "# %s\n", p(n))
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func onOff(b *bool) string {
	switch {
	case b == nil:
		return "-"
	case *b:
		return "ON"
	}
	return "OFF"
}

func behind(s *int64) string {
	if s == nil {
		return "-"
	}
	return strconv.FormatInt(*s, 10)
}

// semisync shows the side(s) a server has enabled: "master ON (2)" on
// the writer (status, clients), "replica ON" elsewhere; both, or none,
// is a layout the coordinator is about to restore. A coordinator that
// does not report the enabled sides shows the master side's status.
func semisync(o *api.HostObs) string {
	if o.SemisyncMaster == nil {
		s := onOff(o.SemisyncOn)
		if o.SemisyncPeers != nil && s == "ON" {
			s += fmt.Sprintf(" (%d)", *o.SemisyncPeers)
		}
		return s
	}
	var parts []string
	if *o.SemisyncMaster {
		s := "master " + onOff(o.SemisyncOn)
		if o.SemisyncPeers != nil && s == "master ON" {
			s += fmt.Sprintf(" (%d)", *o.SemisyncPeers)
		}
		parts = append(parts, s)
	}
	if o.SemisyncReplica != nil && *o.SemisyncReplica {
		parts = append(parts, "replica "+onOff(o.SemisyncReplicaOn))
	}
	if len(parts) == 0 {
		return "off"
	}
	return strings.Join(parts, ", ")
}

const timeFormat = "2006-01-02 15:04:05.000"

func historyAction(c *cli.Context) error {
	if err := wantArgs(c, 0); err != nil {
		return err
	}
	limit, host := c.Int("limit"), c.String("host")
	if limit < 0 {
		return usagef("history: --limit must be ≥ 0")
	}
	fetch := limit
	if host != "" {
		fetch = 0 // filter all kept, then keep the newest
	}
	entries, err := ask(c, func(cl *api.Client, ctx context.Context) ([]api.HistoryEntry, error) { return cl.History(ctx, fetch) })
	if err != nil {
		return err
	}
	if host != "" {
		var mine []api.HistoryEntry
		for _, e := range entries {
			if e.Host == host || strings.Contains(e.Text, "'"+host+"'") {
				mine = append(mine, e)
			}
		}
		if limit > 0 && len(mine) > limit {
			mine = mine[len(mine)-limit:]
		}
		entries = mine
	}
	if wantJSON(c) {
		return printJSON(c, api.HistoryResponse{Entries: entries})
	}
	tw := table(c)
	fmt.Fprintln(tw, "TIME\tKIND\tHOST\tOUTCOME\tDURATION\tWHAT")
	for _, e := range entries {
		what := strings.TrimSpace(e.Text)
		if e.Error != "" {
			what += ": " + e.Error
		}
		dur := "-"
		if e.Duration > 0 {
			dur = e.Duration.Round(time.Millisecond).String()
		}
		p := printableCell // stored text: whatever a command or an action carried
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.Local().Format(timeFormat), p(e.Kind), p(orDash(e.Host)),
			p(orDash(e.Outcome)), dur, p(what))
	}
	return tw.Flush()
}
