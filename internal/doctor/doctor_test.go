package doctor

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

func TestGlobalPrivileges(t *testing.T) {
	for _, tc := range []struct {
		flavor dbctl.Flavor
		grants []string
		want   []string
	}{
		{dbctl.MariaDB, []string{"GRANT USAGE ON *.* TO `a`@`%`"}, []string{"USAGE"}},
		{dbctl.MariaDB, []string{"GRANT REPLICATION CLIENT, replica monitor ON *.* TO `a`@`%` IDENTIFIED BY PASSWORD '*X'"}, []string{"BINLOG MONITOR", "SLAVE MONITOR"}},
		{dbctl.MariaDB, []string{"GRANT ALL ON *.* TO 'a'@'%'"}, []string{"ALL PRIVILEGES"}},
		{dbctl.MariaDB, []string{"GRANT SELECT, INSERT ON `app`.* TO `a`@`%`", "GRANT `role1` TO `a`@`%`"}, nil},
		{dbctl.MySQL, []string{"GRANT PROCESS ON *.* TO `a`@`%`", "GRANT CONNECTION_ADMIN,SYSTEM_VARIABLES_ADMIN ON *.* TO `a`@`%`"}, []string{"CONNECTION_ADMIN", "PROCESS", "SYSTEM_VARIABLES_ADMIN"}},
		{dbctl.MySQL, []string{"GRANT REPLICATION CLIENT ON *.* TO `a`@`%`"}, []string{"REPLICATION CLIENT"}},
	} {
		got := globalPrivileges(tc.grants, tc.flavor)
		var names []string
		for p := range got {
			names = append(names, p)
		}
		slices.Sort(names)
		if !slices.Equal(names, tc.want) {
			t.Errorf("%s %q: got %v, want %v", tc.flavor, tc.grants, names, tc.want)
		}
	}
}

func TestAccountQuoted(t *testing.T) {
	for in, want := range map[string]string{
		"mmm_agent@198.18.0.%": "'mmm_agent'@'198.18.0.%'",
		"`repl`@`%`":           "'repl'@'%'",
		"":                     "'u'@'HOST'",
	} {
		if got := accountQuoted(in, "u"); got != want {
			t.Errorf("accountQuoted(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVersions(t *testing.T) {
	for v, ok := range map[string]bool{"2.2.7": true, "v2.2.8": true, "2.3": true, "3.0.0": true, "2.2.6": false, "2.1.5": false, "1.3.5": false, "2.2.7-rc1": true, "": false} {
		if got := versionAtLeast(v, MinKeepalived); got != ok {
			t.Errorf("versionAtLeast(%q) = %v", v, got)
		}
	}
	out := "Keepalived v2.2.7 (01/16,2022)\n\nCopyright(C) 2001-2022 Alexandre Cassen\n"
	if v, err := parseKeepalivedVersion(out, nil); v != "2.2.7" || err != nil {
		t.Errorf("parse: %q %v", v, err)
	}
	if v, err := parseKeepalivedVersion(out, errors.New("exit status 1")); v != "2.2.7" || err != nil {
		t.Errorf("parse with exit status: %q %v", v, err)
	}
	if _, err := parseKeepalivedVersion("", exec.ErrNotFound); !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("not found: %v", err)
	}
	if _, err := parseKeepalivedVersion("hello", nil); err == nil {
		t.Error("no version: no error")
	}
}

func TestParseEpoch(t *testing.T) {
	got, err := parseEpoch("1716800000.123456")
	if err != nil || !got.Equal(time.Unix(1716800000, 123456000)) {
		t.Errorf("got %v %v", got, err)
	}
	for _, bad := range []string{"", "x", "1e30"} {
		if _, err := parseEpoch(bad); err == nil {
			t.Errorf("parseEpoch(%q): no error", bad)
		}
	}
}

func TestOriginOf(t *testing.T) {
	for src, want := range map[string]Origin{
		"CONFIG": OriginStartup, "COMMAND-LINE": OriginStartup, "COMPILE-TIME": OriginDefault, "SQL": OriginRuntime,
		"COMPILED": OriginDefault, "PERSISTED": OriginStartup, "DYNAMIC": OriginRuntime, "GLOBAL": OriginStartup, "AUTO": "",
	} {
		if got := originOf(src); got != want {
			t.Errorf("originOf(%q) = %q, want %q", src, got, want)
		}
	}
}

func TestDetectLocal(t *testing.T) {
	cfg := labConfig(t, "")
	withThis := func(this string) *config.Config { c := *cfg; c.This = this; return &c }
	for _, tc := range []struct {
		name string
		cfg  *config.Config
		m    Machine
		want string
	}{
		{"this writer host", withThis("db2"), Machine{Hostname: "db1"}, "db2"},
		{"this replica", withThis("db3"), Machine{Hostname: "db1"}, ""},
		{"host name", cfg, Machine{Hostname: "db1.example.com"}, "db1"},
		{"address", cfg, Machine{Hostname: "x", Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("198.18.0.12")}}, "db2"},
		{"replica address", cfg, Machine{Hostname: "x", Addrs: []netip.Addr{netip.MustParseAddr("198.18.0.13")}}, ""},
		{"nothing", cfg, Machine{}, ""},
	} {
		if got := DetectLocal(tc.cfg, tc.m); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestWriteText(t *testing.T) {
	r := &Report{Writer: "db1", Hosts: []HostSummary{{Host: "db1"}, {Host: "db2"}}, Problems: []Problem{
		{Severity: Error, Host: "db2", Check: "read_only", Message: "db2 is writable", Fix: "SET GLOBAL read_only=ON;\nin my.cnf"},
		{Severity: Warning, Check: "gtid", Message: "m"},
	}, Errors: 1, Warnings: 1}
	var b bytes.Buffer
	if err := WriteText(&b, r); err != nil {
		t.Fatal(err)
	}
	want := "ERROR   db2 read_only: db2 is writable\n" +
		"  fix: SET GLOBAL read_only=ON;\n" +
		"       in my.cnf\n" +
		"WARNING cluster gtid: m\n" +
		"\nFAILED: 1 error, 1 warning, 0 notes (db1, db2 checked, writer db1)\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	_ = WriteText(&b, &Report{Hosts: []HostSummary{{Host: "db1"}}, Local: "db1"})
	if got := b.String(); got != "OK: no problems found (db1 checked, keepalived on db1)\n" {
		t.Errorf("clean: %q", got)
	}
	b.Reset()
	_ = WriteText(&b, &Report{Hosts: []HostSummary{{Host: "db1"}}, Problems: []Problem{{Severity: Note, Host: "db1", Check: "c", Message: "n"}}, Notes: 1})
	if got := b.String(); !strings.HasSuffix(got, "OK: no errors; 0 warnings, 1 note (db1 checked)\n") {
		t.Errorf("notes only: %q", got)
	}
}

// fakeCollector returns canned facts, and records the hosts asked.
type fakeCollector struct {
	mu    sync.Mutex
	facts map[string]*Facts
	asked []string
}

func (c *fakeCollector) Collect(ctx context.Context, h *config.Host) *Facts {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked = append(c.asked, h.Name)
	if ctx.Err() != nil {
		return &Facts{Host: h.Name, Err: ctx.Err()}
	}
	return c.facts[h.Name]
}

type fakeProbe struct {
	version string
	files   map[string][]byte
}

func (p fakeProbe) KeepalivedVersion(context.Context) (string, error) { return p.version, nil }
func (p fakeProbe) ReadFile(path string) ([]byte, error) {
	if b, ok := p.files[path]; ok {
		return b, nil
	}
	return nil, errors.New("no such file")
}

func TestRun(t *testing.T) {
	cfg := labConfig(t, "<host mon>\n    ip 198.18.0.20\n    mode witness\n</host>\n")
	col := &fakeCollector{facts: healthyFacts()}
	col.facts["db2"] = nil // a collector that returned nothing
	var progress bytes.Buffer
	render := func(_ *config.Config, host string) ([]byte, error) { return []byte("conf of " + host + "\n"), nil }
	r := Run(context.Background(), cfg, Options{LocalHost: "db1", KeepalivedConf: "/k.conf", Render: render, Progress: &progress},
		col, fakeProbe{version: "2.2.7", files: map[string][]byte{"/k.conf": []byte("conf of db1\n")}})
	slices.Sort(col.asked)
	if !slices.Equal(col.asked, []string{"db1", "db2", "db3"}) {
		t.Errorf("asked %v: the witness has no MySQL", col.asked)
	}
	lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
	if len(lines) != 4 || !slices.ContainsFunc(lines, func(l string) bool {
		return strings.HasPrefix(l, "doctor: db1 (198.18.0.11:3306): mariadb 10.11.6 checked (")
	}) || !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "doctor: db2 (): cannot connect: nothing collected") }) ||
		!slices.Contains(lines, "doctor: db1: keepalived 2.2.7, /k.conf") {
		t.Errorf("progress:\n%s", progress.String())
	}
	matchProblems(t, r, []want{
		{Error, "db2", "connect", "nothing collected", ""},
		// db3 cannot tell its writer from db2 now, but db1 is the only writable master.
		{Note, "db1", "read_only", "", ""},
	})
	if r.Local != "db1" || r.Writer != "db1" {
		t.Errorf("local %q writer %q", r.Local, r.Writer)
	}
}
