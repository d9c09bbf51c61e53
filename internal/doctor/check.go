package doctor

import (
	"bytes"
	"fmt"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// MinKeepalived is the oldest keepalived supported: the behaviours the
// rendered configuration relies on (track_file with init_file, the
// notify fifo; keepalived/doc.go) were verified with it.
var MinKeepalived = [3]int{2, 2, 7}

// MaxClockSkew is the clock difference (beyond what the round trip
// leaves uncertain) above which doctor warns: the history, the checks'
// "last change" and the logs of different hosts stop lining up.
const MaxClockSkew = time.Second

// checker accumulates problems.
type checker struct {
	cfg      *config.Config
	facts    map[string]*Facts
	writer   string
	problems []Problem
}

func (c *checker) add(sev Severity, host, check, fix, format string, a ...any) {
	c.problems = append(c.problems, Problem{Severity: sev, Host: host, Check: check, Message: fmt.Sprintf(format, a...), Fix: fix})
}

// Check finds the problems in what was collected. facts is keyed by
// host name (a DB host without an entry counts as not reached); local
// is nil when keepalived was not looked at; writer names the active
// master, "" = find it. Pure.
func Check(cfg *config.Config, facts map[string]*Facts, local *Local, writer string) *Report {
	c := &checker{cfg: cfg, facts: facts}
	hosts := DBHosts(cfg)
	for _, h := range hosts {
		if facts[h.Name] == nil {
			facts[h.Name] = &Facts{Host: h.Name, Addr: addrOf(h), Err: fmt.Errorf("not collected")}
		}
	}
	for _, h := range hosts {
		c.connect(h)
	}
	c.writer = c.findWriter(writer)
	for _, h := range hosts {
		f := facts[h.Name]
		if f.Err != nil {
			continue
		}
		c.grants(h, f)
		c.binlog(h, f)
		c.readOnly(h, f)
		c.semisync(h, f)
		c.replication(h, f)
		c.clock(h, f)
	}
	c.cluster(hosts)
	if local != nil {
		c.keepalived(local)
		c.restart(local)
	}
	r := &Report{Writer: c.writer, Problems: c.problems}
	if local != nil {
		r.Local = local.Host
	}
	for _, h := range hosts {
		f := facts[h.Name]
		s := HostSummary{Host: h.Name, Addr: f.Addr, Mode: modeName(h.Mode), Writer: h.Name == c.writer, Reached: f.Err == nil}
		if s.Addr == "" {
			s.Addr = addrOf(h)
		}
		if f.Err == nil {
			s.Server = fmt.Sprintf("%s %s", f.Flavor, f.Version)
			if v, ok := f.Vars["read_only"]; ok {
				s.ReadOnly = onOff(isOn(v))
			}
			s.ServerID = f.Vars["server_id"]
		}
		r.Hosts = append(r.Hosts, s)
	}
	order := map[Severity]int{Error: 0, Warning: 1, Note: 2}
	hostIdx := map[string]int{"": -1}
	for i, h := range hosts {
		hostIdx[h.Name] = i
	}
	slices.SortStableFunc(r.Problems, func(a, b Problem) int {
		if d := order[a.Severity] - order[b.Severity]; d != 0 {
			return d
		}
		return hostIdx[a.Host] - hostIdx[b.Host]
	})
	for _, p := range r.Problems {
		switch p.Severity {
		case Error:
			r.Errors++
		case Warning:
			r.Warnings++
		default:
			r.Notes++
		}
	}
	return r
}

func modeName(m config.HostMode) string {
	switch m {
	case config.HostModeMaster:
		return "master"
	case config.HostModeSlave:
		return "slave"
	}
	return "witness"
}

func addrOf(h *config.Host) string {
	return net.JoinHostPort(h.IP.String(), strconv.Itoa(h.MySQLPort))
}

func isOn(v string) bool {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "1", "ON", "YES", "TRUE":
		return true
	}
	return false
}

func onOff(b bool) string {
	if b {
		return "ON"
	}
	return "OFF"
}

func (c *checker) isMaster(h string) bool { return slices.Contains(writerHosts(c.cfg), h) }

// connect reports a server doctor could not reach.
func (c *checker) connect(h *config.Host) {
	f := c.facts[h.Name]
	if f.Err == nil {
		return
	}
	c.add(Error, h.Name, "connect",
		fmt.Sprintf("make sure mysqld runs on %s and accepts TCP from this host; the agent_user and monitor_user of %s must be able to log in", addrOf(h), h.Name),
		"cannot connect to %s as %s or %s: %v; nothing else was checked on it", addrOf(h), h.AgentUser, h.MonitorUser, f.Err)
}

// findWriter returns the active master: explicit, else the writable
// master of the writer role, else the master the replicas follow.
func (c *checker) findWriter(explicit string) string {
	masters := writerHosts(c.cfg)
	readOnly := func(h string) (ro, known bool) {
		f := c.facts[h]
		if f == nil || f.Err != nil {
			return false, false
		}
		v, ok := f.Vars["read_only"]
		return isOn(v), ok
	}
	if explicit != "" {
		if ro, known := readOnly(explicit); known && ro {
			c.add(Error, explicit, "read_only", "",
				"%s, named the writer, is read-only: no writer takes writes (the coordinator opens the writer it assigns; mmmctl status shows its state)", explicit)
		}
		return explicit
	}
	var writable []string
	for _, h := range masters {
		if ro, known := readOnly(h); known && !ro {
			writable = append(writable, h)
		}
	}
	if len(writable) == 1 {
		return writable[0]
	}
	// The master most replicas follow.
	followed := map[string]int{}
	for _, h := range DBHosts(c.cfg) {
		f := c.facts[h.Name]
		if h.Mode != config.HostModeSlave || f.Err != nil || f.Replica == nil {
			continue
		}
		if src := c.sourceHost(f.Replica); src != "" && slices.Contains(masters, src) {
			followed[src]++
		}
	}
	best := ""
	for _, h := range masters {
		if followed[h] > followed[best] {
			best = h
		}
	}
	switch {
	case len(writable) > 1 && best != "" && slices.Contains(writable, best):
		return best // the other is reported writable by readOnly
	case len(writable) > 1:
		c.add(Error, "", "read_only", "on the one that is not the writer:\nSET GLOBAL read_only=ON;",
			"%s are all writable: only the active master may be, and doctor cannot tell which one it is (--writer HOST says it)", strings.Join(writable, ", "))
		return ""
	}
	c.add(Warning, "", "read_only", "",
		"no master of role %s is writable: the coordinator opens the writer it assigns (before go-live this is expected; otherwise see mmmctl status)", c.cfg.ActiveMasterRole)
	return best
}

// sourceHost maps a replica's source to a configured host ("" = none).
func (c *checker) sourceHost(r *dbctl.ReplicaStatus) string {
	for _, h := range DBHosts(c.cfg) {
		if (r.SourceHost == h.IP.String() || strings.EqualFold(r.SourceHost, h.Name)) &&
			(r.SourcePort == 0 || r.SourcePort == h.MySQLPort) {
			return h.Name
		}
	}
	return ""
}

// onWriter prefixes a statement that must reach every server: run on
// the writer, it replicates.
func (c *checker) onWriter(stmt string) string {
	if c.writer == "" {
		return stmt
	}
	return fmt.Sprintf("on the writer %s (it replicates to every server):\n%s", c.writer, stmt)
}

// grants compares each account's SHOW GRANTS with what it needs.
func (c *checker) grants(h *config.Host, f *Facts) {
	for _, a := range f.Accounts {
		if a.Err != nil {
			pw := a.Kind + "_password"
			c.add(Error, h.Name, "grants",
				c.onWriter(fmt.Sprintf("CREATE USER '%s'@'HOSTS' IDENTIFIED BY '<%s>';\nGRANT %s ON *.* TO '%s'@'HOSTS';\n(HOSTS: the database hosts' network, e.g. 10.0.0.%%; or correct %s in the configuration)",
					a.User, pw, grantList(needs(a.Kind, f.Flavor)), a.User, pw)),
				"cannot log in as %s_user %s over TCP: %v", a.Kind, a.User, a.Err)
			continue
		}
		missing := missingPrivileges(a.Kind, f.Flavor, a.Grants)
		if len(missing) == 0 {
			continue
		}
		var what []string
		for _, m := range missing {
			what = append(what, fmt.Sprintf("%s (%s)", m.AnyOf[0], m.For))
		}
		note := ""
		if f.Flavor == dbctl.MariaDB && globalPrivileges(a.Grants, f.Flavor)["SUPER"] {
			note = " (SUPER does not include them on MariaDB 10.11)"
		}
		fix := fmt.Sprintf("GRANT %s ON *.* TO %s;", grantList(missing), accountQuoted(a.Current, a.User))
		if h.MySQLSocket != "" {
			fix += fmt.Sprintf("\nGRANT %s ON *.* TO '%s'@'localhost';  -- the local tools use the socket", grantList(missing), a.User)
		}
		c.add(Error, h.Name, "grants", c.onWriter(fix),
			"%s_user %s lacks %s%s", a.Kind, accountQuoted(a.Current, a.User), strings.Join(what, ", "), note)
	}
}

func grantList(ns []need) string {
	var out []string
	for _, n := range ns {
		out = append(out, n.AnyOf[0])
	}
	return strings.Join(out, ", ")
}

// cnf renders my.cnf lines.
func cnf(lines ...string) string {
	return "in " + "my.cnf, under [mysqld], then restart mysqld:\n" + strings.Join(lines, "\n")
}

// binlog checks what a failover target and a replication source need
// (dbctl.BinlogSettings.FailoverTarget, the lab's my.cnf).
func (c *checker) binlog(h *config.Host, f *Facts) {
	sev := Error
	why := "a failover to it would leave the replicas repointed to it without those transactions"
	if !c.isMaster(h.Name) {
		sev = Warning
		why = "a failover cannot catch up from it"
	}
	if v, ok := f.Vars["log_bin"]; ok && !isOn(v) {
		c.add(sev, h.Name, "binlog", cnf("log_bin = "+h.Name+"-bin"), "binary logging is off (log_bin): it cannot be a replication source; %s", why)
	}
	lsu := "log_slave_updates"
	if _, ok := f.Vars["log_replica_updates"]; ok && f.Flavor == dbctl.MySQL {
		lsu = "log_replica_updates"
	}
	if v, ok := f.Vars[lsu]; ok && !isOn(v) {
		c.add(sev, h.Name, "binlog", cnf(lsu+" = ON"), "%s is off: what it replicates is not in its binary log; %s", lsu, why)
	}
	switch v := strings.ToUpper(f.Vars["binlog_format"]); v {
	case "", "ROW":
	case "STATEMENT":
		c.add(Error, h.Name, "binlog", "SET GLOBAL binlog_format=ROW;\n"+cnf("binlog_format = ROW"),
			"binlog_format is STATEMENT: unsafe statements replay differently on the replicas, so a failover target may hold other data than the writer had")
	default:
		c.add(Warning, h.Name, "binlog", "SET GLOBAL binlog_format=ROW;\n"+cnf("binlog_format = ROW"),
			"binlog_format is %s: ROW is what the failover's catch-up and errant-transaction checks are tested with", v)
	}
	if id, ok := f.Vars["server_id"]; ok && (id == "0" || id == "") {
		c.add(Error, h.Name, "server_id", "SET GLOBAL server_id=N;\n"+cnf("server_id = N")+"\n(N: a number no other server of the cluster has)",
			"server_id is 0: replication refuses to start")
	}
	if f.Flavor == dbctl.MariaDB {
		if v, ok := f.Vars["gtid_strict_mode"]; ok && !isOn(v) {
			c.add(Error, h.Name, "gtid", "SET GLOBAL gtid_strict_mode=ON;\n"+cnf("gtid_strict_mode = ON"),
				"gtid_strict_mode is off: the errant-transaction check before a rejoin relies on sequence numbers that only grow, and a second writer's transactions would be merged silently instead of stopping replication (error 1950)")
		}
	} else {
		if v, ok := f.Vars["gtid_mode"]; ok && !strings.EqualFold(v, "ON") {
			c.add(Error, h.Name, "gtid", cnf("gtid_mode = ON", "enforce_gtid_consistency = ON"),
				"gtid_mode is %s: the failover catches up and repoints by GTID", v)
		}
		if v, ok := f.Vars["enforce_gtid_consistency"]; ok && !strings.EqualFold(v, "ON") {
			c.add(Error, h.Name, "gtid", cnf("enforce_gtid_consistency = ON"),
				"enforce_gtid_consistency is %s", v)
		}
	}
}

// readOnly: only the writer may be writable; every server should start
// read-only (my.cnf), so that a restarted master never takes writes
// before the coordinator decided.
func (c *checker) readOnly(h *config.Host, f *Facts) {
	v, ok := f.Vars["read_only"]
	if !ok {
		return
	}
	ro := isOn(v)
	if !ro && h.Name != c.writer && c.writer != "" {
		c.add(Error, h.Name, "read_only", "SET GLOBAL read_only=ON;\n"+cnf("read_only = 1"),
			"%s is writable (read_only=OFF) but is not the writer (%s is): clients reaching it can write on two masters", h.Name, c.writer)
	}
	switch origin, known := f.Origins["read_only"]; {
	case known && origin == OriginDefault, known && origin == OriginStartup && !ro:
		c.add(Warning, h.Name, "read_only", cnf("read_only = 1"),
			"%s starts writable: its configuration does not set read_only=1, so after a restart it takes writes before the coordinator decided who the writer is", h.Name)
	case known && origin == OriginStartup:
		// Started read-only: what the configuration says.
	default:
		how := "was set at runtime since the server started"
		if !known {
			how = "has an origin this server does not report"
		}
		c.add(Note, h.Name, "read_only", cnf("read_only = 1"),
			"read_only (now %s) %s: a server cannot tell what its my.cnf says; make sure %s's my.cnf sets read_only = 1, or a restart opens it for writes", onOff(ro), how, h.Name)
	}
}

// semisyncNames returns the flavour's master timeout and enabled
// variable names as the server has them.
func semisyncNames(f *Facts) (timeout, masterOn, replicaOn string) {
	if _, ok := f.Vars["rpl_semi_sync_source_timeout"]; ok {
		return "rpl_semi_sync_source_timeout", "rpl_semi_sync_source_enabled", "rpl_semi_sync_replica_enabled"
	}
	return "rpl_semi_sync_master_timeout", "rpl_semi_sync_master_enabled", "rpl_semi_sync_slave_enabled"
}

// semisync: the writer waits for a replica's acknowledgement, long enough
// (config.Coordinator.SemisyncTimeout); the others acknowledge.
func (c *checker) semisync(h *config.Host, f *Facts) {
	if f.SemisyncErr != nil {
		c.add(Warning, h.Name, "semisync", "", "cannot read semisync status: %v", f.SemisyncErr)
		return
	}
	s := f.Semisync
	if s == nil {
		fix := "INSTALL PLUGIN rpl_semi_sync_source SONAME 'semisync_source.so';\nINSTALL PLUGIN rpl_semi_sync_replica SONAME 'semisync_replica.so';\n" +
			cnf("plugin_load_add = semisync_source.so", "plugin_load_add = semisync_replica.so")
		c.add(Error, h.Name, "semisync", fix,
			"no semisync on this server: replication is asynchronous and a failover can lose what the writer acknowledged last")
		return
	}
	tName, mName, rName := semisyncNames(f)
	need := c.cfg.Coordinator.SemisyncTimeout()
	ms := need.Milliseconds()
	if h.Name == c.writer {
		if !s.MasterEnabled {
			c.add(Error, h.Name, "semisync", fmt.Sprintf("SET GLOBAL %s=%d;\nSET GLOBAL %s=ON;", tName, ms, mName),
				"the writer does not wait for a replica's acknowledgement (%s=OFF): a failover can lose acknowledged writes", mName)
		} else if min := c.cfg.Coordinator.SemisyncMinClients; int(s.Clients) < min {
			c.add(Warning, h.Name, "semisync", "",
				"the writer has %d semisync replica(s), semisync_min_clients is %d: commits wait %v for an acknowledgement that may not come, then go on unprotected", s.Clients, min, need)
		}
		if s.MasterTimeout < need {
			c.add(Error, h.Name, "semisync", fmt.Sprintf("SET GLOBAL %s=%d;", tName, ms),
				"the writer's %s is %v, shorter than lease + fence_timeout + 1s = %v (the coordinator sets it at promotion; it was changed since): a writer cut off from its replicas would acknowledge writes alone before it is fenced", tName, s.MasterTimeout, need)
		}
	}
	if c.isMaster(h.Name) {
		switch origin, known := f.Origins[tName]; {
		case known && origin != OriginRuntime && s.MasterTimeout < need:
			c.add(Warning, h.Name, "semisync", cnf(fmt.Sprintf("%s = %d", tName, ms)),
				"%s starts with %s=%v (%s), shorter than the %v the coordinator needs: until the coordinator opens it again, a restarted writer gives up waiting for replicas too early", h.Name, tName, s.MasterTimeout, map[Origin]string{OriginDefault: "the default", OriginStartup: "its my.cnf"}[origin], need)
		case !known || origin == OriginRuntime:
			if h.Name == c.writer || s.MasterTimeout < need {
				c.add(Note, h.Name, "semisync", cnf(fmt.Sprintf("%s = %d", tName, ms)),
					"%s (now %v) was set at runtime: a server cannot tell what its my.cnf says; make sure it says %s = %d or more, what the writer starts with after a restart", tName, s.MasterTimeout, tName, ms)
			}
		}
	}
	if h.Name != c.writer && c.writer != "" && !s.ReplicaEnabled {
		sev := Warning
		c.add(sev, h.Name, "semisync",
			fmt.Sprintf("SET GLOBAL %s=ON;\nSTOP SLAVE IO_THREAD; START SLAVE IO_THREAD;\n%s", rName, cnf(rName+" = ON")),
			"%s does not acknowledge the writer's transactions (%s=OFF): it adds no semisync protection", h.Name, rName)
	}
	if h.Mode == config.HostModeSlave && s.MasterEnabled {
		c.add(Warning, h.Name, "semisync", fmt.Sprintf("SET GLOBAL %s=OFF;\n%s", mName, cnf(mName+" = OFF")),
			"%s=ON on a replica that never becomes the writer: on a replica with log_slave_updates it stalls the applier after every start", mName)
	}
}

// replication: the passive master and the replicas replicate from the
// active master with both threads running.
func (c *checker) replication(h *config.Host, f *Facts) {
	if f.ReplicaErr != nil {
		c.add(Error, h.Name, "replication", "", "cannot read the replication status: %v", f.ReplicaErr)
		return
	}
	r := f.Replica
	if h.Name == c.writer {
		if r != nil && c.sourceHost(r) != "" && c.sourceHost(r) != h.Peer && h.Peer != "" {
			c.add(Warning, h.Name, "replication", "", "the writer replicates from %s, not from its peer %s", c.sourceHost(r), h.Peer)
		}
		return
	}
	if c.writer == "" {
		if r != nil && !r.Running() {
			c.add(Error, h.Name, "replication", "START SLAVE;", "replication threads are not running (IO %s, SQL %s)%s", r.IO, r.SQL, lastErrors(r))
		}
		return
	}
	w := c.cfg.Host(c.writer)
	change := ""
	if w != nil {
		using := "MASTER_USE_GTID=slave_pos"
		if f.Flavor == dbctl.MySQL {
			using = "MASTER_AUTO_POSITION=1"
		}
		change = fmt.Sprintf("STOP SLAVE;\nCHANGE MASTER TO MASTER_HOST='%s', MASTER_PORT=%d, MASTER_USER='%s', MASTER_PASSWORD='<replication_password>', %s;\nSTART SLAVE;",
			w.IP, w.MySQLPort, h.ReplicationUser, using)
	}
	if r == nil {
		c.add(Error, h.Name, "replication", change, "%s replicates from nobody: it should replicate from the active master %s", h.Name, c.writer)
		return
	}
	src := c.sourceHost(r)
	if src != c.writer {
		from := src
		if from == "" {
			from = fmt.Sprintf("%s:%d (not a configured host)", r.SourceHost, r.SourcePort)
		}
		c.add(Error, h.Name, "replication", change, "%s replicates from %s, not from the active master %s", h.Name, from, c.writer)
	}
	if !r.Running() {
		c.add(Error, h.Name, "replication", "START SLAVE;  -- after fixing the error shown, if any",
			"replication threads are not running (IO %s, SQL %s)%s: it falls behind the writer and cannot take over safely", r.IO, r.SQL, lastErrors(r))
	}
	if !r.AutoPosition {
		using := "MASTER_USE_GTID=slave_pos"
		if f.Flavor == dbctl.MySQL {
			using = "MASTER_AUTO_POSITION=1"
		}
		c.add(Warning, h.Name, "replication", fmt.Sprintf("STOP SLAVE;\nCHANGE MASTER TO %s;\nSTART SLAVE;", using),
			"replication does not use GTID positions (Using_Gtid %s): repointing after a failover needs them", r.UsingGTID)
	}
	if h.ReplicationUser != "" && r.SourceUser != "" && r.SourceUser != h.ReplicationUser {
		c.add(Warning, h.Name, "replication", "", "replicates as %s, not as the configured replication_user %s (the coordinator repoints with the latter)", r.SourceUser, h.ReplicationUser)
	}
	if ch := c.cfg.Checks["rep_backlog"]; ch != nil && r.SecondsBehind.Valid && time.Duration(r.SecondsBehind.Int64)*time.Second > ch.MaxBacklog {
		c.add(Warning, h.Name, "replication", "", "%d s behind the writer, more than rep_backlog's max_backlog %v", r.SecondsBehind.Int64, ch.MaxBacklog)
	}
}

func lastErrors(r *dbctl.ReplicaStatus) string {
	var parts []string
	if r.LastIOErrno != 0 {
		parts = append(parts, fmt.Sprintf("IO error %d: %s", r.LastIOErrno, r.LastIOError))
	}
	if r.LastSQLErrno != 0 {
		parts = append(parts, fmt.Sprintf("SQL error %d: %s", r.LastSQLErrno, r.LastSQLError))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, "; ")
}

// clock compares the server's clock with the local one, allowing for
// the round trip.
func (c *checker) clock(h *config.Host, f *Facts) {
	if f.ClockErr != nil {
		c.add(Warning, h.Name, "clock", "", "cannot read the server's clock: %v", f.ClockErr)
		return
	}
	if f.ServerTime.IsZero() || f.Sent.IsZero() {
		return
	}
	rtt := f.Received.Sub(f.Sent)
	mid := f.Sent.Add(rtt / 2)
	skew := f.ServerTime.Sub(mid)
	if time.Duration(math.Abs(float64(skew)))-rtt/2 > MaxClockSkew {
		c.add(Warning, h.Name, "clock", "synchronise the clocks of every host with NTP (chrony, systemd-timesyncd)",
			"%s's clock is %v off this host's (± %v): history, checks and logs of different hosts do not line up", h.Name, skew.Round(time.Millisecond), (rtt / 2).Round(time.Millisecond))
	}
}

// cluster checks what involves several servers: server_id unique, one
// GTID domain.
func (c *checker) cluster(hosts []*config.Host) {
	ids := map[string][]string{}
	domains := map[string][]string{}
	for _, h := range hosts {
		f := c.facts[h.Name]
		if f.Err != nil {
			continue
		}
		if id, ok := f.Vars["server_id"]; ok && id != "0" {
			ids[id] = append(ids[id], h.Name)
		}
		if d, ok := f.Vars["gtid_domain_id"]; ok && f.Flavor == dbctl.MariaDB {
			domains[d] = append(domains[d], h.Name)
		}
	}
	for _, id := range sortedKeys(ids) {
		if hs := ids[id]; len(hs) > 1 {
			c.add(Error, hs[len(hs)-1], "server_id", "SET GLOBAL server_id=N;\n"+cnf("server_id = N")+"\n(N: a number no other server of the cluster has)",
				"server_id %s is used by %s: a replica skips the events of a server with its own id, and a source drops one of two replicas with the same id", id, strings.Join(hs, " and "))
		}
	}
	if len(domains) > 1 {
		var parts []string
		for _, d := range sortedKeys(domains) {
			parts = append(parts, fmt.Sprintf("%s on %s", d, strings.Join(domains[d], ", ")))
		}
		c.add(Error, "", "gtid", "SET GLOBAL gtid_domain_id=0;\n"+cnf("gtid_domain_id = 0")+"\n(on each server that differs; any one value, the same everywhere)",
			"gtid_domain_id differs (%s): with one domain two writers stop replication (error 1950) instead of merging silently, and the errant-transaction check compares one position", strings.Join(parts, "; "))
	}
}

func sortedKeys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// keepalived checks the local keepalived's version and configuration.
func (c *checker) keepalived(l *Local) {
	switch {
	case l.VersionErr != nil:
		c.add(Error, l.Host, "keepalived", "install keepalived (apt-get install keepalived / dnf install keepalived)",
			"cannot run keepalived --version: %v", l.VersionErr)
	case !versionAtLeast(l.KeepalivedVersion, MinKeepalived):
		c.add(Warning, l.Host, "keepalived", fmt.Sprintf("upgrade keepalived to %d.%d.%d or later", MinKeepalived[0], MinKeepalived[1], MinKeepalived[2]),
			"keepalived %s is older than %d.%d.%d, the oldest version the rendered configuration was verified with", l.KeepalivedVersion, MinKeepalived[0], MinKeepalived[1], MinKeepalived[2])
	}
	render := fmt.Sprintf("mmmctl keepalived render --host %s --config %s > %s\nsystemctl reload keepalived", l.Host, configFile(c.cfg), l.ConfPath)
	switch {
	case l.RenderErr != nil:
		c.add(Error, l.Host, "keepalived", "", "cannot render keepalived.conf for %s: %v", l.Host, l.RenderErr)
	case l.ReadErr != nil:
		c.add(Error, l.Host, "keepalived", render, "cannot read the installed keepalived.conf: %v", l.ReadErr)
	case !bytes.Equal(l.Installed, l.Rendered):
		c.add(Error, l.Host, "keepalived", render,
			"%s differs from what mmmctl keepalived render produces for %s (%s): keepalived may not track mmm-check and the coordinator's track file as the failover needs", l.ConfPath, l.Host, firstDiff(l.Installed, l.Rendered))
	}
}

// restart checks the options the local mysqld will start with next
// time (mycnf.Check).
func (c *checker) restart(l *Local) {
	switch {
	case !l.RestartChecked:
	case l.RestartErr != nil:
		c.add(Note, l.Host, "restart", "check that my.cnf's [mysqld] sets skip_slave_start and not init_rpl_role = SLAVE",
			"cannot read the local mysqld's options: %v", l.RestartErr)
	default:
		for _, p := range l.RestartProblems {
			fix := cnf("skip_slave_start")
			if strings.HasPrefix(p, "init_rpl_role") {
				fix = "remove init_rpl_role from my.cnf's [mysqld] (or set it to MASTER), then restart mysqld"
			}
			c.add(Warning, l.Host, "restart", fix, "%s", p)
		}
	}
}

func configFile(cfg *config.Config) string {
	if len(cfg.Files) > 0 {
		return cfg.Files[0]
	}
	return "FILE"
}

// firstDiff describes the first line where installed and rendered differ.
func firstDiff(installed, rendered []byte) string {
	a := strings.Split(string(installed), "\n")
	b := strings.Split(string(rendered), "\n")
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y || i >= len(a) || i >= len(b) {
			return fmt.Sprintf("line %d: installed %q, rendered %q", i+1, strings.TrimSpace(x), strings.TrimSpace(y))
		}
	}
	return "same lines"
}

// versionAtLeast compares "2.2.7" (or "v2.2.7") with min.
func versionAtLeast(v string, min [3]int) bool {
	parts := strings.SplitN(strings.TrimPrefix(strings.TrimSpace(v), "v"), ".", 3)
	for i := range 3 {
		n := 0
		if i < len(parts) {
			end := strings.IndexFunc(parts[i], func(r rune) bool { return r < '0' || r > '9' })
			if end < 0 {
				end = len(parts[i])
			}
			n, _ = strconv.Atoi(parts[i][:end])
		}
		if n != min[i] {
			return n > min[i]
		}
	}
	return true
}
