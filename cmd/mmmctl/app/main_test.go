package app_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// TestMain points the default configuration paths into an empty
// temporary directory: a test must never read the machine's own
// /etc/mmm-keepalived/mmm.conf, which a package installed and removed
// without purge leaves behind. A test that needs a default file sets
// config.DefaultPaths itself and restores it.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mmmctl-defaults")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	config.DefaultPaths = []string{filepath.Join(dir, "mmm.conf"), filepath.Join(dir, "mmm_agent.conf")}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestDefaultPathsIsolated: the default paths the tests see are the
// temporary ones, not the machine's.
func TestDefaultPathsIsolated(t *testing.T) {
	for _, p := range config.DefaultPaths {
		if !strings.HasPrefix(p, os.TempDir()) {
			t.Errorf("tests read the default configuration path %s", p)
		}
	}
}
