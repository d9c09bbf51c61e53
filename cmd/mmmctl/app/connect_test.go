package app_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmm-keepalived/mmm-keepalived/cmd/mmmctl/app"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api/apitest"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// useDefaultConfig points the default configuration path at path for
// the test. Not parallel: config.DefaultPaths is global.
func useDefaultConfig(t *testing.T, path string) {
	saved := config.DefaultPaths
	config.DefaultPaths = []string{path}
	t.Cleanup(func() { config.DefaultPaths = saved })
}

// TestDefaultConfigWithAPI: with --api, the default configuration is
// read only for the token file, and one that is absent, empty (a
// package installed but not configured yet) or broken does not stop
// mmmctl from asking the API it was given. Without --api it names the
// socket, so it must load; a --config given explicitly always must.
func TestDefaultConfigWithAPI(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	stub := write(t, dir, "stub.conf", "# this db1\n# <host db1>\n#     ip 198.18.0.11\n# </host>\n")
	broken := write(t, dir, "broken.conf", "<host db1>\n    ip not-an-ip\n</host>\n")
	valid := write(t, dir, "valid.conf", configText(e.served.Socket, e.token))
	noToken := write(t, dir, "notoken.conf", apitest.Config)
	absent := filepath.Join(dir, "absent.conf")
	open := apitest.Serve(t, apitest.New(t), api.ServerOptions{}) // loopback TCP without a token

	url, openURL := "http://"+e.served.Addr, "http://"+open.Addr
	const pong = "OK: Pinged successfully!\n"
	for _, tc := range []struct {
		name       string
		defaultCfg string
		args       string
		code       int
		stdout     string
		stderr     string // contained
	}{
		{"stub, API without a token", stub, "--api " + openURL + " ping", 0, pong, ""},
		{"broken, API without a token", broken, "--api " + openURL + " ping", 0, pong, ""},
		{"absent, API without a token", absent, "--api " + openURL + " ping", 0, pong, ""},
		{"stub, token flag", stub, "--api " + url + " --token-file " + e.token + " ping", 0, pong, ""},
		{"stub, unix API", stub, "--api unix://" + e.served.Socket + " ping", 0, pong, ""},
		{"valid: its token file", valid, "--api " + url + " ping", 0, pong, ""},
		// The API wants a token nobody gave: say why none was sent.
		{"stub, API wants a token", stub, "--api " + url + " ping", app.ExitUnauthorized, "",
			"missing or wrong bearer token; no token was sent: no --token-file, and the default configuration " + stub + " does not load (mmmctl config check " + stub + ")"},
		{"absent, API wants a token", absent, "--api " + url + " ping", app.ExitUnauthorized, "",
			"no token was sent: no --token-file, and no default configuration " + absent},
		{"valid without a token file", noToken, "--api " + url + " ping", app.ExitUnauthorized, "",
			"no token was sent: no --token-file, and " + noToken + " names no api_token_file"},
		// The default file names the local socket: without --api it must load.
		{"stub, local socket", stub, "ping", app.ExitConfig, "", "(the default configuration " + stub},
		{"explicit --config must load", stub, "--config " + stub + " --api " + openURL + " ping", app.ExitConfig, "", stub},
	} {
		t.Run(tc.name, func(t *testing.T) {
			useDefaultConfig(t, tc.defaultCfg)
			r := run(t, strings.Fields(tc.args)...)
			if r.code != tc.code || r.stdout != tc.stdout || !strings.Contains(r.stderr, tc.stderr) || (tc.stderr == "") != (r.stderr == "") {
				t.Errorf("mmmctl %s:\ncode %d stdout %q stderr %q\nwant %d %q %q…", tc.args, r.code, r.stdout, r.stderr, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}
