package app_test

import (
	"testing"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// TestBrokenDefaultConfig: a broken file at the default configuration
// path does not stop --api with --token-file (the flags name everything),
// but still stops a command that needs the file (the token for --api).
// Not parallel: it points config.DefaultPaths at a temporary file.
func TestBrokenDefaultConfig(t *testing.T) {
	e := newEnv(t)
	broken := write(t, t.TempDir(), "mmm.conf", "# a stub left by an installation\n")
	saved := config.DefaultPaths
	config.DefaultPaths = []string{broken}
	defer func() { config.DefaultPaths = saved }()

	url := "http://" + e.served.Addr
	for _, tc := range []struct {
		args   []string
		stdout string
		code   int
	}{
		{[]string{"--api", url, "--token-file", e.token, "ping"}, "OK: Pinged successfully!\n", 0},
		{[]string{"--api", "unix://" + e.served.Socket, "ping"}, "OK: Pinged successfully!\n", 0},
		{[]string{"--api", url, "ping"}, "", 8},                                              // the token file comes from the configuration
		{[]string{"--config", broken, "--api", url, "--token-file", e.token, "ping"}, "", 8}, // named: must load
		{[]string{"ping"}, "", 8},
	} {
		run(t, tc.args...).check(t, tc.args, tc.stdout, tc.code)
	}
}
