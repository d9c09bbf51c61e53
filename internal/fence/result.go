package fence

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// Result is what one Fence did, for logs and the coordinator's history.
type Result struct {
	// WasReadOnly: read_only was already on when the fence began (a
	// repeated fence).
	WasReadOnly bool
	// ReadOnlyAttempts counts SET GLOBAL read_only statements; more than
	// one means something blocked it and clients were killed in between.
	ReadOnlyAttempts int
	// Rounds counts kill rounds, Killed lists every connection killed,
	// in order.
	Rounds int
	Killed []dbctl.Client
	// Lost counts statements whose connection was killed under them
	// (another fence on the server) and that were retried at once.
	Lost int
	// Verified: read_only read back on at the end and no connection from
	// before it took effect is left.
	Verified bool
	Took     time.Duration
}

// String summarises the fence in one line, e.g. "read_only=1 set (was 0),
// 1 attempt; killed 3 clients (app@198.18.0.30 x3) in 2 rounds; verified;
// 12ms". Statements are not included (Client.Info is redacted but long).
func (r Result) String() string {
	var b strings.Builder
	was := "0"
	if r.WasReadOnly {
		was = "1"
	}
	fmt.Fprintf(&b, "read_only=1 set (was %s), %d attempt%s; ", was, r.ReadOnlyAttempts, plural(r.ReadOnlyAttempts))
	if len(r.Killed) == 0 {
		fmt.Fprintf(&b, "no client to kill in %d round%s", r.Rounds, plural(r.Rounds))
	} else {
		fmt.Fprintf(&b, "killed %d client%s (%s) in %d round%s", len(r.Killed), plural(len(r.Killed)),
			summarize(r.Killed), r.Rounds, plural(r.Rounds))
	}
	if r.Lost > 0 {
		fmt.Fprintf(&b, "; %d statement%s retried on a new connection (killed under it)", r.Lost, plural(r.Lost))
	}
	if r.Verified {
		b.WriteString("; verified")
	} else {
		b.WriteString("; NOT verified")
	}
	fmt.Fprintf(&b, "; %v", r.Took.Round(time.Millisecond))
	return b.String()
}

// summarize counts killed clients per user@host, most first, then by
// name.
func summarize(cs []dbctl.Client) string {
	n := map[string]int{}
	for _, c := range cs {
		host := c.Host
		if i := strings.LastIndexByte(host, ':'); i > 0 { // drop the client port
			host = host[:i]
		}
		n[c.User+"@"+host]++
	}
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if n[a] != n[b] {
			return n[b] - n[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s x%d", k, n[k])
	}
	return strings.Join(parts, ", ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
