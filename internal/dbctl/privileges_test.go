package dbctl_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
	"github.com/mmm-keepalived/mmm-keepalived/test/mariadbd"
)

// TestPrivileges checks doc.go's privilege table on MariaDB: an account
// with exactly the documented grants can run each operation, and accounts
// with less get ErrAccessDenied.
func TestPrivileges(t *testing.T) {
	ctx := needServers(t)
	replicating(t, ctx)
	t.Cleanup(func() { replicating(t, context.Background()) })
	rs, err := R.ReplicaStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := P.BinlogStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A root session on the replica for each KillClients run to find.
	rootDB := openRoot(t, replica)
	withVictim := func(ctx context.Context, s *dbctl.Server) error {
		victim, err := rootDB.Conn(ctx)
		if err != nil {
			return err
		}
		defer victim.Close()
		if err := victim.PingContext(ctx); err != nil {
			return err
		}
		_, err = s.KillClients(ctx)
		return err
	}

	type op func(context.Context, *dbctl.Server) error
	cases := []struct {
		name      string
		grant     string   // what doc.go documents; "" = nothing
		notEnough []string // grants that must be denied; "" = none at all
		onReplica bool
		run       op
	}{
		{name: "Ping", run: func(ctx context.Context, s *dbctl.Server) error { return s.Ping(ctx) }},
		{name: "ReadOnly", run: func(ctx context.Context, s *dbctl.Server) error { _, err := s.ReadOnly(ctx); return err }},
		{name: "SetReadOnly", grant: "READ_ONLY ADMIN", notEnough: []string{"", "SUPER"},
			run: func(ctx context.Context, s *dbctl.Server) error { return s.SetReadOnly(ctx, false) }},
		{name: "KillClients", grant: "PROCESS, CONNECTION ADMIN", notEnough: []string{"", "PROCESS"}, onReplica: true,
			run: withVictim},
		{name: "ReplicaStatus", grant: "SLAVE MONITOR", notEnough: []string{""}, onReplica: true,
			run: func(ctx context.Context, s *dbctl.Server) error { _, err := s.ReplicaStatus(ctx); return err }},
		{name: "StopStartReplication", grant: "REPLICATION SLAVE ADMIN", notEnough: []string{""}, onReplica: true,
			run: func(ctx context.Context, s *dbctl.Server) error {
				if err := s.StopReplication(ctx, dbctl.IOThread); err != nil {
					return err
				}
				return s.StartReplication(ctx, dbctl.IOThread)
			}},
		{name: "ChangeSource", grant: "REPLICATION SLAVE ADMIN, SLAVE MONITOR", notEnough: []string{"", "REPLICATION SLAVE ADMIN"}, onReplica: true,
			run: func(ctx context.Context, s *dbctl.Server) error {
				if err := s.StopReplication(ctx, dbctl.BothThreads); err != nil {
					return err
				}
				err := s.ChangeSource(ctx, gtidSource())
				return errors.Join(err, s.StartReplication(ctx, dbctl.BothThreads))
			}},
		{name: "WaitForGTID", onReplica: true,
			run: func(ctx context.Context, s *dbctl.Server) error { return s.WaitForGTID(ctx, bs.GTID, time.Second) }},
		{name: "WaitForPosition", onReplica: true,
			run: func(ctx context.Context, s *dbctl.Server) error {
				return s.WaitForPosition(ctx, rs.RelaySourceLogFile, rs.ExecSourceLogPos, time.Second)
			}},
		{name: "BinlogStatus", grant: "BINLOG MONITOR", notEnough: []string{""},
			run: func(ctx context.Context, s *dbctl.Server) error { _, err := s.BinlogStatus(ctx); return err }},
		{name: "GTIDState", run: func(ctx context.Context, s *dbctl.Server) error { _, err := s.GTIDState(ctx); return err }},
		{name: "BinlogSettings", run: func(ctx context.Context, s *dbctl.Server) error { _, err := s.BinlogSettings(ctx); return err }},
		{name: "ServerID", run: func(ctx context.Context, s *dbctl.Server) error { _, err := s.ServerID(ctx); return err }},
		{name: "Uptime", run: func(ctx context.Context, s *dbctl.Server) error { _, err := s.Uptime(ctx); return err }},
		{name: "Semisync", run: func(ctx context.Context, s *dbctl.Server) error { _, err := s.Semisync(ctx); return err }},
		{name: "SetSemisyncMaster", grant: "REPLICATION MASTER ADMIN", notEnough: []string{"", "REPLICATION SLAVE ADMIN"},
			run: func(ctx context.Context, s *dbctl.Server) error { return s.SetSemisyncMaster(ctx, false) }},
		{name: "SetSemisyncReplica", grant: "REPLICATION SLAVE ADMIN", notEnough: []string{"", "REPLICATION MASTER ADMIN"}, onReplica: true,
			run: func(ctx context.Context, s *dbctl.Server) error { return s.SetSemisyncReplica(ctx, false) }},
	}

	// One account per (operation, grant), created on the primary at once.
	type account struct{ user, grant string }
	accounts := map[string][]account{}
	var stmts []string
	for i, c := range cases {
		for j, g := range append([]string{c.grant}, c.notEnough...) {
			a := account{user: fmt.Sprintf("priv_%d_%d", i, j), grant: g}
			accounts[c.name] = append(accounts[c.name], a)
			stmts = append(stmts, fmt.Sprintf("CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY 'pw'", a.user))
			if g != "" {
				stmts = append(stmts, fmt.Sprintf("GRANT %s ON *.* TO '%s'@'127.0.0.1'", g, a.user))
			}
			t.Cleanup(func() { _ = primary.Exec(context.Background(), "DROP USER IF EXISTS '"+a.user+"'@'127.0.0.1'") })
		}
	}
	if err := primary.Exec(ctx, stmts...); err != nil {
		t.Fatal(err)
	}
	if err := caughtUp(ctx); err != nil {
		t.Fatal(err)
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := primary
			if c.onReplica {
				target = replica
			}
			for j, a := range accounts[c.name] {
				err := runAs(ctx, target, a.user, c.run)
				switch {
				case j == 0 && err != nil:
					t.Errorf("with %q: %v", a.grant, err)
				case j > 0 && !errors.Is(err, dbctl.ErrAccessDenied):
					t.Errorf("with only %q: %v, want ErrAccessDenied", a.grant, err)
				}
			}
		})
	}
}

func runAs(ctx context.Context, target *mariadbd.Server, user string, run func(context.Context, *dbctl.Server) error) error {
	s, err := dbctl.Open(ctx, tcpConfig(target, user, "pw"))
	if err != nil {
		return err
	}
	defer s.Close()
	return run(ctx, s)
}
