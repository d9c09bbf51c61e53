package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
)

// movedReply is the state machine's OK reply to a move of the writer role.
var movedReply = regexp.MustCompile(`^OK: Role '([^']+)' has been moved from '([^']*)' to '([^']+)'`)

// switchoverAction asks for the move, prints the reply, then — unless
// --wait is 0 — follows the handover in the history until the target is
// the writer with its MySQL writable: each action of it as it completes,
// then the outcome. A move that fails (an action failed for good) or that
// the cluster undoes (the role went elsewhere once the coordinator asked
// had applied the move) exits 1 with the reason; one not done within
// --wait exits 7.
func switchoverAction(c *cli.Context) error {
	if err := wantArgs(c, 0); err != nil {
		return err
	}
	wait := c.Duration("wait")
	var since uint64
	if wait > 0 {
		// The history's last index before the move: the handover's
		// actions are the entries after it.
		h, err := ask(c, func(cl *api.Client, ctx context.Context) ([]api.HistoryEntry, error) { return cl.History(ctx, 1) })
		if err != nil {
			return err
		}
		if len(h) > 0 {
			since = h[len(h)-1].Index
		}
	}
	resp, err := ask(c, func(cl *api.Client, ctx context.Context) (api.CommandResponse, error) {
		return cl.Switchover(ctx, c.String("to"))
	})
	if perr := printReply(c, resp, err); perr != nil || err != nil || wait <= 0 {
		return perr
	}
	m := movedReply.FindStringSubmatch(resp.Text)
	if m == nil {
		return nil // "Role is on X already": nothing to follow
	}
	out := c.App.Writer
	if wantJSON(c) {
		out = c.App.ErrWriter // the reply is the JSON; progress goes aside
	}
	cl, _, err := connect(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Context, wait)
	defer cancel()
	return followSwitchover(ctx, cl, out, m[1], m[2], m[3], since, time.Now())
}

// followSwitchover polls the history and the state until role is on to
// with its MySQL writable (nil), an action of the handover failed for
// good, the role went elsewhere, or ctx ends.
func followSwitchover(ctx context.Context, cl *api.Client, out io.Writer, role, from, to string, since uint64, start time.Time) error {
	printed := map[string]bool{} // entries already printed (several share an index)
	// opened: the target's open-writer is done. moved: a read showed the
	// role on the target. Until then a read that shows it on from is
	// one the move has not reached (a follower applies it a moment
	// after the leader answered), not the role going back.
	opened, moved := false, false
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		if h, err := cl.History(ctx, 200); err == nil {
			for _, e := range h {
				key := fmt.Sprintf("%d %s %s", e.Index, e.Text, e.Outcome)
				if e.Index <= since || e.Kind != "action" || e.Outcome == "retrying" || printed[key] {
					continue
				}
				printed[key] = true
				line := fmt.Sprintf("  %-9s %s", e.Outcome, printable(e.Text))
				if e.Duration > 0 {
					line += fmt.Sprintf(" (%v)", e.Duration.Round(time.Millisecond))
				}
				if e.Error != "" {
					line += ": " + printable(e.Error)
				}
				fmt.Fprintln(out, line)
				switch {
				case e.Outcome == "failed" && (e.Host == to || e.Host == from):
					return &exitError{code: ExitError, err: fmt.Errorf("switchover %s -> %s: %s failed: %s; see mmmctl history", from, to, e.Text, e.Error)}
				case e.Outcome == "ok" && e.Host == to && e.Text == "open-writer "+to:
					opened = true
				}
			}
		}
		if snap, err := cl.Snapshot(ctx); err == nil {
			owner := snap.State.Owner(role)
			moved = moved || owner == to
			if owner != to && (moved || owner != from) {
				return &exitError{code: ExitError, err: fmt.Errorf("switchover %s -> %s: the %s role is on %s now; see mmmctl history", from, to, role, orNone(owner))}
			}
			if h := snap.State.Host(to); opened && h != nil && h.Writable {
				fmt.Fprintf(out, "OK: '%s' is the writer, its MySQL writable, %v after the move.\n", to, time.Since(start).Round(time.Millisecond))
				return nil
			}
		}
		select {
		case <-ctx.Done():
			err := fmt.Errorf("switchover %s -> %s: committed, not complete within --wait: %w; see mmmctl history", from, to, ctx.Err())
			if errors.Is(ctx.Err(), context.Canceled) {
				return err
			}
			return &exitError{code: ExitUnavailable, err: err}
		case <-t.C:
		}
	}
}

func orNone(h string) string {
	if h == "" {
		return "no host"
	}
	return h
}
