package packaging

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// unitKeys reads a unit file's KEY=VALUE lines (the last of each key).
func unitKeys(t *testing.T, name string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(static("..", name))
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			keys[k] = v
		}
	}
	return keys
}

// TestClusterUnit: the template unit mmm-coordinator@NAME.service ships
// in every package beside mmm-coordinator.service, runs --cluster NAME,
// and its directories are those of the cluster's default runtime paths
// (config.DefaultRuntimePaths), as the default unit's are the default
// cluster's.
func TestClusterUnit(t *testing.T) {
	want := map[string]string{
		unitDir + "/mmm-coordinator.service":  static("..", "mmm-coordinator.service"),
		unitDir + "/mmm-coordinator@.service": static("..", "mmm-coordinator@.service"),
	}
	for _, c := range contents("..", stage(t.TempDir()), "amd64", Commands) {
		if src, ok := want[c.Destination]; ok {
			if c.Source != src || c.Packager != "" || c.FileInfo.Mode != 0o644 {
				t.Errorf("%s: from %s, packager %q, mode %o; want %s, every package, 0644", c.Destination, c.Source, c.Packager, c.FileInfo.Mode, src)
			}
			delete(want, c.Destination)
		}
	}
	for dst := range want {
		t.Errorf("%s is not in the packages", dst)
	}

	for _, tc := range []struct {
		unit, cluster, execStart string
	}{
		{"mmm-coordinator.service", "", "/usr/bin/mmm-coordinator --config " + ConfigFile},
		{"mmm-coordinator@.service", "%i", "/usr/bin/mmm-coordinator --cluster %i"},
	} {
		keys := unitKeys(t, tc.unit)
		paths := config.DefaultRuntimePaths(tc.cluster)
		if keys["ExecStart"] != tc.execStart {
			t.Errorf("%s: ExecStart=%s, want %s", tc.unit, keys["ExecStart"], tc.execStart)
		}
		if got := "/var/lib/" + keys["StateDirectory"]; got != paths.DataDir {
			t.Errorf("%s: StateDirectory is %s, the data_dir default %s", tc.unit, got, paths.DataDir)
		}
		for _, p := range []string{paths.APISocket, paths.TrackFile, paths.NotifyFifo} {
			if got := "/run/" + keys["RuntimeDirectory"]; filepath.Dir(p) != got {
				t.Errorf("%s: RuntimeDirectory is %s, %s is elsewhere", tc.unit, got, p)
			}
		}
		if keys["RuntimeDirectoryPreserve"] != "yes" {
			t.Errorf("%s: the runtime directory, shared with keepalived and the other clusters, must stay", tc.unit)
		}
	}
	if keys := unitKeys(t, "mmm-coordinator@.service"); keys["Before"] != "keepalived.service" {
		t.Errorf("mmm-coordinator@.service: Before=%s, want keepalived.service", keys["Before"])
	}
}
