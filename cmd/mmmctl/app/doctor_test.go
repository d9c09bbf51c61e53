package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
	"github.com/mmm-keepalived/mmm-keepalived/internal/doctor"
)

const doctorConf = `active_master_role writer
<host default>
    agent_user mmm_agent
    agent_password a
    monitor_user mmm_monitor
    monitor_password m
</host>
<host db1>
    ip 198.18.0.11
    mode master
    peer db2
    cluster_interface eth0
</host>
<host db2>
    ip 198.18.0.12
    mode master
    peer db1
    cluster_interface eth0
</host>
<role writer>
    hosts db1, db2
    ips 198.18.0.100
    mode exclusive
</role>
<keepalived>
    virtual_router_id 51
</keepalived>
`

// doctorFake answers every server with one set of facts: db1 the
// writer, db2 replicating from it; readOnly2 is db2's read_only.
type doctorFake struct{ readOnly2 string }

func (d doctorFake) Collect(_ context.Context, h *config.Host) *doctor.Facts {
	ro, src := "OFF", ""
	if h.Name == "db2" {
		ro, src = d.readOnly2, "198.18.0.11"
	}
	now := time.Now()
	f := &doctor.Facts{Host: h.Name, Addr: h.IP.String() + ":3306", Flavor: dbctl.MariaDB, Version: dbctl.Version{Major: 10, Minor: 11, Patch: 6},
		Accounts: []doctor.Account{
			{Kind: doctor.KindAgent, User: "mmm_agent", Current: "mmm_agent@%", Grants: []string{"GRANT ALL PRIVILEGES ON *.* TO `mmm_agent`@`%`"}},
			{Kind: doctor.KindMonitor, User: "mmm_monitor", Current: "mmm_monitor@%", Grants: []string{"GRANT SLAVE MONITOR ON *.* TO `mmm_monitor`@`%`"}},
		},
		Vars:     map[string]string{"read_only": ro, "log_bin": "ON", "log_slave_updates": "ON", "binlog_format": "ROW", "server_id": h.IP.String()[len(h.IP.String())-1:], "gtid_strict_mode": "ON", "gtid_domain_id": "0"},
		Origins:  map[string]doctor.Origin{"read_only": doctor.OriginStartup, "rpl_semi_sync_master_timeout": doctor.OriginStartup},
		Semisync: &dbctl.SemisyncStatus{MasterEnabled: h.Name == "db1", Clients: 1, MasterTimeout: 8500 * time.Millisecond, ReplicaEnabled: true},
		Sent:     now, Received: now, ServerTime: now,
	}
	if h.Name == "db1" {
		f.Origins["read_only"] = doctor.OriginRuntime // opened at runtime
	}
	if src != "" {
		f.Replica = &dbctl.ReplicaStatus{IO: dbctl.ThreadRunning, SQL: dbctl.ThreadRunning, SourceHost: src, SourcePort: 3306, AutoPosition: true}
	}
	return f
}

type doctorProbe struct{}

func (doctorProbe) KeepalivedVersion(context.Context) (string, error) { return "2.2.7", nil }
func (doctorProbe) ReadFile(string) ([]byte, error)                   { return []byte("edited\n"), nil }

func runDoctor(t *testing.T, fake doctorFake, machine doctor.Machine, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	saved := doctorHooks
	t.Cleanup(func() { doctorHooks = saved })
	doctorHooks.collector = func() doctor.Collector { return fake }
	doctorHooks.probe = func() doctor.LocalProbe { return doctorProbe{} }
	doctorHooks.machine = func() doctor.Machine { return machine }
	a := New()
	var out, errb bytes.Buffer
	a.Writer, a.ErrWriter = &out, &errb
	err := a.Run(append([]string{"mmmctl"}, args...))
	code = Report(&errb, err)
	return out.String(), errb.String(), code
}

func TestDoctorCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mmm_common.conf")
	if err := os.WriteFile(path, []byte(doctorConf), 0o600); err != nil {
		t.Fatal(err)
	}
	nowhere := doctor.Machine{Hostname: "ops"}

	out, errOut, code := runDoctor(t, doctorFake{readOnly2: "ON"}, nowhere, "--config", path, "doctor")
	if code != 0 || !strings.Contains(out, "OK: no errors; 0 warnings, 1 note (db1, db2 checked, writer db1)") ||
		!strings.Contains(errOut, "doctor: db1 (198.18.0.11:3306): mariadb 10.11.6 checked") || !strings.Contains(errOut, "doctor: db2 (") {
		t.Errorf("clean: exit %d\n%s\nstderr:\n%s", code, out, errOut)
	}

	out, errOut, code = runDoctor(t, doctorFake{readOnly2: "OFF"}, nowhere, "--config", path, "doctor", "--writer", "db1")
	if code != ExitDoctor || !strings.Contains(out, "ERROR   db2 read_only: db2 is writable") ||
		!strings.Contains(errOut, "mmmctl: doctor: 1 error(s) found") {
		t.Errorf("writable db2: exit %d\n%s\nstderr:\n%s", code, out, errOut)
	}

	out, _, code = runDoctor(t, doctorFake{readOnly2: "OFF"}, nowhere, "--config", path, "--json", "doctor", "--writer", "db1")
	var r doctor.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != ExitDoctor || r.Errors != 1 || r.Problems[0].Severity != doctor.Error || r.Problems[0].Host != "db2" {
		t.Errorf("json: exit %d, %v\n%s", code, err, out)
	}

	// On db1 (by its address) keepalived is checked: the installed file
	// was edited.
	out, _, code = runDoctor(t, doctorFake{readOnly2: "ON"}, doctor.Machine{Addrs: []netip.Addr{netip.MustParseAddr("198.18.0.11")}},
		"--config", path, "doctor", "--keepalived-conf", "/x/keepalived.conf")
	if code != ExitDoctor || !strings.Contains(out, "ERROR   db1 keepalived: /x/keepalived.conf differs from what mmmctl keepalived render produces for db1") {
		t.Errorf("keepalived: exit %d\n%s", code, out)
	}

	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--config", path, "doctor", "--local"}, ExitUsage, "doctor --local: this machine is none of the writer role's hosts"},
		{[]string{"--config", path, "doctor", "--keepalived-conf", "/k"}, ExitUsage, "this machine is no writer host"},
		{[]string{"--config", path, "doctor", "--writer", "db9"}, ExitUnknown, "--writer db9: not a host of the writer role"},
		{[]string{"--config", path, "doctor", "extra"}, ExitUsage, "doctor: want no arguments, got 1"},
		{[]string{"--config", filepath.Join(t.TempDir(), "none.conf"), "doctor"}, ExitConfig, "none.conf"},
	} {
		_, errOut, code := runDoctor(t, doctorFake{readOnly2: "ON"}, nowhere, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d, %q", tc.args, code, errOut, tc.code, tc.msg)
		}
	}
}
