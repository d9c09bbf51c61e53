//go:build integration

package keepalived

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fifoLine is one vrrp_notify_fifo line and when the test read it.
type fifoLine struct {
	text string
	at   time.Time
}

// TestTrackFileDrivesKeepalived runs the rendered lab configuration of db1
// in a real keepalived, alone in an anonymous network namespace (a veth
// pair addressed in 198.18.0.0/24, no link out; it vanishes with
// keepalived), and checks what the rest of the suite relies on:
//   - WriteTrackFile's rename moves the instance between MASTER and FAULT
//     (keepalived reads the file on IN_MOVED_TO);
//   - the VIP follows;
//   - ParseFifoLine reads every vrrp_notify_fifo line, and
//     ParseNotifyArgs every notify call, configured arguments included.
func TestTrackFileDrivesKeepalived(t *testing.T) {
	bin := needKeepalived(t)
	if _, err := exec.LookPath("nsenter"); err != nil {
		t.Skip("nsenter is missing: the test reads the namespace's addresses with it")
	}
	cfg := labConfig()
	testBins(t, cfg)
	dir := filepath.Dir(cfg.Keepalived.NotifyBin)
	notifyLog := filepath.Join(dir, "notify.log")
	if err := os.WriteFile(cfg.Keepalived.NotifyBin,
		[]byte("#!/bin/sh\nprintf '%s\\n' \"$*\" >> "+notifyLog+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	track := cfg.Hosts[0].TrackFile
	if err := WriteTrackFile(track, true); err != nil {
		t.Fatal(err)
	}
	conf, err := Render(cfg, "db1")
	if err != nil {
		t.Fatal(err)
	}
	confFile := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(confFile, conf, 0o600); err != nil {
		t.Fatal(err)
	}

	// Open the fifo before keepalived does, read-write like keepalived,
	// so that reads wait for lines instead of seeing EOF.
	if err := syscall.Mkfifo(cfg.Keepalived.NotifyFifo, 0o600); err != nil {
		t.Fatal(err)
	}
	fifo, err := os.OpenFile(cfg.Keepalived.NotifyFifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fifo.Close() })
	lines := make(chan fifoLine, 100)
	go func() {
		sc := bufio.NewScanner(fifo)
		for sc.Scan() {
			lines <- fifoLine{sc.Text(), time.Now()}
		}
		close(lines)
	}()

	pidFile := filepath.Join(dir, "keepalived.pid")
	logFile, err := os.Create(filepath.Join(dir, "keepalived.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command("unshare", "--net", "--", "sh", "-ec", `
ip link set lo up
ip link add eth0 type veth peer name eth0p
ip link set eth0p up
ip link set eth0 up
ip addr add 198.18.0.11/24 dev eth0
exec "$1" -n -l -D -P -f "$2" -p "$3" -r "$3.vrrp" -c "$3.checkers" -b "$3.bfd"`,
		"sh", bin, confFile, pidFile)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// keepalived must not outlive the test, even if the test binary dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// exited closes when keepalived has exited; waitErr is set by then.
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	stop := func() {
		select {
		case <-exited:
			return
		default:
		}
		// keepalived's own pid file names the process to stop; sh exec'd
		// it, so it is also cmd's.
		pid := cmd.Process.Pid
		if b, err := os.ReadFile(pidFile); err == nil {
			if p, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				pid = p
			}
		}
		syscall.Kill(pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			b, _ := os.ReadFile(logFile.Name())
			t.Logf("keepalived output:\n%s", b)
		}
	})

	var seen []Transition
	// running is exited until the test stops keepalived itself.
	running := exited
	// expect reads fifo lines until the instance reports want, and returns
	// how long after since that line came.
	expect := func(want State, since time.Time, within time.Duration) time.Duration {
		t.Helper()
		deadline := time.After(within)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("fifo closed before %v", want)
				}
				tr, err := ParseFifoLine(l.text)
				if err != nil {
					t.Fatalf("fifo: %v", err)
				}
				seen = append(seen, tr)
				t.Logf("%6v after the write: %s", l.at.Sub(since).Round(time.Millisecond), l.text)
				if tr.Name == InstanceName && tr.State == want {
					return l.at.Sub(since)
				}
			case <-running:
				t.Fatalf("keepalived exited (%v) before %v", waitErr, want)
			case <-deadline:
				t.Fatalf("no %v within %v; fifo so far: %v", want, within, seen)
			}
		}
	}
	hasVIP := func() bool {
		out, err := exec.Command("nsenter", "--net=/proc/"+strconv.Itoa(cmd.Process.Pid)+"/ns/net",
			"ip", "-4", "-o", "addr", "show", "dev", "eth0").CombinedOutput()
		if err != nil {
			t.Fatalf("ip addr in the namespace: %v: %s", err, out)
		}
		return strings.Contains(string(out), "198.18.0.100/32")
	}
	checkVIP := func(want bool) {
		t.Helper()
		if got := hasVIP(); got != want {
			t.Fatalf("VIP on eth0: %v, want %v", got, want)
		}
	}

	// Start: init_fail holds the instance in FAULT until mmm-check has
	// passed rise (2) times, 1 s apart.
	start := time.Now()
	expect(StateMaster, start, 15*time.Second)
	checkVIP(true)
	for i := range 2 {
		at := time.Now()
		if err := WriteTrackFile(track, false); err != nil {
			t.Fatal(err)
		}
		d := expect(StateFault, at, 5*time.Second)
		checkVIP(false)
		at = time.Now()
		if err := WriteTrackFile(track, true); err != nil {
			t.Fatal(err)
		}
		up := expect(StateMaster, at, 5*time.Second)
		checkVIP(true)
		t.Logf("round %d: track file 1 -> FAULT in %v, 0 -> MASTER in %v", i+1, d.Round(time.Millisecond), up.Round(time.Millisecond))
	}
	at := time.Now()
	running = nil
	stop()
	expect(StateStop, at, 5*time.Second)

	// Every notify call parses, with its configured arguments in front.
	b, err := os.ReadFile(notifyLog)
	if err != nil {
		t.Fatal(err)
	}
	prefix := "--config " + cfg.Files[0] + " --host db1 "
	states := map[State]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if !strings.HasPrefix(line, prefix) {
			t.Errorf("notify called with %q, want the arguments %q first", line, prefix)
		}
		tr, err := ParseNotifyArgs(strings.Fields(line))
		if err != nil {
			t.Errorf("notify: %v", err)
			continue
		}
		states[tr.State]++
	}
	// keepalived runs notify scripts asynchronously: count, don't order.
	if states[StateMaster] < 3 || states[StateFault] < 2 {
		t.Errorf("notify states %v: want MASTER ≥ 3 and FAULT ≥ 2", states)
	}
	t.Logf("fifo: %v", seen)
}
