package checks

import (
	"errors"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

const testConfig = `
active_master_role writer
<host default>
    agent_user      mmm_agent
    agent_password  agent-pw
</host>
<host db1>
    ip            198.18.0.11
    mode          master
    peer          db2
    monitor_user  mmm_monitor
    monitor_password monitor-pw
    mysql_socket  /run/mysqld/mysqld.sock
</host>
<host db2>
    ip          198.18.0.12
    mode        master
    peer        db1
    mysql_port  3307
</host>
<role writer>
    hosts  db1, db2
    ips    198.18.0.100
    mode   exclusive
</role>
<check default>
    timeout 1
</check>
<check ping>
    ping_method tcp
</check>
<check rep_backlog>
    max_backlog 10
</check>
<check rep_threads>
    max_connecting 5s
</check>
<coordinator>
    semisync_min_clients 2
</coordinator>
`

func loadTestConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Parse("mmm_common.conf", []byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestTargetOf(t *testing.T) {
	cfg := loadTestConfig(t)
	db1, err := TargetOf(cfg.Host("db1"), true)
	if err != nil || db1.User != "mmm_monitor" || db1.Password != "monitor-pw" || db1.Socket != "/run/mysqld/mysqld.sock" {
		t.Errorf("db1 local: %+v, %v", db1, err)
	}
	if c := db1.MySQLConfig(); c.Net != "unix" || c.Addr != "/run/mysqld/mysqld.sock" || c.User != "mmm_monitor" {
		t.Errorf("db1 local driver config: %s %s %s", c.Net, c.Addr, c.User)
	}
	remote, _ := TargetOf(cfg.Host("db1"), false)
	if c := remote.MySQLConfig(); c.Net != "tcp" || c.Addr != "198.18.0.11:3306" {
		t.Errorf("db1 remote driver config: %s %s", c.Net, c.Addr)
	}
	// db2 has no monitor_user: the agent's account, as in mmm_agent.conf.
	db2, err := TargetOf(cfg.Host("db2"), true)
	if err != nil || db2.User != "mmm_agent" || db2.Password != "agent-pw" || db2.MySQLConfig().Addr != "198.18.0.12:3307" {
		t.Errorf("db2: %+v, %v", db2, err)
	}
	bare := &config.Host{Name: "db9"}
	if _, err := TargetOf(bare, true); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("host without accounts: %v, want ErrNoCredentials", err)
	}
}

func TestNew(t *testing.T) {
	cfg := loadTestConfig(t)
	tgt, _ := TargetOf(cfg.Host("db2"), true)
	for _, name := range Names {
		c, err := New(name, cfg, tgt)
		if err != nil || c.Name() != name {
			t.Fatalf("New(%s): %v, %v", name, c, err)
		}
		switch c := c.(type) {
		case Ping:
			if p, ok := c.Pinger.(TCPConnect); !ok || p.Port != 3307 || c.IP != tgt.IP || c.Timeout != time.Second {
				t.Errorf("ping: %+v", c)
			}
		case MySQL:
			if c.Timeout != time.Second {
				t.Errorf("mysql: %+v", c)
			}
		case RepThreads:
			if c.MaxConnecting != 5*time.Second || c.Connecting == nil || c.User != "mmm_agent" {
				t.Errorf("rep_threads: %+v", c)
			}
		case RepBacklog:
			if c.MaxBacklog != 10*time.Second || c.User != "mmm_agent" {
				t.Errorf("rep_backlog: %+v", c)
			}
		case Semisync:
			if c.MinClients != 2 || c.Timeout != time.Second {
				t.Errorf("semisync: %+v", c)
			}
		default:
			t.Errorf("New(%s) built a %T", name, c)
		}
	}
	if _, err := New("read_only", cfg, tgt); !errors.Is(err, ErrUnknownCheck) {
		t.Errorf("New(read_only): %v, want ErrUnknownCheck", err)
	}
	// The ICMP default, and a configuration without check sections.
	bare := &config.Config{}
	c, err := New("ping", bare, tgt)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(Ping).Pinger.(ICMP); !ok || c.(Ping).Timeout != 0 {
		t.Errorf("ping without settings: %+v", c)
	}
}
