package hook

import (
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// TestParse: flags up to the first non-flag, again after it; errors are
// one ErrUsage line.
func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		rest    []string
		timeout time.Duration
		wantErr string
	}{
		{name: "none", timeout: time.Second},
		{name: "flags then words", args: []string{"--timeout", "0.5", "--host", "db1", "a", "--version"},
			rest: []string{"a", "--version"}, timeout: 500 * time.Millisecond},
		{name: "unknown flag", args: []string{"--hots", "db1"},
			wantErr: "usage: flag provided but not defined: -hots"},
		{name: "bad timeout names the example", args: []string{"--timeout", "soon"},
			wantErr: `usage: invalid value "soon" for flag -timeout: expected a duration such as 1s or 0.8, got "soon"`},
		{name: "timeout not positive", args: []string{"--timeout=0"},
			wantErr: `usage: invalid value "0" for flag -timeout: must be positive, got "0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFlags("hook", time.Second, "1s", io.Discard)
			rest, err := f.Parse(tt.args)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !errors.Is(err, ErrUsage) {
					t.Fatalf("Parse(%q) = %v, want %q (ErrUsage)", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(rest, tt.rest) || f.Timeout != tt.timeout {
				t.Fatalf("Parse(%q) = %q, %v, timeout %v; want %q, %v", tt.args, rest, err, f.Timeout, tt.rest, tt.timeout)
			}
		})
	}
	// Called again after a word, it goes on where it stopped.
	f := NewFlags("hook", time.Second, "1s", io.Discard)
	rest, _ := f.Parse([]string{"a", "--version", "b"})
	if rest, err := f.Parse(rest[1:]); err != nil || !f.Version || !slices.Equal(rest, []string{"b"}) {
		t.Errorf("second Parse: %q, %v, version %v", rest, err, f.Version)
	}
}

func TestHostName(t *testing.T) {
	for _, tt := range []struct{ this, host, want, wantErr string }{
		{this: "db1", want: "db1"},
		{this: "db1", host: "db2", want: "db2"},
		{host: "db2", want: "db2"},
		{wantErr: "/etc/x.conf names no host (`this`): pass --host NAME"},
	} {
		got, err := HostName(&config.Config{This: tt.this}, "/etc/x.conf", tt.host)
		if got != tt.want || (err == nil) != (tt.wantErr == "") || (err != nil && err.Error() != tt.wantErr) {
			t.Errorf("this %q, --host %q: %q, %v; want %q, %q", tt.this, tt.host, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestDeadlines(t *testing.T) {
	for _, tt := range []struct{ d, budget, hard time.Duration }{
		{2 * time.Second, 1950 * time.Millisecond, 1975 * time.Millisecond},
		{100 * time.Millisecond, 90 * time.Millisecond, 95 * time.Millisecond},
	} {
		if b, h := Budget(tt.d), HardDeadline(tt.d); b != tt.budget || h != tt.hard {
			t.Errorf("%v: budget %v, hard deadline %v; want %v, %v", tt.d, b, h, tt.budget, tt.hard)
		}
	}
	if got := OneLine(errors.New("a.conf:1: x\n  a.conf:2: y\n")); got != "a.conf:1: x; a.conf:2: y;" {
		t.Errorf("OneLine = %q", got)
	}
}

// TestCluster: --cluster NAME reads config.ClusterPath(NAME); with
// --config, or with a name that cannot be a file name, it is a usage
// error.
func TestCluster(t *testing.T) {
	saved := config.DefaultPaths
	dir := t.TempDir()
	config.DefaultPaths = []string{filepath.Join(dir, "mmm.conf")}
	t.Cleanup(func() { config.DefaultPaths = saved })
	for _, tt := range []struct {
		name    string
		args    []string
		config  string
		cluster string
		wantErr string
	}{
		{name: "default", config: filepath.Join(dir, "mmm.conf")},
		{name: "--cluster", args: []string{"--cluster", "c2", "--host", "db1"}, config: filepath.Join(dir, "mmm_c2.conf"), cluster: "c2"},
		{name: "--config", args: []string{"--config", "/x.conf"}, config: "/x.conf"},
		{name: "both", args: []string{"--config", "/x.conf", "--cluster", "c2"},
			wantErr: "usage: --config and --cluster both name the configuration: give one"},
		{name: "bad name", args: []string{"--cluster", "c2/../c3"},
			wantErr: `usage: --cluster: cluster name "c2/../c3": want letters, digits, '-' and '_'`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFlags("hook", time.Second, "1s", io.Discard)
			_, err := f.Parse(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) || !errors.Is(err, ErrUsage) {
					t.Fatalf("Parse(%q) = %v, want %q… (ErrUsage)", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil || f.Config != tt.config || f.Cluster != tt.cluster {
				t.Errorf("Parse(%q): %v, config %q, cluster %q; want %q, %q", tt.args, err, f.Config, f.Cluster, tt.config, tt.cluster)
			}
		})
	}
	// mmm-check parses again after each check name: --cluster still holds.
	f := NewFlags("hook", time.Second, "1s", io.Discard)
	rest, _ := f.Parse([]string{"--cluster", "c2", "mysql", "--host", "db1"})
	if _, err := f.Parse(rest[1:]); err != nil || f.Config != filepath.Join(dir, "mmm_c2.conf") {
		t.Errorf("second Parse: %v, config %q", err, f.Config)
	}
}
