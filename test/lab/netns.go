package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// netnsDir is where `ip netns add` mounts named namespaces.
const netnsDir = "/run/netns"

// namespaceExists reports whether /run/netns/<name> exists.
func namespaceExists(name string) bool {
	_, err := os.Stat(filepath.Join(netnsDir, name))
	return err == nil
}

// addNamespace creates a named namespace with `ip netns add`, which also
// sets up /run/netns the way every other tool expects (a shared mount).
func addNamespace(ctx context.Context, name string) error {
	return run(ctx, "ip", "netns", "add", name)
}

// delNamespace removes a named namespace; a missing one is not an error.
func delNamespace(ctx context.Context, name string) error {
	if !namespaceExists(name) {
		return nil
	}
	return run(ctx, "ip", "netns", "delete", name)
}

func run(ctx context.Context, argv ...string) error {
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("lab: %s: %w: %s", strings.Join(argv, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// handle opens a netlink handle inside a named namespace. The caller
// closes it.
func handle(ns string) (*netlink.Handle, error) {
	nsh, err := netns.GetFromName(ns)
	if err != nil {
		return nil, fmt.Errorf("lab: namespace %s: %w", ns, err)
	}
	defer nsh.Close()
	h, err := netlink.NewHandleAt(nsh)
	if err != nil {
		return nil, fmt.Errorf("lab: netlink in %s: %w", ns, err)
	}
	return h, nil
}

// inNamespace runs fn on an OS thread switched into the named namespace,
// so that sockets fn creates belong to it. The thread is locked for the
// whole call; if switching back fails, the thread stays locked and dies
// with its goroutine rather than serve other goroutines in the wrong
// namespace.
func inNamespace(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		origin, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("lab: current namespace: %w", err)
			return
		}
		defer origin.Close()
		target, err := netns.GetFromName(ns)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("lab: namespace %s: %w", ns, err)
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("lab: enter %s: %w", ns, err)
			return
		}
		ferr := fn()
		if err := netns.Set(origin); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("lab: leave %s: %w", ns, err))
			return // still locked: the runtime discards this thread
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// DialContext returns a dial function that opens TCP connections from
// inside host's namespace, with the signature of net.Dialer.DialContext
// (network is ignored: always TCP). The address must be an IP literal
// with a port, inside Net; anything else is refused before any packet is
// sent.
func (l *Lab) DialContext(host string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, _, addr string) (net.Conn, error) {
		return l.Dial(ctx, host, addr)
	}
}

// Dial opens a TCP connection from inside host's namespace to addr
// ("198.18.0.11:3306"). The connection keeps working after the call: a
// socket stays in the namespace it was created in.
func (l *Lab) Dial(ctx context.Context, host, addr string) (net.Conn, error) {
	if _, err := LookupHost(host); err != nil {
		return nil, err
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("lab: dial %q: %w", addr, err)
	}
	if err := CheckAddrs(ap.Addr()); err != nil {
		return nil, err
	}
	var conn net.Conn
	err = inNamespace(l.Namespace(host), func() error {
		// No keepalive probes of Go's own (15 s idle): applications'
		// clients (libmysqlclient, Connector/J) leave the kernel's two
		// hours, so a client waiting for an answer from a writer that
		// vanished hears nothing unless the cluster tells it.
		d := net.Dialer{KeepAlive: -1}
		c, err := d.DialContext(ctx, "tcp4", ap.String())
		conn = c
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("lab: dial %s from %s: %w", addr, host, err)
	}
	return conn, nil
}

// Exec runs argv inside host's namespace (ip netns exec) and returns its
// combined output.
func (l *Lab) Exec(ctx context.Context, host string, argv ...string) ([]byte, error) {
	if _, err := LookupHost(host); err != nil {
		return nil, err
	}
	if len(argv) == 0 {
		return nil, fmt.Errorf("lab: exec in %s: no command", host)
	}
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", l.Namespace(host)}, argv...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("lab: exec in %s: %s: %w", host, strings.Join(argv, " "), err)
	}
	return out, nil
}

// wrap is the command prefix that starts a process inside host's
// namespace.
func (l *Lab) wrap(host string) []string {
	return []string{"ip", "netns", "exec", l.Namespace(host)}
}
