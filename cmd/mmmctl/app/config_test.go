package app_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmm-keepalived/mmm-keepalived/cmd/mmmctl/app"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api/apitest"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

// secretConfig sets every kind of secret.
const secretConfig = apitest.Config + `<host default>
    agent_user agent
    agent_password Agent-Secret-1
    replication_user repl
    replication_password Repl-Secret-2
</host>
<keepalived>
    virtual_router_id 51
    vrrp_version 2
    auth_pass Vrrp3cr
</keepalived>
`

// body drops the header comments of config check's output.
func body(out string) string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "# ") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	// One file with all secrets; templates may not repeat, so the host
	// default is merged into the lab's.
	text := strings.Replace(apitest.Config, "cluster_interface eth0",
		"cluster_interface eth0\n    agent_user agent\n    agent_password Agent-Secret-1\n    replication_user repl\n    replication_password Repl-Secret-2", 1)
	text = strings.Replace(text, "virtual_router_id 51", "virtual_router_id 51\n    vrrp_version 2\n    advert_int 1\n    auth_pass Vrrp3cr", 1)
	path := write(t, dir, "mmm_common.conf", text)
	r := run(t, "config", "check", path)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("config check: %+v", r)
	}
	for _, secret := range []string{"Agent-Secret-1", "Repl-Secret-2", "Vrrp3cr"} {
		if strings.Contains(r.stdout, secret) {
			t.Errorf("config check shows the secret %q", secret)
		}
	}
	for _, want := range []string{
		"# " + path + ": valid (read " + path + ")\n",
		"\n<host db1>\n    ip                    198.18.0.11\n    mode                  master\n",
		"    agent_password        ********\n",
		"    auth_pass           ********\n",
		"    api_address           198.18.0.11:9991\n", // derived
		"\n<check rep_backlog>\n",
		"# warning: coordinator: raft_peers has 3 member(s)", // no: 3 is fine
	} {
		if !strings.Contains(r.stdout, want) && !strings.HasPrefix(want, "# warning") {
			t.Errorf("config check output lacks %q:\n%s", want, r.stdout)
		}
	}
	// The output is a configuration that resolves to itself: every key is
	// spelled as the parser wants it and no setting is lost.
	again := write(t, dir, "resolved.conf", r.stdout)
	r2 := run(t, "config", "check", again)
	if r2.code != 0 {
		t.Fatalf("config check of its own output: %+v", r2)
	}
	if body(r2.stdout) != body(r.stdout) {
		t.Errorf("resolved configuration changed when read back:\n%s\nthen:\n%s", body(r.stdout), body(r2.stdout))
	}
	if _, err := config.Load(again); err != nil {
		t.Errorf("config.Load(output): %v", err)
	}

	r = run(t, "config", "check", "--json", path)
	var out struct {
		Files    []string
		Sections []struct {
			Kind, Name string
			Keys       [][2]string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Sections) < 8 || strings.Contains(r.stdout, "Vrrp3cr") {
		t.Errorf("config check --json: %v %+v", err, out)
	}

	// Invalid: every problem, one per line, and exit 8; --config is the default FILE.
	bad := write(t, dir, "bad.conf", "<host db1>\n    ip 1.2.3\n    mode boss\n</host>\n")
	r = run(t, "--config", bad, "config", "check")
	if r.code != app.ExitConfig || r.stdout != "" || strings.Count(r.stderr, "mmmctl: "+bad+":") < 2 {
		t.Errorf("config check of a bad file: %+v", r)
	}
	if r := run(t, "config", "check", path, path); r.code != app.ExitUsage {
		t.Errorf("config check with two files: %+v", r)
	}
}

// TestConfigCheckTokenFile: the coordinator cannot serve its TCP API
// without the token file it names, so config check reads it: a missing
// or empty one is a problem at the api_token_file line.
func TestConfigCheckTokenFile(t *testing.T) {
	dir := t.TempDir()
	good := write(t, dir, "api.token", "s3cret\n")
	empty := write(t, dir, "empty.token", "\n")
	missing := filepath.Join(dir, "missing.token")
	line := strings.Count(apitest.Config, "\n") + 2 // after <coordinator>
	for _, tc := range []struct {
		name, token string
		code        int
		stderr      string
	}{
		{"readable", good, 0, ""},
		{"relative to the file", "api.token", 0, ""},
		{"missing", missing, app.ExitConfig,
			fmt.Sprintf("coordinator: api_token_file: cannot read %q: no such file or directory\n", missing)},
		{"missing, relative", "missing.token", app.ExitConfig,
			fmt.Sprintf("coordinator: api_token_file: cannot read %q: no such file or directory\n", missing)},
		{"empty", empty, app.ExitConfig,
			fmt.Sprintf("coordinator: api_token_file: %q is empty; expected the API's bearer token\n", empty)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := write(t, dir, "mmm.conf", apitest.Config+"<coordinator>\n    api_token_file "+tc.token+"\n</coordinator>\n")
			r := run(t, "config", "check", path)
			want := ""
			if tc.stderr != "" {
				want = fmt.Sprintf("mmmctl: %s:%d: %s", path, line, tc.stderr)
			}
			if r.code != tc.code || r.stderr != want || (tc.code != 0) != (r.stdout == "") {
				t.Errorf("config check: code %d stderr %q stdout %d bytes, want %d %q", r.code, r.stderr, len(r.stdout), tc.code, want)
			}
		})
	}
}

func TestKeepalivedRender(t *testing.T) {
	dir := t.TempDir()
	path := write(t, dir, "mmm_common.conf", apitest.Config)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := keepalived.Render(cfg, "db2")
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"keepalived", "render", "--host", "db2", "--config", path},
		{"--config", path, "keepalived", "render", "--host", "db2"},
	} {
		r := run(t, args...)
		r.check(t, args, string(want), 0)
	}
	noVRID := write(t, dir, "novrid.conf", strings.Replace(apitest.Config, "virtual_router_id 51", "", 1))
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"keepalived", "render", "--host", "db3", "--config", path}, app.ExitUnknown},
		{[]string{"keepalived", "render", "--host", "db9", "--config", path}, app.ExitUnknown},
		{[]string{"keepalived", "render", "--host", "db1", "--config", noVRID}, app.ExitConfig},
		{[]string{"keepalived", "render", "--host", "db1", "--config", dir + "/none.conf"}, app.ExitConfig},
	} {
		if r := run(t, tc.args...); r.code != tc.code || r.stdout != "" || r.stderr == "" {
			t.Errorf("%v: %+v, want code %d", tc.args, r, tc.code)
		}
	}
}

func TestCompletion(t *testing.T) {
	dir := t.TempDir()
	path := write(t, dir, "mmm_common.conf", apitest.Config)
	r := run(t, "completion", "bash")
	if r.code != 0 || !strings.Contains(r.stdout, "complete -o bashdefault -o default -F _mmmctl mmmctl\n") ||
		!strings.Contains(r.stdout, "--generate-bash-completion") {
		t.Errorf("completion bash: %+v", r)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"set_online"}, "db1\ndb2\ndb3\n"},
		{[]string{"move_role"}, "writer\nreader\n"},
		{[]string{"move_role", "writer"}, "db1\ndb2\ndb3\n"},
		{[]string{"checks"}, "db1\ndb2\ndb3\nall\n"},
		{[]string{"checks", "db1"}, "ping\nmysql\nrep_threads\nrep_backlog\nall\n"},
	} {
		args := append(append([]string{"--config", path}, tc.args...), "--generate-bash-completion")
		run(t, args...).check(t, args, tc.want, 0)
	}
}
