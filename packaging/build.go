package packaging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goreleaser/chglog"
	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/rpm"
)

// Options say what Build makes.
type Options struct {
	Root     string   // the repository: cmd/, packaging/files, docs/
	Out      string   // where the packages go (dist)
	Describe string   // `git describe --tags --always --dirty`
	LDFlags  string   // go build -ldflags: the Makefile's (version, -s -w)
	Archs    []string // GOARCH values, e.g. amd64, arm64
	Go       string   // the go command; "" = go
	// AllowMissing builds packages without the commands whose cmd/NAME
	// does not exist yet. Never for a release: it ships fewer commands.
	AllowMissing bool
	Log          *slog.Logger
}

// buildTimeout bounds the whole build: go build for every architecture
// from a cold cache, and the packaging.
const buildTimeout = 20 * time.Minute

// Build cross-compiles the commands for every architecture (CGO_ENABLED=0)
// and writes a .deb and an .rpm for each into o.Out, replacing the
// packages of earlier builds. It returns their paths. Its staging
// directory is removed at the end, and so is every package if any step
// fails.
func Build(ctx context.Context, o Options) (pkgs []string, err error) {
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	cmds, err := available(o.Root, o.AllowMissing)
	if err != nil {
		return nil, err
	}
	g, err := readGit(ctx, o.Root)
	if err != nil {
		return nil, err
	}
	v, err := ParseDescribe(o.Describe, g.commits)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBuild, err)
	}
	if err := removeOld(o.Out); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(o.Out, ".stage-")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBuild, err)
	}
	defer os.RemoveAll(dir)
	defer func() {
		if err != nil {
			for _, p := range pkgs {
				os.Remove(p)
			}
			pkgs = nil
		}
	}()
	st := stage(dir)

	// Build for this machine too: the man pages and the completion come
	// from running the commands.
	for _, arch := range union(o.Archs, runtime.GOARCH) {
		o.Log.Info("go build", "arch", arch, "commands", len(cmds))
		if err := goBuild(ctx, o, arch, st.bin(arch), cmds); err != nil {
			return nil, err
		}
	}
	if err := generate(ctx, o.Root, st, cmds, v, g.date); err != nil {
		return nil, err
	}
	for _, arch := range o.Archs {
		for _, format := range []string{"deb", "rpm"} {
			p, err := writePackage(o, st, arch, format, cmds, v, g.date)
			if p != "" {
				pkgs = append(pkgs, p)
			}
			if err != nil {
				return pkgs, err
			}
			o.Log.Info("package written", "path", p)
		}
	}
	return pkgs, nil
}

// available returns the Commands that exist under cmd/. A missing one is
// an error unless allowMissing.
func available(root string, allowMissing bool) ([]Command, error) {
	var have []Command
	var missing []string
	for _, c := range Commands {
		if _, err := os.Stat(filepath.Join(root, "cmd", c.Name)); err != nil {
			missing = append(missing, "cmd/"+c.Name)
			continue
		}
		have = append(have, c)
	}
	if len(missing) > 0 && !allowMissing {
		return nil, fmt.Errorf("%w: %s not found: a package ships all %d commands (ALLOW_MISSING=1 builds a development package without them)",
			ErrMissingCommand, strings.Join(missing, ", "), len(Commands))
	}
	if len(have) == 0 {
		return nil, fmt.Errorf("%w: no command under %s/cmd", ErrMissingCommand, root)
	}
	return have, nil
}

type gitInfo struct {
	commits int       // git rev-list --count HEAD
	date    time.Time // the commit's time: the packages' file times and dates
}

func readGit(ctx context.Context, root string) (gitInfo, error) {
	var g gitInfo
	out, err := gitOutput(ctx, root, "rev-list", "--count", "HEAD")
	if err == nil {
		g.commits, err = strconv.Atoi(out)
	}
	if err != nil {
		return g, fmt.Errorf("%w: counting commits: %w", ErrVersion, err)
	}
	out, err = gitOutput(ctx, root, "log", "-1", "--format=%ct")
	var sec int64
	if err == nil {
		sec, err = strconv.ParseInt(out, 10, 64)
	}
	if err != nil {
		return g, fmt.Errorf("%w: commit time: %w", ErrVersion, err)
	}
	g.date = time.Unix(sec, 0).UTC()
	return g, nil
}

func gitOutput(ctx context.Context, root string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", root}, args...)...)
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		err = fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(ee.Stderr)))
	}
	return strings.TrimSpace(string(out)), err
}

// removeOld removes the packages of earlier builds from out, so that it
// holds only this version's.
func removeOld(out string) error {
	for _, pattern := range []string{Name + "_*.deb", Name + "-*.rpm"} {
		old, _ := filepath.Glob(filepath.Join(out, pattern))
		for _, p := range old {
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("%w: %w", ErrBuild, err)
			}
		}
	}
	return nil
}

func union(list []string, x string) []string {
	if slices.Contains(list, x) {
		return list
	}
	return append(slices.Clone(list), x)
}

// goBuild builds the commands for arch into dir, statically.
func goBuild(ctx context.Context, o Options, arch, dir string, cmds []Command) error {
	args := []string{"build", "-trimpath", "-ldflags", o.LDFlags, "-o", dir + "/"}
	for _, c := range cmds {
		args = append(args, "./cmd/"+c.Name)
	}
	cmd := exec.CommandContext(ctx, cmp(o.Go, "go"), args...)
	cmd.Dir = o.Root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%w: go build for %s: %w\n%s", ErrBuild, arch, err, out)
	}
	return nil
}

func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// generate writes the files made at build time into the stage: man pages
// and the completion (from the commands built for this machine), the
// gzipped documents, the lintian overrides and the changelog.
func generate(ctx context.Context, root string, st stage, cmds []Command, v Version, date time.Time) error {
	for _, d := range []string{"man", "doc"} {
		if err := os.MkdirAll(filepath.Join(string(st), d), 0o755); err != nil {
			return fmt.Errorf("%w: %w", ErrBuild, err)
		}
	}
	r := runner{binDir: st.bin(runtime.GOARCH)}
	for _, c := range cmds {
		m, err := r.manPage(ctx, c, Name+" "+v.String(), date, cmds)
		if err != nil {
			return err
		}
		if err := writeGzip(st.man(c.Name), m.Roff()); err != nil {
			return fmt.Errorf("%w: %w", ErrBuild, err)
		}
	}
	completion, err := r.run(ctx, "mmmctl", "completion", "bash")
	if err != nil {
		return err
	}
	if err := os.WriteFile(st.completion(), []byte(completion), 0o644); err != nil {
		return fmt.Errorf("%w: %w", ErrBuild, err)
	}
	for _, src := range DocSources {
		data, err := os.ReadFile(filepath.Join(root, src))
		if err == nil {
			err = writeGzip(st.doc(src), data)
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrBuild, err)
		}
	}
	if err := os.WriteFile(st.overrides(), lintianOverrides(cmds), 0o644); err != nil {
		return fmt.Errorf("%w: %w", ErrBuild, err)
	}
	return writeChangelog(st.changelog(), v, date)
}

// writeChangelog writes nfpm's changelog (chglog's format): one entry for
// this build. Debian wants a changelog in every package.
func writeChangelog(path string, v Version, date time.Time) error {
	entries := chglog.ChangeLogEntries{{
		Semver:   v.String() + "-" + release,
		Date:     date,
		Packager: Maintainer,
		ChangeLogOverridables: chglog.ChangeLogOverridables{
			Deb: &chglog.ChangelogDeb{Urgency: "medium", Distributions: []string{"unstable"}},
		},
		Changes: chglog.ChangeLogChanges{{Note: "Built from the mmm-keepalived source at " + v.String() + "."}},
	}}
	if err := entries.Save(path); err != nil {
		return fmt.Errorf("%w: changelog: %w", ErrBuild, err)
	}
	return nil
}

// release is the packages' release (deb revision, rpm Release).
const release = "1"

// writePackage writes the package of one format for arch into o.Out and
// returns its path.
func writePackage(o Options, st stage, arch, format string, cmds []Command, v Version, date time.Time) (string, error) {
	info := nfpm.WithDefaults(&nfpm.Info{
		Name: Name, Arch: arch, Platform: "linux",
		VersionSchema: "none", Version: v.Upstream, Prerelease: v.Pre, VersionMetadata: v.Meta, Release: release,
		Section: "database", Priority: "optional", Maintainer: Maintainer,
		Description: Synopsis + "\n" + Description, Vendor: Name, Homepage: Homepage, License: License,
		Changelog: st.changelog(), MTime: date,
		Overridables: nfpm.Overridables{
			Recommends: []string{"keepalived"},
			Contents:   contents(o.Root, st, arch, cmds),
			Scripts: nfpm.Scripts{
				PostInstall: script(o.Root, "postinstall.sh"),
				PreRemove:   script(o.Root, "preremove.sh"),
				PostRemove:  script(o.Root, "postremove.sh"),
			},
			RPM: nfpm.RPM{Summary: Synopsis, Group: "Applications/Databases"},
		},
	})
	var p nfpm.Packager
	switch format {
	case "deb":
		p = deb.Default
	case "rpm":
		p = rpm.DefaultRPM
	}
	name := p.ConventionalFileName(info)
	path := filepath.Join(o.Out, name)
	tmp, err := os.CreateTemp(o.Out, ".tmp-"+name)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBuild, err)
	}
	defer os.Remove(tmp.Name())
	err = p.Package(info, tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return "", fmt.Errorf("%w: %s for %s: %w", ErrBuild, format, arch, err)
	}
	return path, nil
}
