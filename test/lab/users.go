package lab

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
)

// User is a MariaDB account of the lab, created on every db host for
// '198.18.0.%' and 'localhost'. The README's "MySQL accounts and privileges" explains each grant.
type User struct {
	Name     string
	Password string
	Grants   string // the GRANT's privilege list and object
}

// AppDatabase is the database the app account may use.
const AppDatabase = "app"

// The lab's accounts, with the least privileges MariaDB 10.11 needs for
// their job.
var (
	ReplUser    = User{"repl", "repl-lab", "REPLICATION SLAVE ON *.*"}
	MonitorUser = User{"mmm_monitor", "monitor-lab", "SLAVE MONITOR ON *.*"}
	AgentUser   = User{"mmm_agent", "agent-lab", "READ_ONLY ADMIN, CONNECTION ADMIN, PROCESS, " +
		"REPLICATION SLAVE ADMIN, REPLICATION MASTER ADMIN, BINLOG MONITOR, SLAVE MONITOR ON *.*"}
	// AppUser has no READ_ONLY ADMIN: read_only=1 stops its writes.
	AppUser = User{"app", "app-lab", "ALL PRIVILEGES ON " + AppDatabase + ".*"}
	Users   = []User{ReplUser, MonitorUser, AgentUser, AppUser}
)

// userHosts are the host parts of every account.
var userHosts = []string{"198.18.0.%", "localhost"}

func createUserStatements() []string {
	var out []string
	for _, u := range Users {
		for _, h := range userHosts {
			out = append(out,
				fmt.Sprintf("CREATE USER '%s'@'%s' IDENTIFIED BY '%s'", u.Name, h, u.Password),
				fmt.Sprintf("GRANT %s TO '%s'@'%s'", u.Grants, u.Name, h))
		}
	}
	return out
}

// dialerNames remembers which go-sql-driver network names this process
// registered: registration is global and permanent.
var (
	dialerMu    sync.Mutex
	dialerNames = map[string]bool{}
)

// ConfigFrom returns a driver configuration for user connecting over TCP
// from host's namespace to addr (a db host's or a VIP's address, port
// 3306), with short timeouts fit for fault tests.
func (l *Lab) ConfigFrom(from string, addr netip.Addr, u User, db string) (*mysql.Config, error) {
	if _, err := LookupHost(from); err != nil {
		return nil, err
	}
	if err := CheckAddrs(addr); err != nil {
		return nil, err
	}
	name := "lab-" + l.opts.Prefix + "-" + from
	dialerMu.Lock()
	if !dialerNames[name] {
		mysql.RegisterDialContext(name, func(ctx context.Context, a string) (net.Conn, error) {
			return l.Dial(ctx, from, a)
		})
		dialerNames[name] = true
	}
	dialerMu.Unlock()
	c := mysql.NewConfig()
	c.Net = name
	c.Addr = net.JoinHostPort(addr.String(), strconv.Itoa(MySQLPort))
	c.User, c.Passwd, c.DBName = u.Name, u.Password, db
	c.Timeout = 2 * time.Second
	c.ReadTimeout = 5 * time.Second
	c.WriteTimeout = 5 * time.Second
	return c, nil
}

// OpenFrom returns a pool for user over TCP from host's namespace to addr.
func (l *Lab) OpenFrom(from string, addr netip.Addr, u User, db string) (*sql.DB, error) {
	c, err := l.ConfigFrom(from, addr, u, db)
	if err != nil {
		return nil, err
	}
	conn, err := mysql.NewConnector(c)
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	return sql.OpenDB(conn), nil
}
