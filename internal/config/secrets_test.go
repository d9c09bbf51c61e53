package config

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestPasswordFiles(t *testing.T) {
	inDir(t, map[string]string{
		"base.conf": labBase,
		"etc/main.conf": `include ../base.conf
<host default>
    agent_password inline        # overridden by the file below
    agent_password_file secrets/agent.pass
    replication_password_file /ABS/repl.pass
</host>
<host db3>
    agent_password db3-inline    # a section's own key beats the template's file
    monitor_password_file secrets/mon.pass
</host>
`,
		"etc/secrets/agent.pass": "ag3nt\n",
		"etc/secrets/mon.pass":   "m0n\r\n",
		"repl.pass":              "r3pl with spaces ",
	})
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	main := "etc/main.conf"
	text, _ := os.ReadFile(main)
	if err := os.WriteFile(main, []byte(strings.ReplaceAll(string(text), "/ABS", wd)), 0o600); err != nil {
		t.Fatal(err)
	}

	c := mustLoad(t, main)
	db1, db3 := c.Host("db1"), c.Host("db3")
	if db1.AgentPassword != "ag3nt" || db1.ReplicationPassword != "r3pl with spaces " || db1.MonitorPassword != "" {
		t.Errorf("db1 passwords: %q %q %q", db1.AgentPassword, db1.ReplicationPassword, db1.MonitorPassword)
	}
	if db3.AgentPassword != "db3-inline" || db3.MonitorPassword != "m0n" {
		t.Errorf("db3 passwords: %q %q", db3.AgentPassword, db3.MonitorPassword)
	}
	if db1.At("agent_password") != (Pos{main, 4}) {
		t.Errorf("agent_password set at %v, want the _file line", db1.At("agent_password"))
	}
	// All files are 0600: nothing to warn about.
	if len(c.Warnings) != 0 {
		t.Errorf("warnings: %q", c.Warnings)
	}
}

func TestWarnReadableByOthers(t *testing.T) {
	inDir(t, map[string]string{
		"base.conf": labBase,
		"main.conf": `include base.conf
<host default>
    replication_password repl
    agent_password_file agent.pass
    monitor_password_file agent.pass
</host>
<coordinator>
    api_token_file token
</coordinator>
`,
		"agent.pass": "secret\n",
		"token":      "t\n",
	})
	for name, mode := range map[string]os.FileMode{"main.conf": 0o644, "agent.pass": 0o604, "base.conf": 0o666, "token": 0o644} {
		if err := os.Chmod(name, mode); err != nil {
			t.Fatal(err)
		}
	}
	c := mustLoad(t, "main.conf")
	want := []string{
		"main.conf holds a password and is readable by others (mode 0644); run: chmod 0640 main.conf",
		"base.conf is writable by others (mode 0666); run: chmod o-w base.conf",
		"agent.pass holds a password and is readable by others (mode 0604); run: chmod 0640 agent.pass",
		"token holds the API token and is readable by others (mode 0644); run: chmod 0640 token",
	}
	if !slices.Equal(c.Warnings, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(c.Warnings, "\n"), strings.Join(want, "\n"))
	}

	// base.conf holds no password: readable by others is fine.
	for _, name := range []string{"main.conf", "agent.pass", "base.conf", "token"} {
		if err := os.Chmod(name, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod("base.conf", 0o644); err != nil {
		t.Fatal(err)
	}
	if c := mustLoad(t, "main.conf"); len(c.Warnings) != 0 {
		t.Errorf("warnings after chmod: %q", c.Warnings)
	}
}

// TestSeedPasswordWarning: the seed's files carry passwords in clear; as
// installed world-readable, MMM refused them and we warn.
func TestSeedPasswordWarning(t *testing.T) {
	files := map[string]string{}
	for _, name := range []string{"mmm_common.conf", "mmm_mon.conf"} {
		data, err := os.ReadFile("testdata/seed/" + name)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(data)
	}
	inDir(t, files)
	for _, mode := range []os.FileMode{0o644, 0o640} {
		for name := range files {
			if err := os.Chmod(name, mode); err != nil {
				t.Fatal(err)
			}
		}
		c := mustLoad(t, "mmm_mon.conf")
		var want []string
		if mode == 0o644 {
			want = []string{
				"mmm_mon.conf holds a password and is readable by others (mode 0644); run: chmod 0640 mmm_mon.conf",
				"mmm_common.conf holds a password and is readable by others (mode 0644); run: chmod 0640 mmm_common.conf",
			}
		}
		if !slices.Equal(c.Warnings, want) {
			t.Errorf("mode %04o: warnings %q, want %q", mode, c.Warnings, want)
		}
	}
}

func TestEmptyPasswordFileKey(t *testing.T) {
	inDir(t, map[string]string{
		"base.conf": labBase,
		"main.conf": "include base.conf\n<keepalived>\n    auth_pass_file\n</keepalived>\n",
	})
	_, err := Load("main.conf")
	if want := "main.conf:3: keepalived: auth_pass_file: expected the path of a file holding the password"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}
