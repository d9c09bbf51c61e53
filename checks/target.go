package checks

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// Target is one host as the checks reach it.
type Target struct {
	Host     string // the host's name in the configuration
	IP       netip.Addr
	Port     int    // mysql_port
	Socket   string // mysql_socket; "" = TCP to IP:Port
	User     string
	Password string
}

// TargetOf returns the target of host h. local says whether the caller
// runs on h: only then is h's mysql_socket used (the coordinator reaches
// other hosts over TCP). The account is monitor_user, or agent_user when
// the host has none: an MMM mmm_agent.conf on a master carries only the
// agent's account, and mmm-check reads that file.
func TargetOf(h *config.Host, local bool) (Target, error) {
	t := Target{Host: h.Name, IP: h.IP, Port: h.MySQLPort, User: h.MonitorUser, Password: h.MonitorPassword}
	if local {
		t.Socket = h.MySQLSocket
	}
	if t.User == "" {
		t.User, t.Password = h.AgentUser, h.AgentPassword
	}
	if t.User == "" {
		return Target{}, fmt.Errorf("checks: host %s: %w: set monitor_user (or agent_user)", h.Name, ErrNoCredentials)
	}
	return t, nil
}

// MySQLConfig is the driver configuration for t: its socket, or TCP to
// ip:port. Timeouts are left to Server, which sets them per call.
func (t Target) MySQLConfig() *mysql.Config {
	c := mysql.NewConfig()
	if t.Socket != "" {
		c.Net, c.Addr = "unix", t.Socket
	} else {
		c.Net, c.Addr = "tcp", netip.AddrPortFrom(t.IP.Unmap(), uint16(t.Port)).String()
	}
	c.User, c.Passwd = t.User, t.Password
	return c
}

// Names lists the checks New builds: MMM's four in MMM's order, then
// semisync. read_only needs the expected state: build ReadOnly directly.
var Names = []string{"ping", "mysql", "rep_threads", "rep_backlog", "semisync"}

// New builds the named check of target t with the settings of cfg: each
// check's <check NAME> section (timeout, max_backlog, ping_method,
// max_connecting) and, for semisync, <coordinator> semisync_min_clients
// with the mysql check's timeout. The MySQL checks share nothing: each
// connects afresh on every run. rep_threads gets its own memory of a
// Connecting IO thread, so build it once per host and keep it.
func New(name string, cfg *config.Config, t Target) (Check, error) {
	return NewSharing(name, cfg, t, nil)
}

// NewSharing is New whose rep_threads, rep_backlog and semisync checks
// read through shared (a NewPersistentServer of t, one per host) instead
// of connecting afresh on every run; the mysql check still connects every
// time — that new clients can log in is what it proves. nil shared is
// New. A monitor that probes every host every second uses it.
func NewSharing(name string, cfg *config.Config, t Target, shared *Server) (Check, error) {
	settings := func(n string) *config.Check {
		if c := cfg.Checks[n]; c != nil {
			return c
		}
		return &config.Check{Name: n} // zero timeout: DefaultTimeout
	}
	srv := func() *Server {
		if shared != nil {
			return shared
		}
		return NewServer(t.MySQLConfig())
	}
	fresh := func() *Server { return NewServer(t.MySQLConfig()) }
	s := settings(name)
	switch name {
	case "ping":
		var p Pinger = ICMP{}
		if s.PingMethod == config.PingTCP {
			p = TCPConnect{Port: t.Port}
		}
		return Ping{Pinger: p, IP: t.IP, Timeout: s.Timeout}, nil
	case "mysql":
		return MySQL{Server: fresh(), Timeout: s.Timeout}, nil
	case "rep_threads":
		return RepThreads{Server: srv(), Timeout: s.Timeout, User: t.User,
			MaxConnecting: s.MaxConnecting, Connecting: new(ConnectingSince)}, nil
	case "rep_backlog":
		return RepBacklog{Server: srv(), Timeout: s.Timeout, User: t.User, MaxBacklog: s.MaxBacklog}, nil
	case "semisync":
		return Semisync{Server: srv(), Timeout: settings("mysql").Timeout,
			MinClients: cfg.Coordinator.SemisyncMinClients}, nil
	}
	return nil, fmt.Errorf("checks: %w %s (expected %s)", ErrUnknownCheck, strconv.Quote(name), strings.Join(Names, ", "))
}
