package app

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/doctor"
	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

// ExitDoctor is doctor's exit code when it found at least one error (a
// problem that keeps a failover from being safe); warnings alone exit 0.
const ExitDoctor = 9

// doctorHooks are what the doctor command uses of the machine; tests
// replace them.
var doctorHooks = struct {
	collector func() doctor.Collector
	probe     func() doctor.LocalProbe
	machine   func() doctor.Machine
}{
	collector: func() doctor.Collector { return &doctor.SQLCollector{} },
	probe:     func() doctor.LocalProbe { return doctor.ExecProbe{} },
	machine:   doctor.ThisMachine,
}

func doctorCommand() *cli.Command {
	return &cli.Command{
		Name: "doctor", Usage: "preflight: check the servers, accounts, replication and keepalived a safe failover needs",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "config", Usage: "configuration `FILE` (default: the global --config)"},
			&cli.StringFlag{Name: "writer", Usage: "the active master `HOST` (default: the writable master of the writer role)"},
			&cli.BoolFlag{Name: "local", Usage: "this machine is a writer host: check its keepalived (default: when 'this', the host name or an address says so)"},
			&cli.StringFlag{Name: "keepalived-conf", Value: doctor.DefaultKeepalivedConf, Usage: "the installed keepalived.conf `FILE`"},
			jsonFlag,
		},
		Description: `Connects to every database server of the configuration over TCP with its
agent_user, monitor_user and replication_user (within --timeout), and
checks what a safe failover needs: each account's grants (SHOW GRANTS
against the privileges the product uses), log_bin, log_slave_updates,
binlog_format, gtid_strict_mode, one gtid_domain_id, unique server_ids,
semisync (the writer waits; its rpl_semi_sync_master_timeout at least
lease + fence_timeout + 1s, and what the servers start with), read_only
(only the writer writable; servers that start writable), replication
(the passive master and the replicas follow the active master, threads
running), and the servers' clocks. On a writer host it also checks
keepalived's version and that the installed keepalived.conf is what
'mmmctl keepalived render' produces.

Each problem is printed with its fix (SQL, my.cnf lines, a command) and
a severity: ERROR (a failover would not be safe), WARNING, NOTE (what a
server cannot tell about itself, to check by hand). One progress line per
server goes to stderr.

Exit codes: 0 no error (warnings and notes allowed), 9 at least one
error, 8 the configuration does not load, 6 --writer names no host of
the writer role, 2 bad flags (--local where this machine is no writer
host).

Example:
   mmmctl doctor
   mmmctl --config /etc/mysql-mmm/mmm_agent.conf doctor --json
   mmmctl doctor --local --keepalived-conf /etc/keepalived/keepalived.conf`,
		Action: doctorAction,
	}
}

func doctorAction(c *cli.Context) error {
	if err := wantArgs(c, 0); err != nil {
		return err
	}
	cfg, err := doctorConfig(c)
	if err != nil {
		return err
	}
	writer := c.String("writer")
	if writer != "" && !slices.Contains(writerRoleHosts(cfg), writer) {
		return &exitError{code: ExitUnknown, err: fmt.Errorf("doctor: --writer %s: not a host of the writer role %q", writer, cfg.ActiveMasterRole)}
	}
	local := doctor.DetectLocal(cfg, doctorHooks.machine())
	if c.Bool("local") && local == "" {
		return usagef("doctor --local: this machine is none of the writer role's hosts %v by 'this' (%q), host name or address", writerRoleHosts(cfg), cfg.This)
	}
	if c.IsSet("keepalived-conf") && local == "" {
		return usagef("doctor --keepalived-conf: this machine is no writer host; run it on one (or with --config naming 'this')")
	}
	ctx, cancel := appContext(c)
	defer cancel()
	r := doctor.Run(ctx, cfg, doctor.Options{
		Writer: writer, LocalHost: local, KeepalivedConf: c.String("keepalived-conf"),
		Render: keepalived.Render, Progress: c.App.ErrWriter,
	}, doctorHooks.collector(), doctorHooks.probe())
	if wantJSON(c) {
		err = printJSON(c, r)
	} else {
		err = doctor.WriteText(c.App.Writer, r)
	}
	if err != nil {
		return err
	}
	if !r.OK() {
		return &exitError{code: ExitDoctor, err: fmt.Errorf("doctor: %d error(s) found: a failover would not be safe", r.Errors)}
	}
	return nil
}

// doctorConfig loads --config with an absolute path, as keepalived
// render does (the rendered keepalived.conf names it), and as the
// selected cluster's (@NAME), so that it renders what keepalived render
// does. Its errors exit with ExitConfig.
func doctorConfig(c *cli.Context) (*config.Config, error) {
	abs, err := filepath.Abs(configPath(c))
	if err == nil {
		var cfg *config.Config
		if cfg, err = config.LoadCluster(abs, clusterName(c)); err == nil {
			return cfg, nil
		}
	}
	return nil, &exitError{code: ExitConfig, err: err}
}

func writerRoleHosts(cfg *config.Config) []string {
	if r := cfg.WriterRole(); r != nil {
		return r.Hosts
	}
	return nil
}
