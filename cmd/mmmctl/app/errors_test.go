package app_test

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmm-keepalived/mmm-keepalived/checks/checkstest"
	"github.com/mmm-keepalived/mmm-keepalived/cmd/mmmctl/app"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api/apitest"
)

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// silentAddr accepts connections and never answers (a frozen
// coordinator): checkstest's silent fake sends not a byte, whatever the
// protocol.
func silentAddr(t *testing.T) string {
	return checkstest.Start(t, checkstest.Options{Silent: true}).Addr()
}

// TestErrorPaths: every failure is one line on stderr with its own exit
// code, and nothing on stdout.
func TestErrorPaths(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	wrongTok := write(t, dir, "wrong.token", "guess\n")
	noTokCfg := write(t, dir, "notoken.conf", apitest.Config)
	badCfg := write(t, dir, "bad.conf", "<host db1>\n    ip not-an-ip\n</host>\n")
	url := "http://" + e.served.Addr
	closed := closedAddr(t)

	// A follower whose leader is e's coordinator, and one without a leader.
	tok := e.token
	follower := apitest.New(t)
	follower.SetLeader("db2", "db1", e.served.Addr)
	fs := apitest.Serve(t, follower, api.ServerOptions{TokenFile: tok})
	lonely := apitest.New(t)
	lonely.SetLeader("db3", "", "")
	ls := apitest.Serve(t, lonely, api.ServerOptions{TokenFile: tok})
	// An HTTP server that is not a coordinator (a web server on the port).
	web := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(web.Close)
	broken := apitest.New(t)
	broken.SetError(errors.New("raft: shutdown"))
	bs := apitest.Serve(t, broken, api.ServerOptions{})

	for _, tc := range []struct {
		name   string
		args   string
		code   int
		stderr string // contained; "" = none expected
		stdout string
	}{
		{"socket missing", "--api unix://" + filepath.Join(dir, "none.sock") + " show", app.ExitUnreachable,
			"mmmctl: cannot reach the coordinator at " + filepath.Join(dir, "none.sock") + ": dial unix", ""},
		{"port closed", "--api http://" + closed + " ping", app.ExitUnreachable,
			"mmmctl: cannot reach the coordinator at http://" + closed + ": dial tcp " + closed + ": connect: connection refused", ""},
		{"no answer within the timeout", "--timeout 200ms --api http://" + silentAddr(t) + " ping", app.ExitUnavailable,
			"mmmctl: coordinator at http://", ""},
		{"wrong token", "--api " + url + " --token-file " + wrongTok + " show", app.ExitUnauthorized,
			"mmmctl: coordinator at " + url + ": missing or wrong bearer token", ""},
		{"no token", "--config " + noTokCfg + " --api " + url + " show", app.ExitUnauthorized,
			"mmmctl: coordinator at " + url + ": missing or wrong bearer token", ""},
		{"token file missing", "--api " + url + " --token-file " + filepath.Join(dir, "nope") + " show", app.ExitUnauthorized,
			"mmmctl: api: token file: open ", ""},
		{"not a coordinator", "--api " + web.URL + " --token-file " + tok + " ping", app.ExitUnreachable,
			"mmmctl: " + web.URL + " does not answer like an mmm-coordinator API: answered 404 Not Found: 404 page not found\n", ""},
		{"not a coordinator, a write", "--api " + web.URL + " --token-file " + tok + " set_offline db3", app.ExitUnreachable,
			"mmmctl: " + web.URL + " does not answer like an mmm-coordinator API: answered 404 Not Found: 404 page not found\n", ""},
		{"token from the configuration", "--config " + e.config + " --api " + url + " mode", 0, "", "ACTIVE\n"},
		{"token from the flag", "--config " + noTokCfg + " --api " + url + " --token-file " + tok + " mode", 0, "", "ACTIVE\n"},
		{"not the leader: forwarded", "--api unix://" + fs.Socket + " set_offline db3", 0, "",
			"OK: State of 'db3' changed to ADMIN_OFFLINE. Now you can wait some time and check all roles!\n"},
		{"no leader", "--timeout 300ms --api unix://" + ls.Socket + " set_online db3", app.ExitUnavailable,
			"mmmctl: no raft leader at the moment; try again\n", ""},
		{"backend failing", "--api unix://" + bs.Socket + " show", app.ExitUnavailable,
			"mmmctl: raft: shutdown\n", ""},
		{"configuration missing", "--config " + filepath.Join(dir, "missing.conf") + " show", app.ExitConfig,
			"mmmctl: ", ""},
		{"configuration invalid", "--config " + badCfg + " show", app.ExitConfig,
			"mmmctl: " + badCfg + ":2: host db1: ip: expected an IP address, got \"not-an-ip\"\n", ""},
		{"refused", "--config " + e.config + " set_ip 198.18.0.101 db2", app.ExitRefused,
			"", "ERROR: This command is only allowed in passive mode\n"},
		{"unknown host", "--config " + e.config + " set_offline db7", app.ExitUnknown,
			"", "ERROR: Unknown host name 'db7'!\n"},
		{"unknown role", "--config " + e.config + " move_role reeder db2", app.ExitUnknown,
			"", "ERROR: Unknown role name 'reeder'!\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, strings.Fields(tc.args)...)
			if r.code != tc.code || r.stdout != tc.stdout || !strings.Contains(r.stderr, tc.stderr) ||
				(tc.stderr == "") != (r.stderr == "") {
				t.Errorf("mmmctl %s:\ncode %d stdout %q stderr %q\nwant %d %q %q…", tc.args, r.code, r.stdout, r.stderr, tc.code, tc.stdout, tc.stderr)
			}
			if tc.code != app.ExitConfig && strings.Count(r.stderr, "\n") > 1 {
				t.Errorf("stderr is not one line: %q", r.stderr)
			}
		})
	}
	if got := e.backend.Commands(); len(got) != 6 || got[2].String() != "set_offline db3" {
		t.Errorf("the leader applied %v, want the forwarded set_offline db3 third of 6", got)
	}
	if n := len(follower.Commands()) + len(lonely.Commands()); n != 0 {
		t.Errorf("followers applied %d commands", n)
	}
}

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, app.ExitOK},
		{errors.New("boom"), app.ExitError},
		{fmt.Errorf("x: %w", api.ErrUnreachable), app.ExitUnreachable},
		{fmt.Errorf("x: %w", api.ErrNotCoordinator), app.ExitUnreachable},
		{&api.Error{Code: api.CodeUnauthorized}, app.ExitUnauthorized},
		{&api.Error{Code: api.CodeRefused}, app.ExitRefused},
		{&api.Error{Code: api.CodeUnknownHost}, app.ExitUnknown},
		{&api.Error{Code: api.CodeUnknownRole}, app.ExitUnknown},
		{&api.Error{Code: api.CodeUnknownCheck}, app.ExitUnknown},
		{&api.Error{Code: api.CodeNoLeader}, app.ExitUnavailable},
		{&api.Error{Code: api.CodeNotLeader}, app.ExitUnavailable},
		{&api.Error{Code: api.CodeUnavailable}, app.ExitUnavailable},
		{&api.Error{Code: api.CodeBadRequest}, app.ExitUsage},
	} {
		if got := app.ExitCode(tc.err); got != tc.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}
