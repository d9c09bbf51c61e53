package fsm

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// Show renders `mmm_control show` from a state: the PASSIVE banner,
// unreachable-agent warnings, one line per host sorted by name, and the
// preferred-host notes. Every line ends with a newline.
func Show(spec Spec, st State) string {
	var b strings.Builder
	if st.Mode == config.ModePassive {
		banner := "--- Monitor is in PASSIVE MODE ---\nCause: " + st.PassiveInfo
		for _, line := range strings.Split(banner, "\n") {
			b.WriteString("# " + line + "\n")
		}
	}
	hosts := slices.Clone(spec.Hosts)
	slices.SortFunc(hosts, func(a, b HostSpec) int { return strings.Compare(a.Name, b.Name) })
	for _, hs := range hosts {
		if h := st.Host(hs.Name); h != nil && h.AgentDown {
			fmt.Fprintf(&b, "# Warning: agent on host %s is not reachable\n", hs.Name)
		}
	}
	for _, hs := range hosts {
		state := StateUnknown
		if h := st.Host(hs.Name); h != nil {
			state = h.State
		}
		roles := st.HostRoles(hs.Name)
		names := make([]string, len(roles))
		for i, r := range roles {
			names[i] = r.String()
		}
		fmt.Fprintf(&b, "  %s(%s) %s/%s. Roles: %s\n", hs.Name, hs.IP, hostModeName(hs.Mode), state, strings.Join(names, ", "))
	}
	for _, rs := range spec.Roles {
		if rs.Prefer == "" || rs.Mode != config.RoleModeExclusive {
			continue
		}
		switch owner := st.Owner(rs.Name); owner {
		case rs.Prefer:
			fmt.Fprintf(&b, "# Role %s is assigned to it's preferred host %s.\n", rs.Name, rs.Prefer)
		case "":
			fmt.Fprintf(&b, "# Role %s has %s configured as it's preferred host.\n", rs.Name, rs.Prefer)
		default:
			fmt.Fprintf(&b, "# Role %s has %s configured as it's preferred host but is assigned to %s at the moment.\n", rs.Name, rs.Prefer, owner)
		}
	}
	return b.String()
}

// ChecksReport renders `mmm_control checks [<host>|all [<check>|all]]`;
// host and check "" mean all. Times are shown in loc (nil: UTC).
// Hosts appear in configuration order (MMM: hash order). ok is false for
// MMM's error replies (unknown host or check).
func ChecksReport(spec Spec, st State, host, check string, loc *time.Location) (text string, ok bool) {
	if loc == nil {
		loc = time.UTC
	}
	if host == "" {
		host = "all"
	}
	if check == "" {
		check = "all"
	}
	checks := AllChecks
	if check != "all" {
		c, err := ParseCheck(check)
		if err != nil {
			return fmt.Sprintf("ERROR: Unknown check '%s'!", check), false
		}
		checks = []Check{c}
	}
	line := func(name string, width int, c Check, pad bool) string {
		cs := CheckStatus{}
		if h := st.Host(name); h != nil {
			cs = *h.check(c)
		}
		when := time.Unix(0, 0)
		if !cs.LastChange.IsZero() {
			when = cs.LastChange
		}
		cname := c.String()
		if pad {
			cname = fmt.Sprintf("%-11s", cname)
		}
		return fmt.Sprintf("%-*s  %s  [last change: %s]  %s", width, name, cname,
			when.In(loc).Format("2006/01/02 15:04:05"), cs.Message)
	}
	pad := check == "all"
	var b strings.Builder
	if host != "all" {
		if st.Host(host) == nil && !slices.ContainsFunc(spec.Hosts, func(h HostSpec) bool { return h.Name == host }) {
			return fmt.Sprintf("ERROR: Unknown host name '%s'!", host), false
		}
		if !pad {
			return line(host, 0, checks[0], false), true
		}
		for _, c := range checks {
			b.WriteString(line(host, 0, c, true) + "\n")
		}
		return b.String(), true
	}
	width := 0
	for _, hs := range spec.Hosts {
		width = max(width, len(hs.Name))
	}
	for _, hs := range spec.Hosts {
		for _, c := range checks {
			b.WriteString(line(hs.Name, width, c, pad) + "\n")
		}
	}
	return b.String(), true
}
