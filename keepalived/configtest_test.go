package keepalived

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// keepalived -t exit codes (keepalived 2.2.7, enum exit_code in main.h),
// as measured here:
//
//	0  accepted. Also for a missing -f file ("Config files missing"):
//	   only the output tells, hence configTest also wants no output.
//	5  KEEPALIVED_EXIT_CONFIG_TEST: an unknown keyword, a missing
//	   interface, authentication with VRRPv3, a fractional VRRPv2
//	   advert_int, a script that cannot be found.
//	6  KEEPALIVED_EXIT_CONFIG_TEST_SECURITY: scripts configured without
//	   enable_script_security.
const (
	exitConfigTest     = 5
	exitConfigSecurity = 6
)

// testBins makes executables at the paths the rendered configuration
// names, in a directory keepalived's script security accepts (root's,
// not writable by others), and points cfg at them.
func testBins(t *testing.T, cfg *config.Config) {
	t.Helper()
	dir := t.TempDir()
	script := []byte("#!/bin/sh\nexit 0\n")
	ka := &cfg.Keepalived
	ka.CheckBin = filepath.Join(dir, "mmm-check")
	ka.NotifyBin = filepath.Join(dir, "mmm-notify")
	for _, p := range []string{ka.CheckBin, ka.NotifyBin} {
		if err := os.WriteFile(p, script, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if ka.NotifyFifo != "" {
		ka.NotifyFifo = filepath.Join(dir, "vrrp.fifo")
	}
	for _, h := range cfg.Hosts {
		h.TrackFile = filepath.Join(dir, "writer.track")
	}
	cfg.Files = []string{filepath.Join(dir, "mmm_agent.conf")}
}

// needKeepalived skips the test unless keepalived -t can run for real.
func needKeepalived(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("keepalived -t needs root: it checks script security as root and the test makes a network namespace")
	}
	bin, err := exec.LookPath("keepalived")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/keepalived"); serr != nil {
			t.Skip("keepalived is not installed (apt-get install keepalived)")
		}
		bin = "/usr/sbin/keepalived"
	}
	for _, tool := range []string{"unshare", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is missing: the test runs keepalived -t in a network namespace of its own", tool)
		}
	}
	return bin
}

// configTest runs keepalived -t -f file in a fresh, anonymous network
// namespace holding only a veth pair whose end is named iface (keepalived
// -t fails on a missing interface), so that the result does not depend
// on this machine's interfaces. The namespace has no address and no link
// to any other, and disappears with the process. It returns the exit code
// and keepalived's output.
func configTest(t *testing.T, keepalived, iface, file string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "unshare", "--net", "--", "sh", "-ec",
		`ip link add "$1" type veth peer name mmmka-peer; exec "$2" -t -f "$3"`,
		"sh", iface, keepalived, file)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &exit) && ctx.Err() == nil:
		return exit.ExitCode(), out.String()
	}
	t.Fatalf("keepalived -t: %v: %s", err, out.String())
	return 0, ""
}

// TestKeepalivedAccepts validates every golden case with the real
// keepalived -t: exit 0 and not one warning.
func TestKeepalivedAccepts(t *testing.T) {
	bin := needKeepalived(t)
	for _, g := range goldenCases {
		t.Run(g.name, func(t *testing.T) {
			cfg := g.config()
			testBins(t, cfg)
			conf, err := Render(cfg, g.host)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			file := filepath.Join(t.TempDir(), "keepalived.conf")
			if err := os.WriteFile(file, conf, 0o600); err != nil {
				t.Fatal(err)
			}
			code, out := configTest(t, bin, "eth0", file)
			if code != 0 || out != "" {
				t.Errorf("keepalived -t -f %s: exit %d, output %q; want exit 0 and no output\n%s", file, code, out, conf)
			}
		})
	}
}

// TestKeepalivedRejects shows that configTest sees keepalived's verdict:
// edits of a good rendered file that keepalived must refuse.
func TestKeepalivedRejects(t *testing.T) {
	bin := needKeepalived(t)
	tests := []struct {
		name     string
		old, new string
		iface    string
		code     int
		output   string
	}{
		{"no script security", "    enable_script_security\n", "", "eth0", exitConfigSecurity,
			"SECURITY VIOLATION - scripts are being executed but script_security not enabled."},
		{"authentication with VRRPv3", "    version 3\n", "    version 3\n    authentication {\n        auth_type PASS\n        auth_pass mmmlab01\n    }\n",
			"eth0", exitConfigTest, "VRRP version 3 does not support authentication"},
		{"fractional VRRPv2 advert_int", "    version 3\n", "    version 2\n", "eth0", exitConfigTest,
			"advertisement interval 0.100000s must be an integer"},
		{"interface missing", "", "", "eth1", exitConfigTest, "Non-existent interface specified in configuration"},
		{"unknown keyword", "    nopreempt\n", "    nopreempt\n    no_such_keyword 1\n", "eth0", exitConfigTest,
			"Unknown keyword 'no_such_keyword'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := labConfig()
			testBins(t, cfg)
			conf, err := Render(cfg, "db1")
			if err != nil {
				t.Fatal(err)
			}
			text := string(conf)
			if tt.old != "" {
				if !strings.Contains(text, tt.old) {
					t.Fatalf("rendered file lacks %q", tt.old)
				}
				text = strings.Replace(text, tt.old, tt.new, 1)
			}
			file := filepath.Join(t.TempDir(), "keepalived.conf")
			if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out := configTest(t, bin, tt.iface, file)
			if code != tt.code || !strings.Contains(out, tt.output) {
				t.Errorf("keepalived -t: exit %d, output %q; want exit %d and %q", code, out, tt.code, tt.output)
			}
		})
	}
}
