package doctor

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/mycnf"
)

// ExecProbe is the LocalProbe of a real machine.
type ExecProbe struct {
	// Keepalived is the program to run ("" = keepalived on PATH).
	Keepalived string
}

var keepalivedVersion = regexp.MustCompile(`(?i)keepalived v?(\d+\.\d+(?:\.\d+)?)`)

// KeepalivedVersion runs `keepalived --version` (it prints to stderr)
// within ctx and 5 s.
func (p ExecProbe) KeepalivedVersion(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, cmpOr(p.Keepalived, "keepalived"), "--version").CombinedOutput()
	return parseKeepalivedVersion(string(out), err)
}

func parseKeepalivedVersion(out string, err error) (string, error) {
	if m := keepalivedVersion.FindStringSubmatch(out); m != nil {
		return m[1], nil // some versions exit non-zero after --version
	}
	if err != nil {
		return "", err
	}
	return "", fmt.Errorf("no version in %q", strings.TrimSpace(out))
}

// RestartProblems implements RestartProbe: mycnf.ReadPid, then
// mycnf.Options and mycnf.Check within ctx and 5 s.
func (ExecProbe) RestartProblems(ctx context.Context, pidfile string) ([]string, error) {
	pid, err := mycnf.ReadPid(pidfile)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	opts, err := mycnf.Options(ctx, pid)
	if err != nil {
		return nil, err
	}
	return mycnf.Check(opts), nil
}

// ReadFile implements LocalProbe.
func (ExecProbe) ReadFile(path string) ([]byte, error) { return os.ReadFile(path) }

// Machine is what DetectLocal looks at: this machine's host name and
// addresses.
type Machine struct {
	Hostname string
	Addrs    []netip.Addr
}

// ThisMachine reads the host name and the interfaces' addresses.
func ThisMachine() Machine {
	var m Machine
	m.Hostname, _ = os.Hostname()
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			m.Addrs = append(m.Addrs, p.Addr().Unmap())
		}
	}
	return m
}

// DetectLocal tells which writer host this machine is: the
// configuration's `this`, else the host whose name is the machine's
// (short) host name, else the one whose ip is one of its addresses. ""
// when it is none of the writer role's hosts.
func DetectLocal(cfg *config.Config, m Machine) string {
	writers := writerHosts(cfg)
	if cfg.This != "" {
		if slices.Contains(writers, cfg.This) {
			return cfg.This
		}
		return ""
	}
	short, _, _ := strings.Cut(m.Hostname, ".")
	for _, w := range writers {
		if short != "" && (strings.EqualFold(w, short) || strings.EqualFold(w, m.Hostname)) {
			return w
		}
	}
	for _, w := range writers {
		if h := cfg.Host(w); h != nil && slices.Contains(m.Addrs, h.IP.Unmap()) {
			return w
		}
	}
	return ""
}
