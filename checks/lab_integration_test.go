//go:build integration

package checks_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/checks"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// timeout is mmm-check's --timeout in these tests: what keepalived.conf
// passes (check_timeout 1 s × 4/5).
const timeout = 800 * time.Millisecond

// outcome is one run of the mmm-check binary.
type outcome struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

// mmmCheck runs the binary in the root namespace, where the lab's unix
// sockets are reachable.
func mmmCheck(t *testing.T, args ...string) outcome {
	t.Helper()
	return runBin(t, exec.Command(checkBin(), append([]string{"--timeout", timeout.String()}, args...)...))
}

// mmmCheckIn runs the binary inside a lab host's namespace (ping, TCP).
func mmmCheckIn(t *testing.T, host string, args ...string) outcome {
	t.Helper()
	argv := append([]string{"netns", "exec", theLab.Namespace(host), checkBin(), "--timeout", timeout.String()}, args...)
	return runBin(t, exec.Command("ip", argv...))
}

func runBin(t *testing.T, cmd *exec.Cmd) outcome {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	o := outcome{stdout: out.String(), stderr: errOut.String(), took: time.Since(start)}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("%s: %v", cmd, err)
		}
		o.code = ee.ExitCode()
	}
	return o
}

// expect checks the exit code, stdout, a one-line stderr holding errHas
// (or an empty one), and that the run ended before its deadline: the
// correctness of "never hangs", a bound and not a speed target. slack
// covers `ip netns exec` around the binary.
func (o outcome) expect(t *testing.T, code int, slack time.Duration, outHas string, errHas ...string) {
	t.Helper()
	t.Logf("exit %d after %v\n%s%s", o.code, o.took.Round(time.Millisecond), o.stdout, o.stderr)
	if o.code != code || !strings.Contains(o.stdout, outHas) {
		t.Errorf("exit %d, want %d; stdout %q, want it to hold %q; stderr %q", o.code, code, o.stdout, outHas, o.stderr)
	}
	switch {
	case len(errHas) == 0 && o.stderr != "":
		t.Errorf("stderr %q, want nothing", o.stderr)
	case len(errHas) > 0 && strings.Count(o.stderr, "\n") != 1:
		t.Errorf("stderr is not one line: %q", o.stderr)
	}
	for _, s := range errHas {
		if !strings.Contains(o.stderr, s) {
			t.Errorf("stderr %q lacks %q", o.stderr, s)
		}
	}
	if o.took >= timeout+slack {
		t.Errorf("returned after %v: not before its deadline %v", o.took, timeout)
	}
}

// hostConfig is the lab's configuration as host sees it (`this host`).
func hostConfig(host string) string { return theLab.HostConfigPath(host) }

// derivedConfig writes a copy of the lab's cluster configuration with
// edit applied and `this` set, for what the lab's own files do not cover
// (TCP instead of the socket, a wrong password, ping over TCP).
func derivedConfig(t *testing.T, this string, edit func(string) string) string {
	t.Helper()
	b, err := os.ReadFile(theLab.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "mmm_common.conf")
	if err := os.WriteFile(p, []byte(edit(string(b))+"\nthis "+this+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// overTCP drops every mysql_socket: the checks then use ip:mysql_port.
func overTCP(conf string) string {
	var keep []string
	for _, l := range strings.Split(conf, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "mysql_socket") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// target is host's target in the lab's configuration, over its socket,
// as mmm-check takes it.
func target(t *testing.T, host string) (*config.Config, checks.Target) {
	t.Helper()
	cfg, err := config.Load(hostConfig(host))
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := checks.TargetOf(cfg.Host(host), true)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, tgt
}

// check builds a check of host as mmm-check does.
func check(t *testing.T, host, name string) checks.Check {
	t.Helper()
	cfg, tgt := target(t, host)
	c, err := checks.New(name, cfg, tgt)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runCheck runs c with mmm-check's budget and asserts the outcome and
// that it ended before its deadline.
func runCheck(t *testing.T, c checks.Check, st checks.Status, msg string) checks.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	r := c.Run(ctx)
	ok := r.Message == msg
	if p, cut := strings.CutSuffix(msg, "..."); cut {
		ok = strings.HasPrefix(r.Message, p)
	}
	if r.Status != st || !ok {
		t.Errorf("%s: %v, want %v %q", c.Name(), r, st, msg)
	}
	if r.Duration >= timeout {
		t.Errorf("%s took %v: not before its deadline %v", c.Name(), r.Duration, timeout)
	}
	return r
}

// fault takes a lab fault's result and registers its undo, then waits
// for the lab to be healthy again, so that no test leaves a fault behind:
// fault(t)(theLab.StopMySQL(ctx, "db3")).
func fault(t *testing.T) func(lab.Undo, error) {
	return func(undo lab.Undo, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if err := undo(ctx); err != nil {
				t.Errorf("undo: %v", err)
			}
			waitHealthy(t)
		})
	}
}

// waitHealthy polls, with a deadline, until the lab is in its steady state.
func waitHealthy(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		err := theLab.Healthy(context.Background())
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lab did not become healthy again: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// eventually polls c until it reports st with msg, for at most limit.
func eventually(t *testing.T, c checks.Check, st checks.Status, msg string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		r := c.Run(ctx)
		cancel()
		if r.Status == st && r.Message == msg {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never said %v %q within %v; last: %v", c.Name(), st, msg, limit, r)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
