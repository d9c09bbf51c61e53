package config

import (
	"fmt"
	"os"
	"strings"
)

// DefaultPaths are where the binaries look for the host's configuration
// when --config is not given, in order: the packaged file, then an MMM
// installation's agent file (it names `this` and includes
// mmm_common.conf), so that MMM users can start without moving anything.
// ClusterPath derives a named cluster's files from them.
var DefaultPaths = []string{
	"/etc/mmm-keepalived/mmm.conf",
	"/etc/mysql-mmm/mmm_agent.conf",
}

// DefaultPath returns the first of DefaultPaths that exists, or the first
// one when none does (so that the error names the packaged path).
func DefaultPath() string { return defaultPath(DefaultPaths) }

func defaultPath(paths []string) string {
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return paths[0]
}

// maxClusterName bounds a cluster name: it becomes part of file names
// and of a systemd unit's name.
const maxClusterName = 64

// CheckClusterName accepts a cluster name (mmmctl's @NAME, --cluster
// NAME): letters, digits, '-' and '_', beginning with a letter or a digit,
// at most 64 characters. The name becomes part of file names, so nothing
// else is allowed.
func CheckClusterName(name string) error {
	ok := name != "" && len(name) <= maxClusterName && isAlnum(name[0])
	for i := 0; ok && i < len(name); i++ {
		ok = isAlnum(name[i]) || name[i] == '-' || name[i] == '_'
	}
	if !ok {
		return fmt.Errorf("cluster name %q: want letters, digits, '-' and '_' (beginning with a letter or digit, at most %d characters)", name, maxClusterName)
	}
	return nil
}

func isAlnum(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
}

// ClusterPath is the configuration file of cluster name, as MySQL-MMM's
// `mmm_control @NAME` chose mmm_mon_NAME.conf: each of DefaultPaths with
// "_NAME" before ".conf" (/etc/mmm-keepalived/mmm_NAME.conf, else MMM's
// /etc/mysql-mmm/mmm_agent_NAME.conf), the first that exists, or the
// first when none does. The empty name is the default cluster:
// DefaultPath. A name CheckClusterName refuses is an error.
func ClusterPath(name string) (string, error) {
	if name == "" {
		return DefaultPath(), nil
	}
	if err := CheckClusterName(name); err != nil {
		return "", err
	}
	return defaultPath(clusterPaths(DefaultPaths, name)), nil
}

func clusterPaths(paths []string, name string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = strings.TrimSuffix(p, ".conf") + "_" + name + ".conf"
	}
	return out
}

// clusterOf is the cluster whose file path is (ClusterPath's), or "".
func clusterOf(path string) string {
	for _, p := range DefaultPaths {
		prefix := strings.TrimSuffix(p, ".conf") + "_"
		name, ok := strings.CutPrefix(path, prefix)
		if !ok {
			continue
		}
		if name, ok = strings.CutSuffix(name, ".conf"); ok && CheckClusterName(name) == nil {
			return name
		}
	}
	return ""
}
