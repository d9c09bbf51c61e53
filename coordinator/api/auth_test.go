package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

func TestTokenEqual(t *testing.T) {
	for _, tc := range []struct {
		got, want string
		ok        bool
	}{
		{"s3cret", "s3cret", true},
		{"s3cre", "s3cret", false},
		{"s3cret!", "s3cret", false},
		{"S3cret", "s3cret", false},
		{"", "s3cret", false},
		{"", "", false}, // an empty token never matches
	} {
		if ok := tokenEqual([]byte(tc.got), []byte(tc.want)); ok != tc.ok {
			t.Errorf("tokenEqual(%q, %q) = %v, want %v", tc.got, tc.want, ok, tc.ok)
		}
	}
}

func TestBearer(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"Bearer abc", "abc"},
		{"bearer  abc ", "abc"},
		{"Basic abc", ""},
		{"Bearer", ""},
		{"", ""},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		if got := string(bearer(r)); got != tc.want {
			t.Errorf("bearer(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:9991":   true,
		"127.1.2.3:0":      true,
		"[::1]:9991":       true,
		"localhost:9991":   true,
		"198.18.0.11:9991": false,
		"0.0.0.0:9991":     false,
		"[::]:9991":        false,
		":9991":            false,
		"db1:9991":         false,
		"127.0.0.1":        false, // no port: not an address we can judge
	} {
		if got := isLoopback(addr); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestReadToken(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if tok, err := ReadToken(write("ok", "  s3cret\n")); err != nil || string(tok) != "s3cret" {
		t.Errorf("ReadToken = %q, %v; want s3cret", tok, err)
	}
	for name, content := range map[string]string{"empty": " \n", "two": "a\nb\n"} {
		if _, err := ReadToken(write(name, content)); err == nil {
			t.Errorf("ReadToken(%s): no error", name)
		}
	}
	if _, err := ReadToken(filepath.Join(dir, "missing")); err == nil {
		t.Error("ReadToken(missing): no error")
	}
}

func TestReplyCode(t *testing.T) {
	for text, want := range map[string]Code{
		"ERROR: Unknown host name 'db9'!":                              CodeUnknownHost,
		"ERROR: Unknown role name 'wrter'!":                            CodeUnknownRole,
		"ERROR: Unknown ip '1.2.3.4'!":                                 CodeUnknownRole,
		"ERROR: Unknown check 'pong'!":                                 CodeUnknownCheck,
		"ERROR: This command is only allowed in passive mode":          CodeRefused,
		"ERROR: Host 'db1' is 'HARD_OFFLINE' at the moment. It can't…": CodeRefused,
	} {
		if got := replyCode(text); got != want {
			t.Errorf("replyCode(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestCodeRoundTrip(t *testing.T) {
	for c := CodeBadRequest; int(c) < len(codeNames); c++ {
		b, _ := c.MarshalText()
		var back Code
		if err := back.UnmarshalText(b); err != nil || back != c {
			t.Errorf("%v: round trip gave %v, %v", c, back, err)
		}
		if e := (&Error{Code: c}); !errors.Is(e, c.sentinel()) {
			t.Errorf("%v: errors.Is(sentinel) is false", c)
		}
	}
	var unknown Code
	if err := unknown.UnmarshalText([]byte("from_the_future")); err != nil || unknown != CodeInvalid {
		t.Errorf("unknown code decoded as %v, %v", unknown, err)
	}
	if !errors.Is(&Error{Code: unknown}, ErrUnavailable) {
		t.Error("an unknown code is not treated as unavailable")
	}
}

func TestSwitchoverCommand(t *testing.T) {
	spec := fsm.Spec{
		ActiveMasterRole: "writer",
		Hosts:            []fsm.HostSpec{{Name: "db1"}, {Name: "db2"}, {Name: "db3"}},
		Roles:            []fsm.RoleSpec{{Name: "writer", Hosts: []string{"db1", "db2"}}},
	}
	state := func(db2 fsm.HostState) fsm.State {
		return fsm.State{
			Hosts: []fsm.HostStatus{{Name: "db1", State: fsm.StateOnline}, {Name: "db2", State: db2}, {Name: "db3", State: fsm.StateOnline}},
			Roles: []fsm.RoleAssignment{{Role: "writer", IPs: []fsm.IPAssignment{{Host: "db1"}}}},
		}
	}
	for _, tc := range []struct {
		name string
		spec fsm.Spec
		db2  fsm.HostState
		to   string
		want string // the command, or the refusal text
	}{
		{"peer", spec, fsm.StateOnline, "", "move_role writer db2"},
		{"explicit target", spec, fsm.StateOnline, "db3", "move_role writer db3"},
		{"peer offline", spec, fsm.StateHardOffline, "", "ERROR: No host can take over role 'writer': 'db2' is 'HARD_OFFLINE'."},
		{"no writer role", fsm.Spec{Hosts: spec.Hosts}, fsm.StateOnline, "", "ERROR: No active_master_role is configured. There is no writer to switch over."},
		{"single host", fsm.Spec{ActiveMasterRole: "writer", Roles: []fsm.RoleSpec{{Name: "writer", Hosts: []string{"db1"}}}},
			fsm.StateOnline, "", "ERROR: Role 'writer' has no other host to switch over to."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd, refusal := switchoverCommand(Snapshot{Spec: tc.spec, State: state(tc.db2)}, tc.to)
			got := cmd.String()
			if refusal != nil {
				got = refusal.Text
				if refusal.OK {
					t.Error("refusal is OK")
				}
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
