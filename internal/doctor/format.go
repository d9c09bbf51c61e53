package doctor

import (
	"fmt"
	"io"
	"strings"
)

// WriteText prints the report for people: one block per problem, errors
// first, each with its fix indented below, then a summary line.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	for _, p := range r.Problems {
		where := p.Host
		if where == "" {
			where = "cluster"
		}
		fmt.Fprintf(&b, "%-7s %s %s: %s\n", strings.ToUpper(string(p.Severity)), where, p.Check, p.Message)
		for i, line := range strings.Split(p.Fix, "\n") {
			if p.Fix == "" {
				break
			}
			lead := "  fix: "
			if i > 0 {
				lead = "       "
			}
			fmt.Fprintf(&b, "%s%s\n", lead, line)
		}
	}
	if len(r.Problems) > 0 {
		b.WriteString("\n")
	}
	var names []string
	for _, h := range r.Hosts {
		names = append(names, h.Host)
	}
	scope := strings.Join(names, ", ") + " checked"
	if r.Writer != "" {
		scope += ", writer " + r.Writer
	}
	if r.Local != "" {
		scope += ", keepalived on " + r.Local
	}
	switch {
	case r.Errors > 0:
		fmt.Fprintf(&b, "FAILED: %s, %s, %s (%s)\n", count(r.Errors, "error"), count(r.Warnings, "warning"), count(r.Notes, "note"), scope)
	case len(r.Problems) > 0:
		fmt.Fprintf(&b, "OK: no errors; %s, %s (%s)\n", count(r.Warnings, "warning"), count(r.Notes, "note"), scope)
	default:
		fmt.Fprintf(&b, "OK: no problems found (%s)\n", scope)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
