package mycnf

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheck: skip_slave_start must be set, init_rpl_role = SLAVE must
// not; the later option wins, as in mysqld.
func TestCheck(t *testing.T) {
	tests := []struct {
		opts []string
		want []string // substrings, one per problem
	}{
		{[]string{"--skip-slave-start"}, nil},
		{[]string{"--skip_slave_start=ON", "--init-rpl-role=MASTER"}, nil},
		{[]string{"--log-bin", "--skip-slave-start=1"}, nil},
		{nil, []string{"skip_slave_start is not set"}},
		{[]string{"--skip-slave-start", "--skip-slave-start=OFF"}, []string{"skip_slave_start is not set"}},
		{[]string{"--skip-slave-start", "--init_rpl_role=slave"}, []string{"init_rpl_role = SLAVE is set"}},
		{[]string{"--init-rpl-role=SLAVE"}, []string{"skip_slave_start is not set", "init_rpl_role = SLAVE is set"}},
	}
	for _, tt := range tests {
		got := Check(tt.opts)
		if len(got) != len(tt.want) {
			t.Errorf("%q: %q, want %q", tt.opts, got, tt.want)
			continue
		}
		for i := range got {
			if !strings.Contains(got[i], tt.want[i]) {
				t.Errorf("%q: %q, want %q", tt.opts, got, tt.want)
			}
		}
	}
}

// TestOptions reads the options of a real process the way it reads
// mysqld's: its command line's defaults file through my_print_defaults
// (MariaDB's client tools), then its command line.
func TestOptions(t *testing.T) {
	if _, err := exec.LookPath("my_print_defaults"); err != nil {
		t.Skip("needs my_print_defaults (MariaDB, which .ci/run installs)")
	}
	dir := t.TempDir()
	for _, tt := range []struct {
		cnf  string
		args []string
		ok   bool
	}{
		{"[mysqld]\nskip_slave_start\n", nil, true},
		{"[mariadbd]\nlog_bin\n", []string{"--skip-slave-start"}, true},
		{"[mysqld]\nlog_bin\n", nil, false},
		{"[client]\nskip_slave_start\n", nil, false},
	} {
		cnf := filepath.Join(dir, "my.cnf")
		if err := os.WriteFile(cnf, []byte(tt.cnf), 0o644); err != nil {
			t.Fatal(err)
		}
		// A stand-in for mysqld: a shell sleeping with mysqld's arguments
		// in its command line.
		cmd := exec.Command("sh", append([]string{"-c", "sleep 30; :", "mysqld", "--defaults-file=" + cnf}, tt.args...)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Just after the fork the command line reads empty for a moment.
		for i := 0; i < 500; i++ {
			if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", cmd.Process.Pid)); err == nil && len(b) > 0 {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		opts, err := Options(context.Background(), cmd.Process.Pid)
		cmd.Process.Kill()
		cmd.Wait()
		if err != nil {
			t.Fatal(err)
		}
		if probs := Check(opts); (len(probs) == 0) != tt.ok {
			t.Errorf("%q %q: %q, want ok %v", tt.cnf, tt.args, probs, tt.ok)
		}
	}
}
