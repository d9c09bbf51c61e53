package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// useDefaultPaths points DefaultPaths into dir for the test (not
// parallel: DefaultPaths is global).
func useDefaultPaths(t *testing.T, dir string) (ours, mmm string) {
	t.Helper()
	saved := DefaultPaths
	ours, mmm = filepath.Join(dir, "mmm-keepalived", "mmm.conf"), filepath.Join(dir, "mysql-mmm", "mmm_agent.conf")
	DefaultPaths = []string{ours, mmm}
	t.Cleanup(func() { DefaultPaths = saved })
	for _, p := range DefaultPaths {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return ours, mmm
}

func TestCheckClusterName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"c2", true}, {"prod-eu_1", true}, {"C", true}, {"9", true}, {strings.Repeat("a", 64), true},
		{"", false}, {"-c2", false}, {"_c2", false}, {"c 2", false}, {"c/2", false}, {"../c2", false},
		{"c.2", false}, {"c2\n", false}, {"é", false}, {"c@2", false}, {strings.Repeat("a", 65), false},
	} {
		err := CheckClusterName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("CheckClusterName(%q) = %v, want ok %v", tc.name, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "want letters, digits, '-' and '_'") {
			t.Errorf("CheckClusterName(%q): unclear error %q", tc.name, err)
		}
	}
}

// TestClusterPath: @NAME's file is mmm_NAME.conf next to mmm.conf, else
// MMM's mmm_agent_NAME.conf, as DefaultPath chooses between the defaults.
func TestClusterPath(t *testing.T) {
	dir := t.TempDir()
	ours, mmm := useDefaultPaths(t, dir)
	c2, mmmC2 := filepath.Join(dir, "mmm-keepalived", "mmm_c2.conf"), filepath.Join(dir, "mysql-mmm", "mmm_agent_c2.conf")
	check := func(name, want string) {
		t.Helper()
		if got, err := ClusterPath(name); err != nil || got != want {
			t.Errorf("ClusterPath(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	check("", ours)
	check("c2", c2) // none exists: the packaged name
	write := func(p string) {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(mmmC2)
	check("c2", mmmC2)
	write(c2)
	check("c2", c2)
	write(mmm)
	check("", mmm) // the default cluster is not affected by the named files
	if _, err := ClusterPath("../c2"); err == nil || !strings.Contains(err.Error(), `cluster name "../c2"`) {
		t.Errorf("ClusterPath(../c2) = %v, want the name refused", err)
	}
	for path, want := range map[string]string{
		c2: "c2", mmmC2: "c2", ours: "", mmm: "",
		filepath.Join(dir, "mmm-keepalived", "mmm_c 2.conf"): "",
		filepath.Join(dir, "elsewhere", "mmm_c2.conf"):       "",
		filepath.Join(dir, "mysql-mmm", "mmm_mon_c2.conf"):   "",
	} {
		if got := clusterOf(path); got != want {
			t.Errorf("clusterOf(%s) = %q, want %q", path, got, want)
		}
	}
}

func TestDefaultRuntimePaths(t *testing.T) {
	def := DefaultRuntimePaths("")
	if def != (RuntimePaths{DefaultAPISocket, DefaultDataDir, DefaultTrackFile, DefaultNotifyFifo}) {
		t.Errorf("default cluster: %+v", def)
	}
	want := RuntimePaths{
		APISocket:  "/run/mmm-keepalived/mmm_c2.sock",
		DataDir:    "/var/lib/mmm-keepalived-c2",
		TrackFile:  "/run/mmm-keepalived/writer_c2.track",
		NotifyFifo: "/run/mmm-keepalived/vrrp_c2.fifo",
	}
	if got := DefaultRuntimePaths("c2"); got != want {
		t.Errorf("c2: %+v, want %+v", got, want)
	}
	// Two clusters share no runtime path, and none is inside another's
	// data_dir.
	a, b := DefaultRuntimePaths("c2"), DefaultRuntimePaths("c3")
	all := []string{def.APISocket, def.DataDir, def.TrackFile, def.NotifyFifo,
		a.APISocket, a.DataDir, a.TrackFile, a.NotifyFifo, b.APISocket, b.DataDir, b.TrackFile, b.NotifyFifo}
	for i, p := range all {
		for _, q := range all[i+1:] {
			if p == q || strings.HasPrefix(q, p+"/") || strings.HasPrefix(p, q+"/") {
				t.Errorf("%s and %s collide", p, q)
			}
		}
	}
}

// TestLoadCluster: a named cluster's hosts get its own runtime paths
// unless the file sets them (in the host or <host default>); the
// default cluster's stay as they were.
func TestLoadCluster(t *testing.T) {
	inDir(t, map[string]string{
		"c2.conf": labBase + `<host db2>
    api_socket /run/db2.sock
    track_file /run/db2.track
</host>
<host default>
    data_dir /srv/raft
</host>
`,
		"fifo.conf": labBase + "<keepalived>\n    notify_fifo /run/k.fifo\n</keepalived>\n",
	})
	c, err := LoadCluster("c2.conf", "c2")
	if err != nil {
		t.Fatal(err)
	}
	c2 := DefaultRuntimePaths("c2")
	if c.Cluster != "c2" || c.Keepalived.NotifyFifo != c2.NotifyFifo {
		t.Errorf("Cluster %q, notify_fifo %q", c.Cluster, c.Keepalived.NotifyFifo)
	}
	for _, tc := range []struct{ host, socket, dataDir, track string }{
		{"db1", c2.APISocket, "/srv/raft", c2.TrackFile},
		{"db2", "/run/db2.sock", "/srv/raft", "/run/db2.track"},
		{"db3", c2.APISocket, "/srv/raft", c2.TrackFile},
	} {
		h := c.Host(tc.host)
		if h.APISocket != tc.socket || h.DataDir != tc.dataDir || h.TrackFile != tc.track {
			t.Errorf("%s: %s %s %s, want %s %s %s", tc.host, h.APISocket, h.DataDir, h.TrackFile, tc.socket, tc.dataDir, tc.track)
		}
	}
	c = mustLoad(t, "c2.conf")
	if h := c.Host("db1"); c.Cluster != "" || h.APISocket != DefaultAPISocket || h.TrackFile != DefaultTrackFile ||
		c.Keepalived.NotifyFifo != DefaultNotifyFifo {
		t.Errorf("default cluster: %q %s %s %s", c.Cluster, h.APISocket, h.TrackFile, c.Keepalived.NotifyFifo)
	}
	if c, err := LoadCluster("fifo.conf", "c2"); err != nil || c.Keepalived.NotifyFifo != "/run/k.fifo" {
		t.Errorf("notify_fifo set: %v", err)
	}
	if _, err := LoadCluster("c2.conf", "c/2"); err == nil || !strings.Contains(err.Error(), `cluster name "c/2"`) {
		t.Errorf("bad name: %v", err)
	}
	if c, err := LoadCluster("c2.conf", ""); err != nil || c.Cluster != "" {
		t.Errorf("LoadCluster without a name: %v", err)
	}
}

// TestWarnClusterLoadedByPath: cluster c2's file loaded by its path (or
// as another cluster) warns that its runtime paths differ from those
// the programs loading it by name use; loaded by name, or with every
// path set, it does not.
func TestWarnClusterLoadedByPath(t *testing.T) {
	dir := t.TempDir()
	useDefaultPaths(t, dir)
	c2, _ := ClusterPath("c2")
	allSet := filepath.Join(dir, "mmm-keepalived", "mmm_c3.conf")
	for p, text := range map[string]string{
		c2: labBase,
		allSet: labBase + "<host default>\n    api_socket /run/x.sock\n    data_dir /srv/x\n    track_file /run/x.track\n</host>\n" +
			"<keepalived>\n    notify_fifo /run/x.fifo\n</keepalived>\n",
	} {
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	clusterWarnings := func(c *Config) []string {
		var out []string
		for _, w := range c.Warnings {
			if strings.Contains(w, "is cluster") {
				out = append(out, w)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name, path, cluster, want string
	}{
		{"by path", c2, "", c2 + " is cluster c2's file but was loaded by path: its api_socket, data_dir, track_file, notify_fifo are not cluster c2's defaults (@c2, --cluster c2)"},
		{"as another cluster", c2, "c4", "loaded as cluster c4: its api_socket"},
		{"by name", c2, "c2", ""},
		{"every path set", allSet, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadCluster(tc.path, tc.cluster)
			if err != nil {
				t.Fatal(err)
			}
			got := clusterWarnings(c)
			if tc.want == "" && len(got) > 0 || tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)) {
				t.Errorf("warnings %q, want one containing %q", got, tc.want)
			}
		})
	}
}
