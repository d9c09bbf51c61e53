package doctor

import (
	"regexp"
	"slices"
	"strings"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// need is one global privilege an account needs: any of AnyOf (a MySQL
// 8 dynamic privilege or SUPER) will do; the first is the one to grant.
type need struct {
	AnyOf []string
	For   string // what the product does with it
}

// Account kinds, as in the configuration's key names.
const (
	KindAgent       = "agent"
	KindMonitor     = "monitor"
	KindReplication = "replication"
)

// needs returns the global privileges an account kind needs on a server
// of flavour f (README: "MySQL accounts and privileges"; dbctl's doc).
func needs(kind string, f dbctl.Flavor) []need {
	if f == dbctl.MySQL {
		switch kind {
		case KindReplication:
			return []need{{[]string{"REPLICATION SLAVE"}, "replicas' IO threads"}}
		case KindMonitor:
			return []need{{[]string{"REPLICATION CLIENT", "SUPER"}, "SHOW REPLICA STATUS (the checks)"}}
		case KindAgent:
			return []need{
				{[]string{"SYSTEM_VARIABLES_ADMIN", "SUPER"}, "SET GLOBAL read_only and semisync (fence, promote)"},
				{[]string{"CONNECTION_ADMIN", "SUPER"}, "KILL (fence)"},
				{[]string{"PROCESS"}, "seeing every session (fence)"},
				{[]string{"REPLICATION_SLAVE_ADMIN", "SUPER"}, "STOP/START REPLICA, CHANGE REPLICATION SOURCE (repoint)"},
				{[]string{"REPLICATION CLIENT", "SUPER"}, "SHOW REPLICA STATUS, SHOW BINARY LOG STATUS"},
			}
		}
		return nil
	}
	switch kind {
	case KindReplication:
		return []need{{[]string{"REPLICATION SLAVE"}, "replicas' IO threads (CHANGE MASTER ... MASTER_USER)"}}
	case KindMonitor:
		return []need{{[]string{"SLAVE MONITOR"}, "SHOW SLAVE STATUS (rep_threads, rep_backlog checks)"}}
	case KindAgent:
		return []need{
			{[]string{"READ_ONLY ADMIN"}, "SET GLOBAL read_only (fence, promote)"},
			{[]string{"CONNECTION ADMIN"}, "KILL (fence)"},
			{[]string{"PROCESS"}, "SHOW PROCESSLIST (fence)"},
			{[]string{"REPLICATION SLAVE ADMIN"}, "STOP/START SLAVE, CHANGE MASTER, gtid_slave_pos, semisync replica side (repoint)"},
			{[]string{"REPLICATION MASTER ADMIN"}, "semisync master side and timeout, SHOW SLAVE HOSTS (promote)"},
			{[]string{"BINLOG MONITOR"}, "SHOW MASTER STATUS (catch-up)"},
			{[]string{"SLAVE MONITOR"}, "SHOW SLAVE STATUS (catch-up, repoint)"},
		}
	}
	return nil
}

// aliases maps other spellings to the one needs uses. MariaDB prints
// BINLOG MONITOR for REPLICATION CLIENT since 10.5.2.
var aliases = map[dbctl.Flavor]map[string]string{
	dbctl.MariaDB: {
		"REPLICATION CLIENT":        "BINLOG MONITOR",
		"REPLICA MONITOR":           "SLAVE MONITOR",
		"REPLICATION REPLICA":       "REPLICATION SLAVE",
		"REPLICATION REPLICA ADMIN": "REPLICATION SLAVE ADMIN",
		"ALL":                       "ALL PRIVILEGES",
	},
	dbctl.MySQL: {
		"REPLICATION REPLICA": "REPLICATION SLAVE",
		"ALL":                 "ALL PRIVILEGES",
	},
}

// grantLine matches a privilege grant: GRANT privs ON object TO ...
var grantLine = regexp.MustCompile(`(?is)^\s*GRANT\s+(.+?)\s+ON\s+(\S+)\s+TO\s`)

// globalPrivileges returns the global (ON *.*) privileges of SHOW GRANTS'
// lines, upper-case, aliases resolved.
func globalPrivileges(grants []string, f dbctl.Flavor) map[string]bool {
	out := map[string]bool{}
	for _, g := range grants {
		m := grantLine.FindStringSubmatch(g)
		if m == nil || strings.Trim(m[2], "`") != "*.*" {
			continue
		}
		for _, p := range strings.Split(m[1], ",") {
			p = strings.Join(strings.Fields(strings.ToUpper(p)), " ")
			if a, ok := aliases[f][p]; ok {
				p = a
			}
			out[p] = true
		}
	}
	return out
}

// missingPrivileges returns the needs that the grants do not cover.
func missingPrivileges(kind string, f dbctl.Flavor, grants []string) []need {
	have := globalPrivileges(grants, f)
	if have["ALL PRIVILEGES"] {
		return nil
	}
	var out []need
	for _, n := range needs(kind, f) {
		if !slices.ContainsFunc(n.AnyOf, func(p string) bool { return have[p] }) {
			out = append(out, n)
		}
	}
	return out
}

// accountQuoted renders CURRENT_USER()'s user@host as 'user'@'host'.
func accountQuoted(current, user string) string {
	name, host, ok := strings.Cut(current, "@")
	if !ok || current == "" {
		return "'" + user + "'@'HOST'"
	}
	unq := func(s string) string { return strings.Trim(s, "`'\"") }
	return "'" + unq(name) + "'@'" + unq(host) + "'"
}
