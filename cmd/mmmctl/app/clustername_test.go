package app_test

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mmm-keepalived/mmm-keepalived/cmd/mmmctl/app"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api/apitest"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// useConfigDir points the default configuration paths into dir, as
// /etc/mmm-keepalived and /etc/mysql-mmm would be: mmm.conf, and the
// named clusters' mmm_NAME.conf beside it. Not parallel.
func useConfigDir(t *testing.T, dir string) {
	saved := config.DefaultPaths
	config.DefaultPaths = []string{filepath.Join(dir, "mmm.conf"), filepath.Join(dir, "mmm_agent.conf")}
	t.Cleanup(func() { config.DefaultPaths = saved })
}

// TestCluster: mmmctl @c2 (MMM's mmm_control @c2) reads cluster c2's
// file, mmm_c2.conf beside mmm.conf, and asks the socket it names; the
// default file is another cluster (a coordinator without a leader), so
// that asking it would show.
func TestCluster(t *testing.T) {
	c2 := newEnv(t)
	other := apitest.New(t)
	other.SetLeader("db1", "", "")
	os := apitest.Serve(t, other, api.ServerOptions{TokenFile: c2.token}) // the default cluster
	dir := t.TempDir()
	useConfigDir(t, dir)
	write(t, dir, "mmm.conf", configText(os.Socket, c2.token))
	c2File := write(t, dir, "mmm_c2.conf", configText(c2.served.Socket, c2.token))
	write(t, dir, "mmm_nothis.conf", apitest.Config)
	elsewhere := write(t, t.TempDir(), "other.conf", configText(c2.served.Socket, c2.token))
	c3File := filepath.Join(dir, "mmm_c3.conf")
	const pong = "OK: Pinged successfully!\n"

	for _, tc := range []struct {
		name   string
		env    string // MMMCTL_CONFIG
		args   string
		code   int
		stdout string // exact, unless "" with a code
		stderr string // contained
	}{
		{"@c2 show", "", "@c2 show", 0, showHealthy, ""},
		{"--cluster c2", "", "--cluster c2 show", 0, showHealthy, ""},
		{"--cluster=c2", "", "--cluster=c2 ping", 0, pong, ""},
		{"@ after a global option", "", "--timeout 5s @c2 ping", 0, pong, ""},
		{"global options after @", "", "@c2 --timeout 5s ping", 0, pong, ""},
		{"the default cluster without @", "", "show", app.ExitUnavailable, showHealthy, "db1 has no raft leader"},
		{"MMMCTL_CONFIG still works", elsewhere, "ping", 0, pong, ""},
		{"@c2 before MMMCTL_CONFIG", c2File, "@c2 ping", 0, pong, ""},
		{"@c2 wins over MMMCTL_CONFIG", filepath.Join(dir, "mmm.conf"), "@c2 show", 0, showHealthy, ""},
		{"absent cluster file", "", "@c3 show", app.ExitConfig, "",
			"mmmctl: " + c3File + ": cannot read \"" + c3File + "\": no such file or directory\nmmmctl: (cluster c3's configuration " + c3File + ")\n"},
		{"absent, doctor", "", "@c3 doctor", app.ExitConfig, "", c3File},
		{"absent, even with --api", "", "@c3 --api unix://" + c2.served.Socket + " ping", app.ExitConfig, "", c3File},
		// Without `this`, the cluster's own default socket, never the
		// default cluster's.
		{"no this: the cluster's socket", "", "@nothis show", app.ExitUnreachable, "",
			"cannot reach the coordinator at " + config.DefaultRuntimePaths("nothis").APISocket},
		{"bad name", "", "@c/2 show", app.ExitUsage, "", `mmmctl: @c/2: cluster name "c/2": want letters, digits, '-' and '_'`},
		{"bad name, flag", "", "--cluster ../c2 show", app.ExitUsage, "", `cluster name "../c2"`},
		{"empty name", "", "@ show", app.ExitUsage, "", `cluster name ""`},
		{"name beginning with -", "", "@-c2 show", app.ExitUsage, "", `cluster name "-c2"`},
		{"with --config", "", "--config " + elsewhere + " @c2 show", app.ExitUsage, "",
			"mmmctl: --config " + elsewhere + " and @c2 (--cluster c2) both name the configuration: give one\n"},
		{"with -c after", "", "@c2 -c " + elsewhere + " show", app.ExitUsage, "", "both name the configuration"},
		{"two clusters", "", "@c2 @c3 show", app.ExitUsage, "", "mmmctl: @c2 and @c3: give one cluster\n"},
		{"@ and --cluster", "", "--cluster c3 @c2 show", app.ExitUsage, "", "mmmctl: @c2 and --cluster: give one cluster\n"},
		{"a global option's value is no cluster", "", "--config @c2 show", app.ExitConfig, "", "@c2"},
		{"render with its own --config", "", "@c2 keepalived render --host db1 --config " + elsewhere, app.ExitUsage, "",
			"keepalived render: --config " + elsewhere + " and @c2 both name the configuration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("MMMCTL_CONFIG", tc.env)
			}
			r := run(t, strings.Fields(tc.args)...)
			if r.code != tc.code || r.stdout != tc.stdout || !strings.Contains(r.stderr, tc.stderr) || (tc.stderr == "") != (r.stderr == "") {
				t.Errorf("mmmctl %s:\ncode %d stdout %q stderr %q\nwant %d %q %q…", tc.args, r.code, r.stdout, r.stderr, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
	if n := len(other.Commands()); n != 0 {
		t.Errorf("the default cluster's coordinator applied %d commands", n)
	}
}

// TestClusterRenderAndCheck: keepalived.conf rendered for @c2 calls the
// hooks with --cluster c2 and names c2's track file and fifo; config
// check shows the cluster's runtime paths.
func TestClusterRenderAndCheck(t *testing.T) {
	dir := t.TempDir()
	useConfigDir(t, dir)
	write(t, dir, "mmm_c2.conf", apitest.Config)
	paths := config.DefaultRuntimePaths("c2")

	r := run(t, "@c2", "keepalived", "render", "--host", "db1")
	for _, want := range []string{
		"# keepalived.conf for host db1 of cluster c2:",
		`script "/usr/bin/mmm-check --cluster c2 --host db1 --timeout 800ms"`,
		`notify "/usr/bin/mmm-notify --cluster c2 --host db1"`,
		`file "` + paths.TrackFile + `"`,
		"vrrp_notify_fifo " + paths.NotifyFifo + "\n",
	} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("@c2 keepalived render (code %d, stderr %q) lacks %q:\n%s", r.code, r.stderr, want, r.stdout)
		}
	}
	if r := run(t, "keepalived", "render", "--host", "db1", "--config", filepath.Join(dir, "mmm_c2.conf")); r.code != 0 ||
		!strings.Contains(r.stdout, "--config "+filepath.Join(dir, "mmm_c2.conf")+" --host db1") {
		t.Errorf("render by --config: code %d %q\n%s", r.code, r.stderr, r.stdout)
	}

	r = run(t, "@c2", "config", "check")
	for _, want := range []string{
		"# " + filepath.Join(dir, "mmm_c2.conf") + ": valid",
		"# cluster c2: its own default runtime paths",
		" api_socket " + paths.APISocket + "\n",
		" data_dir " + paths.DataDir + "\n",
		" track_file " + paths.TrackFile + "\n",
		" notify_fifo " + paths.NotifyFifo + "\n",
	} {
		if r.code != 0 || !strings.Contains(spaces.ReplaceAllString(r.stdout, " "), want) {
			t.Errorf("@c2 config check (code %d, stderr %q) lacks %q:\n%s", r.code, r.stderr, want, r.stdout)
		}
	}
	// Completion reads the cluster's hosts.
	args := []string{"@c2", "set_online", "--generate-bash-completion"}
	run(t, args...).check(t, args, "db1\ndb2\ndb3\n", 0)
	// The same file by path: the default cluster's paths, and a warning.
	r = run(t, "config", "check", filepath.Join(dir, "mmm_c2.conf"))
	if r.code != 0 || !strings.Contains(r.stdout, "# warning: "+filepath.Join(dir, "mmm_c2.conf")+" is cluster c2's file but was loaded by path") ||
		!strings.Contains(spaces.ReplaceAllString(r.stdout, " "), " track_file "+config.DefaultTrackFile+"\n") || strings.Contains(r.stdout, "# cluster c2") {
		t.Errorf("config check by path (code %d, stderr %q):\n%s", r.code, r.stderr, r.stdout)
	}
}

// spaces are config check's alignment.
var spaces = regexp.MustCompile(` +`)

// TestHelpNamesCluster: --help explains @CLUSTER with an example.
func TestHelpNamesCluster(t *testing.T) {
	r := run(t, "--help")
	for _, want := range []string{"mmmctl [@CLUSTER] [global options] command", "mmm_control @CLUSTER",
		"/etc/mmm-keepalived/mmm_NAME.conf", "   mmmctl @c2 show\n", "--cluster NAME"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("--help lacks %q:\n%s", want, r.stdout)
		}
	}
}
