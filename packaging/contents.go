package packaging

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/goreleaser/nfpm/v2/files"
)

// Package metadata.
const (
	Name       = "mmm-keepalived"
	Maintainer = "mmm-keepalived maintainers <mmm-keepalived@users.noreply.github.com>"
	Homepage   = "https://github.com/mmm-keepalived/mmm-keepalived"
	License    = "Apache-2.0" // SPDX identifier; the text is in LICENSE
	Synopsis   = "MySQL/MariaDB master-master HA with MySQL-MMM's semantics"
	// ConfigFile is the configuration the unit hands to mmm-coordinator.
	ConfigFile = "/etc/mmm-keepalived/mmm.conf"
)

// Description is the package's long description (after Synopsis).
const Description = `mmm-keepalived keeps MySQL-MMM's behaviour (an exclusive writer role,
balanced reader roles, flapping, AWAITING_RECOVERY, mmm_control) and
rebuilds it in Go around keepalived: keepalived (VRRP) moves the writer
VIP, mmm-check is its track script, mmm-notify its notify hook (fencing
the local MySQL), and mmm-coordinator, one raft group over the MySQL hosts,
monitors the cluster with MySQL-MMM's rules. mmmctl is mmm_control.`

// Command is one of the commands every package ships in /usr/bin.
type Command struct {
	Name    string
	Summary string // the man page's whatis line
	Tree    bool   // a urfave/cli command tree: its man page has every command's --help
}

// Commands are built from cmd/NAME; a release ships all of them.
var Commands = []Command{
	{Name: "mmm-check", Summary: "keepalived's vrrp_script: MySQL-MMM's checks against the local MySQL"},
	{Name: "mmm-coordinator", Summary: "one member of the coordinators' raft group, MySQL-MMM's monitor"},
	{Name: "mmm-notify", Summary: "keepalived's notify hook: fence the local MySQL, report to the coordinator"},
	{Name: "mmmctl", Summary: "control mmm-keepalived (MySQL-MMM's mmm_control, and more)", Tree: true},
}

// Where the package installs things.
const (
	binDir        = "/usr/bin"
	unitDir       = "/usr/lib/systemd/system"
	manDir        = "/usr/share/man/man1"
	docDir        = "/usr/share/doc/" + Name
	completionDst = "/usr/share/bash-completion/completions/mmmctl"
	overridesDst  = "/usr/share/lintian/overrides/" + Name
)

// The static files and the maintainer scripts (one set for deb and rpm),
// relative to the repository root.
const (
	filesDir   = "packaging/files"
	scriptsDir = "packaging/scripts"
)

// DocSources are the documents shipped gzipped in docDir, at the same
// relative paths as in the repository (docs/NAME.md becomes
// docDir/docs/NAME.md.gz), so that the README's links name the files
// beside it. Every docs/*.md must be here (TestDocSourcesShipEveryDoc).
var DocSources = []string{
	"README.md",
	"docs/install.md",
	"docs/configuration.md",
	"docs/mmmctl.md",
	"docs/operations.md",
	"docs/architecture.md",
	"docs/lab.md",
	"docs/benchmarks.md",
}

// stage is a build's staging directory: the binaries per architecture and
// the files generated from them.
type stage string

func (s stage) bin(arch string) string { return filepath.Join(string(s), arch, "bin") }
func (s stage) man(name string) string { return filepath.Join(string(s), "man", name+".1.gz") }
func (s stage) doc(src string) string {
	return filepath.Join(string(s), "doc", filepath.Base(src)+".gz")
}
func (s stage) completion() string { return filepath.Join(string(s), "mmmctl.bash") }
func (s stage) overrides() string  { return filepath.Join(string(s), "lintian-overrides") }
func (s stage) changelog() string  { return filepath.Join(string(s), "changelog.yml") }

// static is a file of filesDir.
func static(root, name string) string { return filepath.Join(root, filesDir, name) }

// script is a maintainer script.
func script(root, name string) string { return filepath.Join(root, scriptsDir, name) }

// contents lists every file of the package for arch, with its mode. root
// is the repository; cmds are the commands built (all of Commands for a
// release).
func contents(root string, st stage, arch string, cmds []Command) files.Contents {
	var c files.Contents
	add := func(src, dst string, mode fs.FileMode, typ, packager string) {
		c = append(c, &files.Content{Source: src, Destination: dst, Type: typ, Packager: packager,
			FileInfo: &files.ContentFileInfo{Owner: "root", Group: "root", Mode: mode}})
	}
	for _, cmd := range cmds {
		add(filepath.Join(st.bin(arch), cmd.Name), binDir+"/"+cmd.Name, 0o755, files.TypeFile, "")
		add(st.man(cmd.Name), manDir+"/"+cmd.Name+".1.gz", 0o644, files.TypeFile, "")
	}
	add("", "/etc/mmm-keepalived", 0o755, files.TypeDir, "")
	// Holds passwords once filled in: not for other users.
	add(static(root, "mmm.conf"), ConfigFile, 0o640, files.TypeConfigNoReplace, "")
	add(static(root, "mmm-coordinator.service"), unitDir+"/mmm-coordinator.service", 0o644, files.TypeFile, "")
	// mmm-coordinator@NAME.service: a named cluster's (--cluster NAME).
	add(static(root, "mmm-coordinator@.service"), unitDir+"/mmm-coordinator@.service", 0o644, files.TypeFile, "")
	add(static(root, "keepalived-mmm-keepalived.conf"), unitDir+"/keepalived.service.d/mmm-keepalived.conf", 0o644, files.TypeFile, "")
	add(static(root, "mmm-keepalived.tmpfiles"), "/usr/lib/tmpfiles.d/mmm-keepalived.conf", 0o644, files.TypeFile, "")
	add(st.completion(), completionDst, 0o644, files.TypeFile, "")
	add(static(root, "copyright"), docDir+"/copyright", 0o644, files.TypeFile, "")
	for _, src := range DocSources {
		add(st.doc(src), docDest(src), 0o644, files.TypeFile, "")
	}
	add(st.overrides(), overridesDst, 0o644, files.TypeFile, "deb")
	return c
}

// lintianOverrides are lintian's findings that are right for this
// package, each with its reason.
func lintianOverrides(cmds []Command) []byte {
	var b strings.Builder
	b.WriteString(`# The commands are Go programs built with CGO_ENABLED=0 on purpose: no
# dynamic loader at every start (keepalived runs mmm-check every second),
# and one build per architecture without a C cross-compiler. Lintian knows
# Go programs only from a source package's Build-Depends, which a package
# built with nfpm does not have.
`)
	for _, cmd := range cmds {
		fmt.Fprintf(&b, "%s: statically-linked-binary [%s/%s]\n", Name, strings.TrimPrefix(binDir, "/"), cmd.Name)
	}
	fmt.Fprintf(&b, `# Holds the MySQL passwords once filled in (or names password files):
# not for other users; mmm-coordinator reads it as root.
%[1]s: non-standard-file-perm 0640 != 0644 [%[2]s]
# One set of maintainer scripts serves deb and rpm, and rpm systems have no
# deb-systemd-helper. On removal only: stop mmm-coordinator and remove its
# enablement before its unit file goes.
%[1]s: maintainer-script-calls-systemctl [prerm:*]
# Not a package for the Debian archive: there is no ITP bug to close.
%[1]s: initial-upload-closes-no-bugs [usr/share/doc/%[1]s/changelog.Debian.gz:1]
`, Name, strings.TrimPrefix(ConfigFile, "/"))
	return []byte(b.String())
}
