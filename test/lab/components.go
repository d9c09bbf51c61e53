package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
)

// component is one step of the bring-up. Steps run in order; a step
// whose skip returns a reason is left out (the lab starts whatever of the
// project exists) and the reason is recorded in the manifest.
type component struct {
	name string
	skip func(l *Lab) string // nil: always runs
	up   func(l *Lab, ctx context.Context) error
}

// components is the bring-up order.
func components() []component {
	return []component{
		{name: "network", up: (*Lab).upNetwork},
		{name: "mariadb", up: (*Lab).upMariaDB},
		{name: "replication", up: (*Lab).upReplication},
		{name: "config", up: (*Lab).upConfig},
		// Coordinators first: keepalived then starts with the track files
		// they wrote. The other way round, a coordinator's first write
		// closes db1's file (no leader yet), keepalived goes FAULT and
		// mmm-notify fences the writer (see keepalived.go).
		{name: "coordinator", skip: (*Lab).skipCoordinators, up: (*Lab).upCoordinators},
		{name: "keepalived", skip: (*Lab).skipKeepalived, up: (*Lab).upKeepalived},
	}
}

// Up builds the lab from scratch: it removes any leftover of the same
// prefix first (Down), then runs the components in order. On failure it
// tears everything down again, unless Options.KeepOnFailure.
func (l *Lab) Up(ctx context.Context) (err error) {
	if err := checkRoot(); err != nil {
		return err
	}
	unlock, err := l.lockOnce(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if err := l.Down(ctx); err != nil {
		return fmt.Errorf("lab: removing leftovers: %w", err)
	}
	defer func() {
		if err != nil && !l.opts.KeepOnFailure {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			err = errors.Join(err, l.Down(ctx))
		}
	}()
	start := time.Now()
	for _, c := range components() {
		if c.skip != nil {
			if why := c.skip(l); why != "" {
				l.log.Info("component skipped", "component", c.name, "why", why)
				if err := l.record(func(m *Manifest) { m.Components[c.name] = "skipped: " + why }); err != nil {
					return err
				}
				continue
			}
		}
		t := time.Now()
		if err := c.up(l, ctx); err != nil {
			return fmt.Errorf("lab: %s: %w", c.name, err)
		}
		l.log.Info("component up", "component", c.name, "took", time.Since(t).Round(time.Millisecond))
		if err := l.record(func(m *Manifest) { m.Components[c.name] = "up" }); err != nil {
			return err
		}
	}
	l.log.Info("lab up", "took", time.Since(start).Round(time.Millisecond))
	return l.record(func(m *Manifest) { m.Complete, m.UpSince = true, time.Now() })
}

// binary returns the path of a project binary in Options.BinDir, or ""
// when it is not built.
func (l *Lab) binary(name string) string {
	if l.opts.BinDir == "" {
		return ""
	}
	p := filepath.Join(l.opts.BinDir, name)
	if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return ""
	}
	return p
}

// skipKeepalived and upKeepalived are in keepalived.go.

// skipCoordinators says why no coordinator is started.
func (l *Lab) skipCoordinators() string {
	if l.binary("mmm-coordinator") == "" {
		return "mmm-coordinator is not built"
	}
	return ""
}

// upCoordinators starts mmm-coordinator on every db host, through
// StartDaemon as a Daemon named "coordinator", with
// <state>/etc/mmm_<host>.conf (written by upConfig; its per-host paths —
// raft data dir, API socket, track_file — point into <state>/<host>/),
// then waits until every node's API socket names the same raft leader.
func (l *Lab) upCoordinators(ctx context.Context) error {
	for _, h := range DBHosts() {
		d := Daemon{Name: "coordinator", Host: h.Name,
			Argv: []string{l.binary("mmm-coordinator"), "--config", l.HostConfigPath(h.Name)}}
		if err := l.StartDaemon(ctx, d); err != nil {
			return err
		}
	}
	var leaders []string
	err := poll(ctx, 30*time.Second, func() (bool, error) {
		leaders = leaders[:0]
		for _, h := range DBHosts() {
			leaders = append(leaders, l.CoordinatorLeader(ctx, h.Name))
		}
		for _, x := range leaders {
			if x == "" || x != leaders[0] {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("lab: coordinators: no leader they agree on (%v): %w", leaders, err)
	}
	return nil
}

// CoordinatorLeader asks host's coordinator, over its API socket, which
// host leads the raft group; "" when it does not answer or knows none.
func (l *Lab) CoordinatorLeader(ctx context.Context, host string) string {
	c, err := api.NewClient(api.ClientOptions{Socket: filepath.Join(l.hostDir(host), "mmm.sock")})
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	s, err := c.Snapshot(ctx)
	if err != nil {
		return ""
	}
	return s.Leader
}
