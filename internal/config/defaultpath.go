package config

import "os"

// DefaultPaths are where the binaries look for the host's configuration
// when --config is not given, in order: the packaged file, then an MMM
// installation's agent file (it names `this` and includes
// mmm_common.conf), so that MMM users can start without moving anything.
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
