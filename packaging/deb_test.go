package packaging

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// The machine's paths the .deb test touches besides the package's files.
const (
	testMarker = "/run/mmm-keepalived-package-test" // "an earlier run of this test installed the package"
	runDir     = "/run/mmm-keepalived"              // made by the postinst (tmpfiles.d)
	stateDir   = "/var/lib/mmm-keepalived"          // removed by purge
	confDir    = "/etc/mmm-keepalived"
)

// TestPackageDeb installs the .deb for this machine's architecture with
// dpkg, checks what it installed, reinstalls it over a changed
// configuration, removes it (the configuration stays) and purges it.
func TestPackageDeb(t *testing.T) {
	dir := packageDir(t)
	if os.Geteuid() != 0 {
		t.Fatal("the test installs the .deb with dpkg: run it as root")
	}
	deb := findPackage(t, dir, Name+"_*_"+runtime.GOARCH+".deb")
	want := filesFor(expectedFiles(t), "deb")
	hadState := claimMachine(t)

	t.Log(mustRun(t, "dpkg", "-i", deb))
	if s := debStatus(t); s != "ii" {
		t.Fatalf("dpkg status after dpkg -i: %q, want ii", s)
	}
	for _, s := range []string{"postinst", "prerm", "postrm"} {
		assertStartsNothing(t, s, string(readFile(t, "/var/lib/dpkg/info/"+Name+"."+s)))
	}
	assertDebFiles(t, want)
	if got := strings.Fields(mustRun(t, "dpkg-query", "-W", "-f=${Conffiles}", Name)); len(got) != 2 || got[0] != ConfigFile {
		t.Errorf("conffiles: %q, want %s and its md5sum", got, ConfigFile)
	}
	// The postinst made the track file's directory (tmpfiles.d).
	assertMode(t, runDir, 0o750, true)
	assertCommands(t, want)
	assertExampleWorks(t)
	assertUnitsVerify(t)

	// Upgrade (a reinstall): a changed configuration stays, without a
	// question (stdin is empty: a prompt would fail dpkg).
	changed := append(readFile(t, ConfigFile), "## changed by the package test\n"...)
	if err := os.WriteFile(ConfigFile, changed, 0o640); err != nil {
		t.Fatal(err)
	}
	t.Log(mustRun(t, "dpkg", "-i", deb))
	assertConfig(t, changed)

	// Removal keeps the configuration and only the configuration.
	t.Log(mustRun(t, "dpkg", "-r", Name))
	if s := debStatus(t); s != "rc" {
		t.Errorf("dpkg status after dpkg -r: %q, want rc (configuration files kept)", s)
	}
	assertConfig(t, changed)
	for _, w := range want {
		if w.path != ConfigFile && exists(w.path) {
			t.Errorf("%s is still there after dpkg -r", w.path)
		}
	}

	// Purge removes the configuration and the coordinator's state.
	if !hadState {
		if err := os.MkdirAll(stateDir, 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(stateDir, "raft.db"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Log(mustRun(t, "dpkg", "--purge", Name))
	if s := debStatus(t); debInstalled(s) {
		t.Errorf("dpkg status after dpkg --purge: %q, want not installed", s)
	}
	for _, p := range []string{ConfigFile, confDir, stateDir} {
		if exists(p) && (p != stateDir || !hadState) {
			t.Errorf("%s is still there after dpkg --purge", p)
		}
	}
}

// debStatus is dpkg's status abbreviation (ii, rc, pn, ...), "" when dpkg
// does not know the package.
func debStatus(t *testing.T) string {
	t.Helper()
	out, err := run(t, "dpkg-query", "-W", "-f=${db:Status-Abbrev}", Name)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}

// debInstalled: a status whose second letter is not n(ot-installed),
// e.g. ii, rc (configuration files left), iF (half configured).
func debInstalled(status string) bool {
	return len(status) >= 2 && status[1] != 'n'
}

// claimMachine makes sure the package is not installed, purging what an
// interrupted earlier run left, and registers the cleanup that purges it
// again, also when the test fails. It refuses a machine where
// mmm-keepalived was installed by something else. It reports whether
// stateDir existed before (then the test leaves it alone).
func claimMachine(t *testing.T) (hadState bool) {
	t.Helper()
	ours := exists(testMarker)
	if s := debStatus(t); debInstalled(s) {
		if !ours {
			t.Fatalf("%s is installed on this machine (dpkg status %q), not by this test, which would purge it: "+
				"purge it first (dpkg --purge %s)", Name, s, Name)
		}
		t.Logf("purging the package an interrupted earlier run left")
		mustRun(t, "dpkg", "--purge", Name)
	}
	hadRun := exists(runDir) && !ours
	hadState = exists(stateDir)
	if err := os.WriteFile(testMarker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if out, err := run(t, "dpkg", "--purge", Name); err != nil {
			t.Errorf("cleanup: dpkg --purge: %v\n%s", err, out)
		}
		if !hadRun {
			// Only if empty: other programs may have put files there.
			if err := os.Remove(runDir); err != nil && !os.IsNotExist(err) {
				t.Logf("cleanup: %s left: %v", runDir, err)
			}
		}
		os.Remove(testMarker)
	})
	return hadState
}

// assertDebFiles checks every installed file's mode and owner, and that
// dpkg lists exactly the expected files.
func assertDebFiles(t *testing.T, want []wantFile) {
	t.Helper()
	for _, w := range want {
		assertMode(t, w.path, w.mode, false)
	}
	assertMode(t, confDir, 0o755, true)
	var got []string
	for _, p := range strings.Split(strings.TrimSpace(mustRun(t, "dpkg", "-L", Name)), "\n") {
		if fi, err := os.Lstat(p); err == nil && !fi.IsDir() {
			got = append(got, p)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, paths(want)) {
		t.Errorf("dpkg -L %s: files differ:\n%s", Name, diffLines(got, paths(want)))
	}
}

// assertCommands runs the installed commands and reads the generated
// files.
func assertCommands(t *testing.T, want []wantFile) {
	t.Helper()
	for _, w := range want {
		name := filepath.Base(w.path)
		switch filepath.Dir(w.path) {
		case binDir:
			out := mustRun(t, w.path, "--version")
			if !strings.HasPrefix(out, name+" ") {
				t.Errorf("%s --version: %q", name, out)
			}
			t.Logf("%s --version: %s", name, strings.TrimSpace(out))
		case manDir:
			page := gunzip(t, w.path)
			cmd := strings.TrimSuffix(name, ".1.gz")
			if !strings.Contains(page, ".TH \""+strings.ToUpper(escape(cmd))+"\" 1 ") ||
				!strings.Contains(page, ".SH NAME\n"+escape(cmd)+" \\- ") {
				t.Errorf("%s: no .TH or NAME for %s:\n%.300s", w.path, cmd, page)
			}
		}
	}
	if out := mustRun(t, "/usr/bin/mmmctl", "--version"); !strings.HasPrefix(out, "mmmctl version ") {
		t.Errorf("mmmctl --version: %q", out)
	}
	completion := mustRun(t, "/usr/bin/mmmctl", "completion", "bash")
	if got := string(readFile(t, completionDst)); got != completion || !strings.Contains(got, "complete ") {
		t.Errorf("%s is not `mmmctl completion bash`:\n%s", completionDst, got)
	}
}

func gunzip(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return string(b)
}

// assertExampleWorks: the installed mmm.conf's example, uncommented, is
// a configuration the installed mmmctl accepts and renders keepalived.conf
// from, with the paths the package's unit and tmpfiles.d entry provide.
func assertExampleWorks(t *testing.T) {
	t.Helper()
	conf := writeExample(t, readFile(t, ConfigFile))
	out := mustRun(t, "/usr/bin/mmmctl", "config", "check", conf)
	t.Logf("mmmctl config check: %s", strings.SplitN(out, "\n", 2)[0])
	ka := mustRun(t, "/usr/bin/mmmctl", "--config", conf, "keepalived", "render", "--host", "db1")
	for _, want := range []string{
		`file "/run/mmm-keepalived/writer.track"`, "vrrp_notify_fifo /run/mmm-keepalived/vrrp.fifo",
		`script "/usr/bin/mmm-check --config ` + conf, `notify "/usr/bin/mmm-notify --config ` + conf,
	} {
		if !strings.Contains(ka, want) {
			t.Errorf("keepalived.conf rendered from the example lacks %q:\n%s", want, ka)
		}
	}
}

// assertUnitsVerify runs systemd-analyze verify, which needs no running
// systemd: it loads the installed unit (and keepalived's with our
// drop-in) and checks that every Exec path exists. It must say nothing
// about our files.
func assertUnitsVerify(t *testing.T) {
	t.Helper()
	units := []string{unitDir + "/mmm-coordinator.service"}
	if exists(unitDir+"/keepalived.service") || exists("/lib/systemd/system/keepalived.service") {
		units = append(units, "keepalived.service") // by name: with its drop-ins
	}
	for _, u := range units {
		out, err := run(t, "systemd-analyze", "verify", u)
		t.Logf("systemd-analyze verify %s: %v %s", u, err, out)
		if err != nil || strings.Contains(out, "mmm-coordinator.service") || strings.Contains(out, "mmm-keepalived.conf") {
			t.Errorf("systemd-analyze verify %s: %v\n%s", u, err, out)
		}
	}
	out, _ := run(t, "systemd-analyze", "security", "--offline=true", units[0])
	if i := strings.Index(out, "Overall exposure level"); i >= 0 {
		t.Logf("systemd-analyze security: %s", strings.TrimSpace(out[i:]))
	}
}

// assertConfig checks the configuration file's content and mode.
func assertConfig(t *testing.T, want []byte) {
	t.Helper()
	if got, err := os.ReadFile(ConfigFile); err != nil || string(got) != string(want) {
		t.Errorf("%s: %v; the changed configuration was not kept", ConfigFile, err)
	}
	assertMode(t, ConfigFile, 0o640, false)
}
