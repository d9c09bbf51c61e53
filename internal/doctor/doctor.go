// Package doctor is `mmmctl doctor`'s preflight: from the cluster
// configuration and what each database server (and, on a writer host,
// keepalived) says, it lists what would keep mmm-keepalived from failing
// over safely, each problem with its fix — as MHA's masterha_check_repl
// does for MHA.
//
// Gathering is behind two small interfaces, Collector (one database
// server: accounts and grants, variables, replication, clock) and
// LocalProbe (keepalived on this machine); Check is pure and works on
// what they gathered, so its logic is tested with tables of Facts.
package doctor

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// Severity of a problem.
type Severity string

const (
	// Error: a failover would not be safe (or not possible) as things
	// are; doctor exits non-zero.
	Error Severity = "error"
	// Warning: works today, but degrades or breaks under a later event
	// (a restart, a lagging replica).
	Warning Severity = "warning"
	// Note: something doctor cannot verify from here; what to check.
	Note Severity = "note"
)

// Problem is one finding.
type Problem struct {
	Severity Severity
	Host     string `json:",omitempty"` // "" for the cluster as a whole
	Check    string // grants, binlog, gtid, server_id, read_only, semisync, replication, clock, keepalived, connect
	Message  string
	// Fix is what to run or write: SQL statements, my.cnf lines or a
	// shell command, one per line.
	Fix string `json:",omitempty"`
}

// HostSummary is one database server as doctor saw it.
type HostSummary struct {
	Host     string
	Addr     string
	Mode     string // master, slave
	Server   string `json:",omitempty"` // "mariadb 10.11.6"
	Writer   bool   `json:",omitempty"`
	ReadOnly string `json:",omitempty"` // ON, OFF; "" unknown
	ServerID string `json:",omitempty"`
	Reached  bool
}

// Report is doctor's result.
type Report struct {
	Writer   string `json:",omitempty"` // the active master doctor found ("" = none)
	Hosts    []HostSummary
	Local    string `json:",omitempty"` // the writer host keepalived was checked on
	Problems []Problem
	Errors   int
	Warnings int
	Notes    int
}

// OK reports whether no error was found.
func (r *Report) OK() bool { return r.Errors == 0 }

// Collector gathers the Facts of one database server. It must return
// within ctx (its deadline bounds every connection and query).
type Collector interface {
	Collect(ctx context.Context, h *config.Host) *Facts
}

// LocalProbe looks at keepalived on this machine.
type LocalProbe interface {
	// KeepalivedVersion runs `keepalived --version` and returns the
	// version ("2.2.7").
	KeepalivedVersion(ctx context.Context) (string, error)
	ReadFile(path string) ([]byte, error)
}

// Options of Run.
type Options struct {
	// Writer names the active master; "" = find it (the writable master
	// of the writer role, else the one the replicas follow).
	Writer string
	// LocalHost is this machine's host name in the configuration when it
	// is a writer host: keepalived is checked then. "" = not checked.
	LocalHost string
	// KeepalivedConf is the installed keepalived.conf (default
	// /etc/keepalived/keepalived.conf).
	KeepalivedConf string
	// Render renders keepalived.conf for a host (keepalived.Render).
	Render func(cfg *config.Config, host string) ([]byte, error)
	// Progress gets one line per server checked (stderr); nil = none.
	Progress io.Writer
}

// DefaultKeepalivedConf is where keepalived reads its configuration.
const DefaultKeepalivedConf = "/etc/keepalived/keepalived.conf"

// Run collects every database server of cfg concurrently (within ctx),
// looks at keepalived when opts.LocalHost is set, and checks it all.
func Run(ctx context.Context, cfg *config.Config, opts Options, col Collector, lp LocalProbe) *Report {
	hosts := DBHosts(cfg)
	facts := make(map[string]*Facts, len(hosts))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			f := col.Collect(ctx, h)
			if f == nil {
				f = &Facts{Host: h.Name, Err: fmt.Errorf("nothing collected")}
			}
			mu.Lock()
			defer mu.Unlock()
			facts[h.Name] = f
			if opts.Progress != nil {
				fmt.Fprintln(opts.Progress, progressLine(f, time.Since(start)))
			}
		}()
	}
	var local *Local
	if opts.LocalHost != "" && lp != nil {
		local = collectLocal(ctx, cfg, opts, lp)
		if opts.Progress != nil {
			mu.Lock() // the servers' goroutines print too
			fmt.Fprintf(opts.Progress, "doctor: %s: keepalived %s, %s\n", local.Host, orUnknown(local.KeepalivedVersion), local.ConfPath)
			mu.Unlock()
		}
	}
	wg.Wait()
	return Check(cfg, facts, local, opts.Writer)
}

func orUnknown(s string) string {
	if s == "" {
		return "(version unknown)"
	}
	return s
}

func progressLine(f *Facts, took time.Duration) string {
	took = took.Round(time.Millisecond)
	if f.Err != nil {
		return fmt.Sprintf("doctor: %s (%s): cannot connect: %v (%v)", f.Host, f.Addr, f.Err, took)
	}
	return fmt.Sprintf("doctor: %s (%s): %s %s checked (%v)", f.Host, f.Addr, f.Flavor, f.Version, took)
}

func collectLocal(ctx context.Context, cfg *config.Config, opts Options, lp LocalProbe) *Local {
	l := &Local{Host: opts.LocalHost, ConfPath: opts.KeepalivedConf}
	if l.ConfPath == "" {
		l.ConfPath = DefaultKeepalivedConf
	}
	l.KeepalivedVersion, l.VersionErr = lp.KeepalivedVersion(ctx)
	l.Installed, l.ReadErr = lp.ReadFile(l.ConfPath)
	if opts.Render != nil {
		l.Rendered, l.RenderErr = opts.Render(cfg, opts.LocalHost)
	} else {
		l.RenderErr = fmt.Errorf("no renderer")
	}
	if rp, ok := lp.(RestartProbe); ok {
		if h := cfg.Host(opts.LocalHost); h != nil && h.MySQLPidfile != "" {
			l.RestartChecked = true
			l.RestartProblems, l.RestartErr = rp.RestartProblems(ctx, h.MySQLPidfile)
		}
	}
	return l
}

// RestartProbe, when a LocalProbe has it, reads what is wrong with the
// options the local mysqld (by its pid file) will start with next time
// (mycnf.Check).
type RestartProbe interface {
	RestartProblems(ctx context.Context, pidfile string) ([]string, error)
}

// DBHosts are cfg's hosts that run MySQL (every host but witnesses), in
// configuration order.
func DBHosts(cfg *config.Config) []*config.Host {
	var out []*config.Host
	for _, h := range cfg.Hosts {
		if h.Mode == config.HostModeMaster || h.Mode == config.HostModeSlave {
			out = append(out, h)
		}
	}
	return out
}

// writerHosts are the hosts of the active master role.
func writerHosts(cfg *config.Config) []string {
	if r := cfg.WriterRole(); r != nil {
		return slices.Clone(r.Hosts)
	}
	return nil
}
