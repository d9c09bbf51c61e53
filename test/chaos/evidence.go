package chaos

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// show renders the leader's state as `mmmctl show` does.
func (c *campaign) show(ctx context.Context) string {
	s, ok := c.l.LeaderSnapshot()
	if !ok {
		return "(no raft leader)"
	}
	return fmt.Sprintf("leader %s:\n%s", s.Leader, lab.ShowSnapshot(s))
}

// evidence prints the leader's show and history tail for a stuck fault
// and, with EvidenceDir, keeps them with the daemons' logs and the lab's
// status; it returns the folder ("" when none).
func (c *campaign) evidence(ctx context.Context, f Fault, fr FaultResult) string {
	show, hist := c.show(ctx), historyTail(ctx, c.l, 25)
	fmt.Fprintf(c.o.Progress, "--- fault %d (%s on %s) stuck: %s\n%s\n--- history (tail)\n%s", f.Index, f.Kind, fr.Target, fr.Reason, show, hist)
	if c.o.EvidenceDir == "" {
		return ""
	}
	dir := filepath.Join(c.o.EvidenceDir, fmt.Sprintf("seed%d-fault%03d-%s", c.o.Seed, f.Index, f.Kind))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		c.log.Warn("evidence", "err", err)
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d fault %s target %s held %.1fs\nreason: %s\n\n%s\n\nhistory (tail):\n%s\n", c.o.Seed, f, fr.Target, fr.HeldS, fr.Reason, show, hist)
	_ = os.WriteFile(filepath.Join(dir, "state.txt"), []byte(b.String()), 0o644)
	if err := c.l.KeepLogs(ctx, dir); err != nil {
		c.log.Warn("evidence", "err", err)
	}
	fmt.Fprintf(c.o.Progress, "--- evidence kept in %s\n", dir)
	return dir
}
