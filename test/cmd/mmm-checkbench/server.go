package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/checks"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/test/mariadbd"
)

// benchTarget is the server the commands ask and how.
type benchTarget struct {
	server  string // "throwaway test/mariadbd" or the configuration's path
	version string
	config  string // the cluster configuration mmm-check reads
	host    string
	socket  string
	user    string
	pass    string
}

// The throwaway server's account: no privilege, as the mysql check needs.
const (
	benchUser = "mmm_monitor"
	benchPass = "monitor-bench"
)

// target finds or starts the server; cleanup stops what it started.
func target(ctx context.Context, o options) (benchTarget, func(), error) {
	if o.config != "" {
		return existing(ctx, o)
	}
	return throwaway(ctx)
}

func existing(ctx context.Context, o options) (benchTarget, func(), error) {
	cfg, err := config.Load(o.config)
	if err != nil {
		return benchTarget{}, nil, err
	}
	name := o.host
	if name == "" {
		name = cfg.This
	}
	h := cfg.Host(name)
	if h == nil {
		return benchTarget{}, nil, fmt.Errorf("host %q is not in %s (use --host)", name, o.config)
	}
	t, err := checks.TargetOf(h, true)
	if err != nil {
		return benchTarget{}, nil, err
	}
	if t.Socket == "" {
		return benchTarget{}, nil, fmt.Errorf("host %s has no mysql_socket: the bench measures the unix socket", name)
	}
	bt := benchTarget{server: o.config, config: o.config, host: name, socket: t.Socket, user: t.User, pass: t.Password}
	bt.version, err = serverVersion(ctx, t.MySQLConfig())
	return bt, func() {}, err
}

func throwaway(ctx context.Context) (benchTarget, func(), error) {
	if os.Geteuid() != 0 {
		return benchTarget{}, nil, fmt.Errorf("the throwaway server runs mariadbd --user=root: run as root, or pass --config")
	}
	dir, err := os.MkdirTemp("", "mmm-checkbench-")
	if err != nil {
		return benchTarget{}, nil, err
	}
	port, err := mariadbd.FreePort()
	if err != nil {
		os.RemoveAll(dir)
		return benchTarget{}, nil, err
	}
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	s, err := mariadbd.Start(sctx, mariadbd.Options{Dir: filepath.Join(dir, "db1"), Name: "bench",
		BindAddress: "127.0.0.1", Port: port, ServerID: 1})
	if err != nil {
		os.RemoveAll(dir)
		return benchTarget{}, nil, err
	}
	cleanup := func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "mmm-checkbench: stopping the server:", err)
		}
		os.RemoveAll(dir)
	}
	err = s.Exec(sctx, fmt.Sprintf("CREATE USER '%s'@'localhost' IDENTIFIED BY '%s'", benchUser, benchPass))
	if err != nil {
		cleanup()
		return benchTarget{}, nil, err
	}
	conf := filepath.Join(dir, "mmm_agent.conf")
	body := fmt.Sprintf(`# mmm-checkbench's throwaway cluster: db1 is the local server.
active_master_role writer
this db1
<host db1>
    ip                127.0.0.1
    mode              master
    peer              db2
    mysql_port        %d
    mysql_socket      %s
    monitor_user      %s
    monitor_password  %s
</host>
<host db2>
    ip    127.0.0.2
    mode  master
    peer  db1
</host>
<role writer>
    hosts  db1, db2
    ips    127.0.0.100
    mode   exclusive
</role>
`, port, s.Socket, benchUser, benchPass)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		cleanup()
		return benchTarget{}, nil, err
	}
	bt := benchTarget{server: "throwaway test/mariadbd", config: conf, host: "db1", socket: s.Socket, user: benchUser, pass: benchPass}
	bt.version, err = serverVersion(sctx, s.Config(""))
	if err != nil {
		cleanup()
		return benchTarget{}, nil, err
	}
	return bt, cleanup, nil
}

func serverVersion(ctx context.Context, c *mysql.Config) (string, error) {
	conn, err := mysql.NewConnector(c)
	if err != nil {
		return "", err
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	var v string
	err = db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&v)
	return v, err
}
