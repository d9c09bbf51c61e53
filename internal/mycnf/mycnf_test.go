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

// TestRestartOptions: the self-fence kills a cut-off writer only when its
// restart discards what waited for an acknowledgement and does not
// replicate by itself; the later option wins, as in mysqld.
func TestRestartOptions(t *testing.T) {
	tests := []struct {
		opts    []string
		ok      bool
		missing string
	}{
		{[]string{"--init-rpl-role=SLAVE", "--skip-slave-start"}, true, ""},
		{[]string{"--init_rpl_role=slave", "--skip_slave_start=ON"}, true, ""},
		{[]string{"--log-bin", "--skip-slave-start=1", "--init-rpl-role=SLAVE"}, true, ""},
		{[]string{"--skip-slave-start"}, false, "init_rpl_role = SLAVE"},
		{[]string{"--init-rpl-role=MASTER", "--skip-slave-start"}, false, "init_rpl_role = SLAVE"},
		{[]string{"--init-rpl-role=SLAVE"}, false, "skip_slave_start"},
		{[]string{"--init-rpl-role=SLAVE", "--skip-slave-start", "--skip-slave-start=OFF"}, false, "skip_slave_start"},
		{nil, false, "init_rpl_role = SLAVE and skip_slave_start"},
	}
	for _, tt := range tests {
		ok, missing := RestartOptions(tt.opts)
		if ok != tt.ok || !strings.Contains(missing, tt.missing) || (tt.ok && missing != "") {
			t.Errorf("%q: %v %q, want %v %q", tt.opts, ok, missing, tt.ok, tt.missing)
		}
	}
}

// TestRestartDiscards reads the options of a real process the way it
// reads mysqld's: its command line's defaults file through
// my_print_defaults (MariaDB's client tools).
func TestRestartDiscards(t *testing.T) {
	if _, err := exec.LookPath("my_print_defaults"); err != nil {
		t.Skip("needs my_print_defaults (MariaDB, which .ci/run installs)")
	}
	dir := t.TempDir()
	for _, tt := range []struct {
		cnf  string
		args []string
		ok   bool
	}{
		{"[mysqld]\ninit_rpl_role = SLAVE\nskip_slave_start\n", nil, true},
		{"[mariadbd]\ninit_rpl_role = SLAVE\n", []string{"--skip-slave-start"}, true},
		{"[mysqld]\nskip_slave_start\n", nil, false},
		{"[client]\ninit_rpl_role = SLAVE\nskip_slave_start\n", nil, false},
	} {
		cnf := filepath.Join(dir, "my.cnf")
		if err := os.WriteFile(cnf, []byte(tt.cnf), 0o644); err != nil {
			t.Fatal(err)
		}
		// A stand-in for mysqld: sleep with mysqld's arguments in its
		// command line (it ignores them as it sleeps).
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
		ok, missing := RestartDiscards(context.Background(), cmd.Process.Pid)
		cmd.Process.Kill()
		cmd.Wait()
		if ok != tt.ok {
			t.Errorf("%q %q: %v (%s), want %v", tt.cnf, tt.args, ok, missing, tt.ok)
		}
	}
}
