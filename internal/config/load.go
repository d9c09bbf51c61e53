package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Load reads the configuration file at path and the files it includes,
// applies the defaults and validates the result. The error lists every
// problem found, one per line, each an *Error naming file, line, section
// and key. Problems that do not stop a program (files holding passwords
// that others can read, a raft group that survives no failure) are in
// Config.Warnings. Load returns a nil Config with any error. The Config is
// not modified afterwards, so any number of goroutines may read it.
func Load(path string) (*Config, error) {
	return load(osFiles{}, path, "")
}

// LoadCluster is Load for cluster name's configuration at path (normally
// ClusterPath(name)): Config.Cluster is name, and the runtime paths not
// set in the file are the cluster's own (DefaultRuntimePaths). The empty
// name is Load. A name CheckClusterName refuses is an error.
func LoadCluster(path, name string) (*Config, error) {
	if name != "" {
		if err := CheckClusterName(name); err != nil {
			return nil, err
		}
	}
	return load(osFiles{}, path, name)
}

// Parse is Load for a configuration held in memory: src is read as if it
// were the file name (used in messages); include lines and *_password_file
// keys are still read from the file system, relative to name's directory.
func Parse(name string, src []byte) (*Config, error) {
	return load(memFile{name: filepath.Clean(name), src: src, next: osFiles{}}, name, "")
}

func load(fsys fileSystem, path, cluster string) (*Config, error) {
	var probs problems
	path = filepath.Clean(path)
	r := newReader(fsys, path, &probs)
	r.include(path, Pos{})
	if len(r.doc.files) == 0 { // the main file is unreadable: nothing more to say
		return nil, probs.err(nil)
	}
	c := decode(fsys, r.doc, &probs)
	c.Cluster = cluster
	c.derive()
	// Validate also when a value did not parse, so that one run shows every
	// problem, but skip what it finds on a line already reported: a value
	// that did not parse is also "missing".
	reported := map[Pos]bool{}
	for _, e := range probs {
		reported[e.Pos] = true
	}
	for _, e := range c.validate() {
		if !reported[e.Pos] {
			probs = append(probs, e)
		}
	}
	if err := probs.err(c.Files); err != nil {
		return nil, err
	}
	c.warnRaft()
	c.warnCluster()
	return c, nil
}

// warnCluster: a named cluster's file (ClusterPath) loaded by its path
// rather than by name gets the default cluster's runtime paths, and the
// programs that load it by name (mmm-coordinator@NAME, keepalived.conf
// rendered by name) would use other ones.
func (c *Config) warnCluster() {
	name := clusterOf(c.Files[0])
	if name == "" || c.Cluster == name {
		return
	}
	own, got := DefaultRuntimePaths(name), DefaultRuntimePaths(c.Cluster)
	var differ []string
	for _, h := range c.Hosts {
		for _, k := range []struct{ key, value, own, got string }{
			{"api_socket", h.APISocket, own.APISocket, got.APISocket},
			{"data_dir", h.DataDir, own.DataDir, got.DataDir},
			{"track_file", h.TrackFile, own.TrackFile, got.TrackFile},
		} {
			if k.value == k.got && k.own != k.got && !slices.Contains(differ, k.key) {
				differ = append(differ, k.key)
			}
		}
	}
	if c.Keepalived.NotifyFifo == got.NotifyFifo && own.NotifyFifo != got.NotifyFifo {
		differ = append(differ, "notify_fifo")
	}
	if len(differ) == 0 {
		return
	}
	as := "by path"
	if c.Cluster != "" {
		as = "as cluster " + c.Cluster
	}
	c.Warnings = append(c.Warnings, fmt.Sprintf(
		"%s is cluster %s's file but was loaded %s: its %s are not cluster %s's defaults (@%s, --cluster %s); load it the same way everywhere on this host, or set them in the file",
		c.Files[0], name, as, strings.Join(differ, ", "), name, name, name))
}

// warnRaft: fewer than three coordinators cannot elect a leader after a
// failure, so the cluster would not fail over.
func (c *Config) warnRaft() {
	if n := len(c.Coordinator.RaftPeers); n < 3 {
		c.Warnings = append(c.Warnings, fmt.Sprintf(
			"coordinator: raft_peers has %d member(s): the coordinators survive no failure; add a host with mode witness to make three", n))
	}
}

// fileSystem is where configuration, included and password files come
// from: the OS, or memory in tests and fuzzing.
type fileSystem interface {
	// ReadFile returns a file's content and permission bits.
	ReadFile(name string) ([]byte, fs.FileMode, error)
}

// maxFileSize bounds what is read: configuration and password files are
// small, and a mistaken include of a device must not hang or exhaust memory.
const maxFileSize = 1 << 20

// osFiles reads regular files only.
type osFiles struct{}

func (osFiles) ReadFile(name string) ([]byte, fs.FileMode, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		return nil, 0, errors.New("not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, 0, err
	}
	if len(data) > maxFileSize {
		return nil, 0, fmt.Errorf("larger than %d bytes", maxFileSize)
	}
	return data, st.Mode().Perm(), nil
}

// memFile serves one file from memory (mode 0600) and the rest from next.
type memFile struct {
	name string
	src  []byte
	next fileSystem
}

func (m memFile) ReadFile(name string) ([]byte, fs.FileMode, error) {
	if filepath.Clean(name) == m.name {
		return m.src, 0o600, nil
	}
	return m.next.ReadFile(name)
}

// reason drops the path an *fs.PathError repeats: messages quote it once.
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
