package app_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/mmm-keepalived/mmm-keepalived/cmd/mmmctl/app"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api/apitest"
)

// result is one run of the command tree.
type result struct {
	stdout, stderr string
	code           int
}

// run runs mmmctl with args as main does (app.Run: the @CLUSTER word).
func run(t *testing.T, args ...string) result {
	t.Helper()
	a := app.New()
	var out, errb bytes.Buffer
	a.Writer, a.ErrWriter = &out, &errb
	err := app.Run(context.Background(), a, append([]string{"mmmctl"}, args...))
	code := app.Report(&errb, err)
	return result{out.String(), errb.String(), code}
}

// env is a served fake coordinator and a configuration naming its socket.
type env struct {
	backend *apitest.Backend
	served  apitest.Served
	config  string // --config FILE: `this db1`, api_socket, api_token_file
	token   string // the TCP API's token file
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// configText is the lab configuration with this db1, the socket and the
// token file.
func configText(socket, token string) string {
	c := strings.Replace(apitest.Config, "cluster_interface eth0",
		"cluster_interface eth0\n    api_socket "+socket, 1)
	return c + "this db1\n<coordinator>\n    api_token_file " + token + "\n</coordinator>\n"
}

func newEnv(t *testing.T) env {
	dir := t.TempDir()
	tok := write(t, dir, "api.token", "s3cret\n")
	b := apitest.New(t)
	s := apitest.Serve(t, b, api.ServerOptions{TokenFile: tok, Version: "test"})
	return env{backend: b, served: s, token: tok, config: write(t, dir, "mmm.conf", configText(s.Socket, tok))}
}

// run runs mmmctl against the env's socket (through --config).
func (e env) run(t *testing.T, args ...string) result {
	t.Helper()
	return run(t, append([]string{"--config", e.config}, args...)...)
}

func (r result) check(t *testing.T, args []string, stdout string, code int) {
	t.Helper()
	if r.stdout != stdout || r.code != code {
		t.Errorf("mmmctl %s:\nstdout %q\nstderr %q\ncode %d\nwant stdout %q, code %d",
			strings.Join(args, " "), r.stdout, r.stderr, r.code, stdout, code)
	}
}

const showHealthy = `  db1(198.18.0.11) master/ONLINE. Roles: reader(198.18.0.101), writer(198.18.0.100)
  db2(198.18.0.12) master/ONLINE. Roles: reader(198.18.0.103)
  db3(198.18.0.13) slave/ONLINE. Roles: reader(198.18.0.102)

`

// TestMMMSession runs mmm_control's commands in order against one
// coordinator: every reply is MMM's text plus a newline; ERROR replies
// exit non-zero.
func TestMMMSession(t *testing.T) {
	e := newEnv(t)
	for _, step := range []struct {
		args   string
		stdout string
		code   int
	}{
		{"ping", "OK: Pinged successfully!\n", 0},
		{"show", showHealthy, 0},
		{"mode", "ACTIVE\n", 0},
		{"checks db2 rep_backlog", "db2  rep_backlog  [last change: 2026/05/27 14:00:21]  OK\n", 0},
		{"checks all mysql", "db1  mysql  [last change: 2026/05/27 14:00:21]  OK\n" +
			"db2  mysql  [last change: 2026/05/27 14:00:21]  OK\n" +
			"db3  mysql  [last change: 2026/05/27 14:00:21]  OK\n\n", 0},
		{"checks db1", "db1  ping         [last change: 2026/05/27 14:00:21]  OK\n" +
			"db1  mysql        [last change: 2026/05/27 14:00:21]  OK\n" +
			"db1  rep_threads  [last change: 2026/05/27 14:00:21]  OK\n" +
			"db1  rep_backlog  [last change: 2026/05/27 14:00:21]  OK\n\n", 0},
		{"set_offline db3", "OK: State of 'db3' changed to ADMIN_OFFLINE. Now you can wait some time and check all roles!\n", 0},
		{"set_offline db3", "OK: This host is already ADMIN_OFFLINE. Skipping command.\n", 0},
		{"set_online db3", "OK: State of 'db3' changed to ONLINE. Now you can wait some time and check its new roles!\n", 0},
		{"set_passive", "OK: Switched into passive mode.\n", 0},
		{"mode", "PASSIVE\n", 0},
		{"move_role writer db2", "ERROR: This command is not allowed in passive mode\n", app.ExitRefused},
		{"set_ip 198.18.0.101 db2", "OK: Set role 'reader(198.18.0.101)' to host 'db2'.\n", 0},
		{"set_ip 10.9.9.9 db2", "ERROR: Unknown ip '10.9.9.9'!\n", app.ExitUnknown},
		{"show", "# --- Monitor is in PASSIVE MODE ---\n# Cause: Admin switched to passive mode.\n" +
			"  db1(198.18.0.11) master/ONLINE. Roles: writer(198.18.0.100)\n" +
			"  db2(198.18.0.12) master/ONLINE. Roles: reader(198.18.0.101), reader(198.18.0.103)\n" +
			"  db3(198.18.0.13) slave/ONLINE. Roles: reader(198.18.0.102)\n\n", 0},
		{"set_manual", "OK: Switched into manual mode.\n", 0},
		{"set_manual", "OK: Already in manual mode.\n", 0},
		{"move_role writer db2", "OK: Role 'writer' has been moved from 'db1' to 'db2'. Now you can wait some time and check new roles info!\n", 0},
		{"move_role --force writer db1", "ERROR: Can't force move of role to host with state ONLINE.\n", app.ExitRefused},
		{"move_role wrter db1", "ERROR: Unknown role name 'wrter'!\n", app.ExitUnknown},
		{"set_active", "OK: Switched into active mode.\n", 0},
		{"set_ip 198.18.0.101 db2", "ERROR: This command is only allowed in passive mode\n", app.ExitRefused},
		{"set_online db9", "ERROR: Unknown host name 'db9'!\n", app.ExitUnknown},
		{"set_offline db9", "ERROR: Unknown host name 'db9'!\n", app.ExitUnknown},
		{"set_online --force db1", "OK: This host is already ONLINE. Skipping command.\n", 0},
		{"checks db9", "ERROR: Unknown host name 'db9'!\n", app.ExitUnknown},
		{"checks db1 pong", "ERROR: Unknown check 'pong'!\n", app.ExitUnknown},
	} {
		args := strings.Fields(step.args)
		r := e.run(t, args...)
		r.check(t, args, step.stdout, step.code)
		if r.stderr != "" {
			t.Errorf("mmmctl %s: stderr %q", step.args, r.stderr)
		}
	}
	// Every command above but ping, show and checks went to the leader.
	if n := len(e.backend.Commands()); n != 19 {
		t.Errorf("the coordinator applied %d commands, want 19", n)
	}
}

func TestUsageErrors(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		args   string
		stderr string
	}{
		{"", "mmmctl: no command given; see 'mmmctl help' or 'mmmctl --help'\n"},
		{"frobnicate", "mmmctl: unknown command \"frobnicate\"; see 'mmmctl help'\n"},
		{"set_online", "mmmctl: set_online: want [--force] <host>, got 0 argument(s)\n"},
		{"set_offline db1 db2", "mmmctl: set_offline: want <host>, got 2 argument(s)\n"},
		{"move_role writer", "mmmctl: move_role: want [--force] <role> <host>, got 1 argument(s)\n"},
		{"set_ip 198.18.0.101", "mmmctl: set_ip: want <ip> <host>, got 1 argument(s)\n"},
		{"mode now", "mmmctl: mode: want no arguments, got 1 argument(s)\n"},
		{"checks db1 ping extra", "mmmctl: checks: want [<host>|all [<check>|all]], got 3 arguments\n"},
		{"set_online --bogus db1", "mmmctl: flag provided but not defined: -bogus\n"},
		{"help nothing", "mmmctl: help: unknown command \"nothing\"\n"},
		{"history --limit -1", "mmmctl: history: --limit must be ≥ 0\n"},
		{"keepalived render", "mmmctl: keepalived render: --host NAME is required\n"},
		{"--api ftp://db1 ping", "mmmctl: api: bad request: api URL \"ftp://db1\": want http://host:port or unix:///path\n"},
		{"--timeout 0 ping", "mmmctl: --timeout: want a positive duration such as 5s, got 0s\n"},
		{"--timeout -1s ping", "mmmctl: --timeout: want a positive duration such as 5s, got -1s\n"},
		{"--timeout 0 config check", "mmmctl: --timeout: want a positive duration such as 5s, got 0s\n"},
	} {
		args := strings.Fields(tc.args)
		r := e.run(t, args...)
		if r.code != app.ExitUsage || r.stderr != tc.stderr {
			t.Errorf("mmmctl %s: code %d stderr %q, want %d %q", tc.args, r.code, r.stderr, app.ExitUsage, tc.stderr)
		}
	}
	if n := len(e.backend.Commands()); n != 0 {
		t.Errorf("usage errors applied %d commands", n)
	}
}

func TestHelpAndVersion(t *testing.T) {
	r := run(t, "help")
	r.check(t, []string{"help"}, app.HelpText()+"\n", 0)
	mmm := "Valid commands are:\n" +
		"    help                              - show this message\n" +
		"    ping                              - ping monitor\n" +
		"    show                              - show status\n" +
		"    checks [<host>|all [<check>|all]] - show checks status\n" +
		"    set_online <host>                 - set host <host> online\n" +
		"    set_offline <host>                - set host <host> offline\n" +
		"    mode                              - print current mode.\n" +
		"    set_active                        - switch into active mode.\n" +
		"    set_manual                        - switch into manual mode.\n" +
		"    set_passive                       - switch into passive mode.\n" +
		"    move_role [--force] <role> <host> - move exclusive role <role> to host <host>\n" +
		"                                        (Only use --force if you know what you are doing!)\n" +
		"    set_ip <ip> <host>                - set role with ip <ip> to host <host>\n"
	if !strings.HasPrefix(r.stdout, mmm+"\n") {
		t.Errorf("help does not start with MMM's text:\n%s", r.stdout)
	}
	if r := run(t, "--version"); r.stdout != "mmmctl version dev\n" || r.code != 0 {
		t.Errorf("--version = %+v", r)
	}
	r = run(t, "--help")
	for _, want := range []string{"Exit codes:", "   5  the state machine refused", "--timeout DURATION", "--token-file FILE"} {
		if !strings.Contains(r.stdout, want) || r.code != 0 {
			t.Errorf("--help lacks %q (code %d)", want, r.code)
		}
	}
	// Every command and subcommand has an example.
	for _, name := range commandNames("", app.New().Commands) {
		if name == "help" { // help --help is the application's help
			continue
		}
		r := run(t, append(strings.Fields(name), "--help")...)
		if r.code != 0 || !strings.Contains(r.stdout, "Example:\n      mmmctl ") && !strings.Contains(r.stdout, "Example:\n      source ") {
			t.Errorf("mmmctl %s --help: no example (code %d):\n%s", name, r.code, r.stdout)
		}
	}
	if r := run(t, "help", "move_role"); !strings.Contains(r.stdout, "mmmctl move_role [command options] [--force] <role> <host>") {
		t.Errorf("help move_role:\n%s", r.stdout)
	}
}

// commandNames lists every command and subcommand ("config check").
func commandNames(prefix string, cmds []*cli.Command) []string {
	var out []string
	for _, c := range cmds {
		out = append(out, prefix+c.Name)
		out = append(out, commandNames(prefix+c.Name+" ", c.Subcommands)...)
	}
	return out
}
