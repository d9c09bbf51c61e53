package packaging

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// docDest is where a package installs the document src (an entry of
// DocSources): at its repository path under docDir, gzipped.
func docDest(src string) string { return docDir + "/" + filepath.ToSlash(src) + ".gz" }

// helpTimeout bounds one run of a freshly built command (--help, completion).
const helpTimeout = 10 * time.Second

// runner runs a command built for this machine and returns its stdout.
type runner struct {
	binDir string
}

func (r runner) run(ctx context.Context, name string, args ...string) (string, error) {
	out, err := r.output(ctx, name, args...)
	if err == nil && out == "" {
		err = fmt.Errorf("%w: %s %s printed nothing", ErrBuild, name, strings.Join(args, " "))
	}
	return out, err
}

// output is run that accepts an empty output.
func (r runner) output(ctx context.Context, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, helpTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(r.binDir, name), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%w: %s %s: %v: %s", ErrBuild, name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// manPage makes cmd's manual page from its --help; for a command tree
// (mmmctl), every command's and subcommand's --help follows under
// COMMANDS.
func (r runner) manPage(ctx context.Context, cmd Command, source string, date time.Time, all []Command) (ManPage, error) {
	help, err := r.run(ctx, cmd.Name, "--help")
	if err != nil {
		return ManPage{}, err
	}
	m := ManPage{Name: cmd.Name, Summary: cmd.Summary, Source: source, Date: date, Help: help}
	for _, other := range all {
		if other.Name != cmd.Name {
			m.SeeAlso = append(m.SeeAlso, other.Name)
		}
	}
	if cmd.Tree {
		m.Sections, err = r.commandHelp(ctx, cmd.Name, nil)
	}
	return m, err
}

// commandHelp walks a urfave/cli command tree: the words its bash
// completion offers after path are its subcommands. The configuration is
// pointed at a file that does not exist, so that no host or role names
// from this machine come back as words.
func (r runner) commandHelp(ctx context.Context, name string, path []string) ([]HelpSection, error) {
	const maxDepth = 3
	if len(path) >= maxDepth {
		return nil, nil
	}
	noConfig := filepath.Join(r.binDir, "no-such-config")
	args := append(append([]string{"--config", noConfig}, path...), "--generate-bash-completion")
	words, err := r.output(ctx, name, args...)
	if err != nil {
		return nil, err
	}
	var out []HelpSection
	for _, w := range strings.Fields(words) {
		if w == "help" || w == "h" || strings.HasPrefix(w, "-") {
			continue
		}
		sub := append(slices.Clone(path), w)
		text, err := r.run(ctx, name, append(slices.Clone(sub), "--help")...)
		if err != nil {
			return nil, err
		}
		out = append(out, HelpSection{Heading: "COMMANDS", Title: name + " " + strings.Join(sub, " "), Text: text})
		more, err := r.commandHelp(ctx, name, sub)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	return out, nil
}

// writeGzip writes data to path gzip-compressed as `gzip -9n` does (no
// name, no time stamp), so that the same input gives the same file.
func writeGzip(path string, data []byte) error {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(data); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
