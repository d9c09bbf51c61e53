package packaging

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The package tests check what `make package` built, in MMM_PACKAGE_DIR:
// they install the .deb on this machine (root), so they run only when
// asked (make test-package). MMM_PACKAGE_ALLOW_MISSING=1 expects only the
// commands that exist under cmd/ (a development package).

// wantFile is a file every package holds.
type wantFile struct {
	path string
	mode fs.FileMode
	only string // "deb" or "rpm": in that format only
}

// expectedFiles lists every file (not directory) of a package, with its
// mode; nothing else may be in it.
func expectedFiles(t *testing.T) []wantFile {
	t.Helper()
	cmds, err := available("..", os.Getenv("MMM_PACKAGE_ALLOW_MISSING") != "")
	if err != nil {
		t.Fatal(err)
	}
	var w []wantFile
	for _, c := range cmds {
		w = append(w, wantFile{"/usr/bin/" + c.Name, 0o755, ""},
			wantFile{"/usr/share/man/man1/" + c.Name + ".1.gz", 0o644, ""})
	}
	for _, src := range DocSources {
		w = append(w, wantFile{docDest(src), 0o644, ""})
	}
	return append(w,
		wantFile{"/etc/mmm-keepalived/mmm.conf", 0o640, ""},
		wantFile{"/usr/lib/systemd/system/mmm-coordinator.service", 0o644, ""},
		wantFile{"/usr/lib/systemd/system/mmm-coordinator@.service", 0o644, ""},
		wantFile{"/usr/lib/systemd/system/keepalived.service.d/mmm-keepalived.conf", 0o644, ""},
		wantFile{"/usr/lib/tmpfiles.d/mmm-keepalived.conf", 0o644, ""},
		wantFile{"/usr/share/bash-completion/completions/mmmctl", 0o644, ""},
		wantFile{"/usr/share/doc/mmm-keepalived/copyright", 0o644, ""},
		wantFile{"/usr/share/doc/mmm-keepalived/changelog.Debian.gz", 0o644, "deb"},
		wantFile{"/usr/share/lintian/overrides/mmm-keepalived", 0o644, "deb"},
	)
}

func filesFor(all []wantFile, format string) []wantFile {
	return slices.DeleteFunc(slices.Clone(all), func(w wantFile) bool { return w.only != "" && w.only != format })
}

func paths(ws []wantFile) []string {
	var p []string
	for _, w := range ws {
		p = append(p, w.path)
	}
	slices.Sort(p)
	return p
}

// packageDir is MMM_PACKAGE_DIR; the test is skipped without it.
func packageDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("MMM_PACKAGE_DIR")
	if dir == "" {
		t.Skip("MMM_PACKAGE_DIR is not set: make test-package builds the packages and installs the .deb (root)")
	}
	return dir
}

// findPackage returns the one package in dir matching pattern.
func findPackage(t *testing.T, dir, pattern string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, pattern))
	if len(m) != 1 {
		t.Fatalf("want exactly one %s in %s, found %q (make package)", pattern, dir, m)
	}
	return m[0]
}

// run runs a command with a deadline and no input (a dpkg prompt fails
// instead of waiting), returning its combined output.
func run(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// mustRun is run that fails the test on an error.
func mustRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := run(t, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// startsSomething matches a command that starts, restarts, reloads or
// enables a service. A maintainer script may reload systemd itself
// (daemon-reload), stop and disable the coordinator; nothing else.
var startsSomething = regexp.MustCompile(`(^|[;&|(]|\bif|\bthen|\bdo)\s*(` +
	`(systemctl|deb-systemd-invoke|deb-systemd-helper)(\s+-\S+)*\s+|` +
	`(invoke-rc\.d|service)\s+\S+\s+)` +
	`(start|restart|try-restart|reload-or-restart|reload|enable|unmask)\b`)

func assertStartsNothing(t *testing.T, what, scripts string) {
	t.Helper()
	for _, line := range strings.Split(scripts, "\n") {
		if startsSomething.MatchString(strings.TrimSpace(line)) {
			t.Errorf("%s starts something: %q", what, line)
		}
	}
}

// assertMode checks a path's type, permission bits and root ownership.
func assertMode(t *testing.T, path string, mode fs.FileMode, dir bool) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Errorf("%s: %v", path, err)
		return
	}
	switch {
	case dir && !fi.IsDir(), !dir && !fi.Mode().IsRegular():
		t.Errorf("%s: type %v, want dir=%v", path, fi.Mode().Type(), dir)
	case fi.Mode().Perm() != mode:
		t.Errorf("%s: mode %04o, want %04o", path, fi.Mode().Perm(), mode)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && (st.Uid != 0 || st.Gid != 0) {
		t.Errorf("%s: owner %d:%d, want root:root", path, st.Uid, st.Gid)
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// readFile reads a file or fails the test.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sameLines(a, b []string) bool {
	return slices.Equal(a, b)
}

func diffLines(got, want []string) string {
	var b bytes.Buffer
	for _, g := range got {
		if !slices.Contains(want, g) {
			b.WriteString("  unexpected " + g + "\n")
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			b.WriteString("  missing    " + w + "\n")
		}
	}
	return b.String()
}

func TestStartsSomething(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"systemctl start mmm-coordinator.service", true},
		{"systemctl --no-block restart mmm-coordinator", true},
		{"  systemctl enable mmm-coordinator.service || true", true},
		{"if systemctl reload mmm-coordinator; then", true},
		{"true && deb-systemd-invoke start mmm-coordinator.service", true},
		{"deb-systemd-helper enable mmm-coordinator.service", true},
		{"invoke-rc.d keepalived restart", true},
		{"systemctl daemon-reload || true", false},
		{"systemctl stop mmm-coordinator.service || true", false},
		{"systemctl --no-reload disable mmm-coordinator.service >/dev/null 2>&1 || true", false},
		{"if systemctl is-active --quiet mmm-coordinator.service; then", false},
		{`"systemctl restart mmm-coordinator" >&2`, false}, // a message
		{"# systemctl start it yourself", false},
	}
	for _, tt := range tests {
		if got := startsSomething.MatchString(strings.TrimSpace(tt.line)); got != tt.want {
			t.Errorf("%q: %v, want %v", tt.line, got, tt.want)
		}
	}
}
