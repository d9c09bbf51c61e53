package packaging

import (
	"debug/elf"
	"fmt"
	"io/fs"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// rpmArchs are rpm's names of the architectures built.
var rpmArchs = []string{"x86_64", "aarch64"}

// TestPackageRPM reads both .rpm packages with rpm -qp: files, modes,
// owners, the configuration flag, the scriptlets, the architecture.
func TestPackageRPM(t *testing.T) {
	dir := packageDir(t)
	if _, err := exec.LookPath("rpm"); err != nil {
		t.Fatal("rpm is not installed (make deps installs it)")
	}
	want := filesFor(expectedFiles(t), "rpm")
	for _, arch := range rpmArchs {
		t.Run(arch, func(t *testing.T) {
			pkg := findPackage(t, dir, Name+"-*."+arch+".rpm")
			if got := mustRun(t, "rpm", "-qp", "--qf", "%{NAME} %{ARCH} %{RELEASE}", pkg); got != Name+" "+arch+" "+release {
				t.Errorf("rpm -qp: %q, want %s %s %s", got, Name, arch, release)
			}

			// rpm -qpl: the files, and the one directory the package owns.
			got := strings.Split(strings.TrimSpace(mustRun(t, "rpm", "-qpl", pkg)), "\n")
			wantList := append(paths(want), confDir)
			slices.Sort(got)
			slices.Sort(wantList)
			if !slices.Equal(got, wantList) {
				t.Errorf("rpm -qpl: files differ:\n%s", diffLines(got, wantList))
			}

			// Modes, owners and flags, one line per file.
			lines := mustRun(t, "rpm", "-qp", "--qf", "[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEFLAGS:fflags} %{FILENAMES}\n]", pkg)
			for _, w := range want {
				flags := ""
				if w.path == ConfigFile {
					flags = "cn" // %config(noreplace)
				}
				line := fmt.Sprintf("%s root:root %s %s", rpmPerms(w.mode, false), flags, w.path)
				if !strings.Contains(lines, line+"\n") {
					t.Errorf("rpm -qp --qf: no line %q in\n%s", line, lines)
				}
			}
			if line := rpmPerms(0o755, true) + " root:root  " + confDir + "\n"; !strings.Contains(lines, line) {
				t.Errorf("rpm -qp --qf: no line %q in\n%s", line, lines)
			}
			if got := strings.TrimSpace(mustRun(t, "rpm", "-qp", "--configfiles", pkg)); got != ConfigFile {
				t.Errorf("rpm -qp --configfiles: %q, want %s", got, ConfigFile)
			}

			scripts := mustRun(t, "rpm", "-qp", "--scripts", pkg)
			for _, want := range []string{
				"postinstall scriptlet (using /bin/sh):", "systemd-tmpfiles --create mmm-keepalived.conf",
				"preuninstall scriptlet (using /bin/sh):", "systemctl --no-reload disable mmm-coordinator.service",
				"postuninstall scriptlet (using /bin/sh):", "rm -rf /var/lib/mmm-keepalived",
			} {
				if !strings.Contains(scripts, want) {
					t.Errorf("rpm -qp --scripts lacks %q:\n%s", want, scripts)
				}
			}
			if strings.Contains(scripts, "preinstall scriptlet") {
				t.Errorf("rpm -qp --scripts: a preinstall scriptlet, none expected:\n%s", scripts)
			}
			assertStartsNothing(t, "rpm scriptlets", scripts)
		})
	}
}

// rpmPerms is rpm's ls-style mode string (%{FILEMODES:perms}).
func rpmPerms(mode fs.FileMode, dir bool) string {
	s := mode.String() // -rwxr-xr-x
	if dir {
		s = "d" + s[1:]
	}
	return s
}

// TestPackageLintian runs lintian on both .deb packages: no error (the
// overrides in the package say why); warnings are logged. Not with
// --show-overrides: lintian 2.116 then exits 2 for overridden errors.
func TestPackageLintian(t *testing.T) {
	dir := packageDir(t)
	if _, err := exec.LookPath("lintian"); err != nil {
		t.Fatal("lintian is not installed (make deps installs it)")
	}
	debs := []string{findPackage(t, dir, Name+"_*_amd64.deb"), findPackage(t, dir, Name+"_*_arm64.deb")}
	out, err := run(t, "lintian", append([]string{"--fail-on", "error", "--tag-display-limit", "0"}, debs...)...)
	t.Logf("lintian %s:\n%s", strings.Join(debs, " "), out)
	if err != nil {
		t.Errorf("lintian: %v", err)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "E: ") {
			t.Errorf("lintian error: %s", line)
		}
	}
}

// TestPackageArchitectures: each .deb holds the commands built for its
// architecture.
func TestPackageArchitectures(t *testing.T) {
	dir := packageDir(t)
	machines := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}
	cmds, err := available("..", true)
	if err != nil {
		t.Fatal(err)
	}
	for arch, machine := range machines {
		t.Run(arch, func(t *testing.T) {
			deb := findPackage(t, dir, Name+"_*_"+arch+".deb")
			if got := strings.TrimSpace(mustRun(t, "dpkg-deb", "-f", deb, "Architecture")); got != arch {
				t.Errorf("Architecture: %q, want %s", got, arch)
			}
			root := t.TempDir()
			mustRun(t, "dpkg-deb", "-x", deb, root)
			for _, c := range cmds {
				f, err := elf.Open(filepath.Join(root, binDir, c.Name))
				if err != nil {
					t.Errorf("%s: %v", c.Name, err)
					continue
				}
				if f.Machine != machine {
					t.Errorf("%s in the %s package is built for %v", c.Name, arch, f.Machine)
				}
				if slices.ContainsFunc(f.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP }) {
					t.Errorf("%s is dynamically linked; want CGO_ENABLED=0", c.Name)
				}
				f.Close()
			}
		})
	}
}
