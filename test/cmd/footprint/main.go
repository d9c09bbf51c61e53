// Command footprint is a benchmark, not a test: it brings up the lab
// (its own prefix) with the three coordinators built from this tree,
// leaves the cluster idle for --duration with the timing of --profile
// (fast: the lab's check_period 1 s, lease 1 s, raft heartbeat timeout
// 500 ms; defaults: the shipped ones), and prints each coordinator's RSS
// and CPU use (per minute and overall), and who led. The goals: RSS ≤ 40
// MB; CPU of the raft leader ≤ 1 % of a core with the defaults, ≤ 2 %
// with the fast timings. Needs root.
//
//	go run ./test/cmd/footprint --profile defaults
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// userHZ is the unit of /proc/PID/stat's utime and stime (fixed on Linux).
const userHZ = 100

func main() {
	duration := flag.Duration("duration", 10*time.Minute, "how long to measure (after a 20 s warm-up)")
	// Not a test suite's prefix: a suite brought up under it would take
	// this lab over and tear it down mid-measurement.
	prefix := flag.String("prefix", "mmmp", "the lab's namespace prefix")
	profile := flag.String("profile", string(lab.ProfileFast), "the cluster's timing: fast (the lab's) or defaults (the shipped ones)")
	flag.Parse()
	p, err := lab.ParseProfile(*profile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "footprint: --profile: %v\n", err)
		os.Exit(2)
	}
	if err := run(*duration, *prefix, p); err != nil {
		fmt.Fprintln(os.Stderr, "footprint:", err)
		os.Exit(1)
	}
}

func run(duration time.Duration, prefix string, profile lab.Profile) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	bin, err := os.MkdirTemp("", "mmm-footprint-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(bin)
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(bin, "mmm-coordinator"), "./cmd/mmm-coordinator")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building mmm-coordinator (run from the repository root): %v\n%s", err, out)
	}
	l, err := lab.New(lab.Options{Prefix: prefix, BinDir: bin, Profile: profile,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return err
	}
	lctx, lcancel := context.WithTimeout(ctx, 10*time.Minute)
	defer lcancel()
	// Another run under the same prefix: wait for it, never break it.
	if err := l.Lock(lctx); err != nil {
		return err
	}
	defer l.Unlock()
	defer func() {
		dctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := l.Down(dctx); err != nil {
			fmt.Fprintln(os.Stderr, "footprint: lab down:", err)
		}
	}()
	uctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := l.Up(uctx); err != nil {
		return err
	}
	hosts := lab.DBHosts()
	pids := map[string]int{}
	for _, h := range hosts {
		b, err := os.ReadFile(filepath.Join(l.StateDir(), h.Name, "coordinator.pid"))
		if err != nil {
			return err
		}
		if pids[h.Name], err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
			return err
		}
	}
	fmt.Printf("lab %s up; warming up 20 s, then measuring %v (profile %s, idle)\n", prefix, duration, profile)
	if !sleep(ctx, 20*time.Second) {
		return ctx.Err()
	}
	type sample struct {
		ticks uint64
		rss   uint64 // KiB
	}
	read := func() (map[string]sample, error) {
		out := map[string]sample{}
		for h, pid := range pids {
			t, err := cpuTicks(pid)
			if err != nil {
				return nil, fmt.Errorf("%s (pid %d): %w", h, pid, err)
			}
			r, err := rssKiB(pid)
			if err != nil {
				return nil, fmt.Errorf("%s (pid %d): %w", h, pid, err)
			}
			out[h] = sample{t, r}
		}
		return out, nil
	}
	first, err := read()
	if err != nil {
		return err
	}
	start := time.Now()
	prev, prevAt := first, start
	maxRSS := map[string]uint64{}
	fmt.Printf("%-8s", "minute")
	for _, h := range hosts {
		fmt.Printf("  %-24s", h.Name+" cpu% / rss MiB / role")
	}
	fmt.Println()
	for minute := 1; time.Since(start) < duration; minute++ {
		step := min(time.Minute, duration-time.Since(start))
		if !sleep(ctx, step) {
			break
		}
		cur, err := read()
		if err != nil {
			return err
		}
		secs := time.Since(prevAt).Seconds()
		leader := l.CoordinatorLeader(ctx, hosts[0].Name)
		fmt.Printf("%-8d", minute)
		for _, h := range hosts {
			c := cur[h.Name]
			maxRSS[h.Name] = max(maxRSS[h.Name], c.rss)
			role := "follower"
			if h.Name == leader {
				role = "leader"
			}
			fmt.Printf("  %-24s", fmt.Sprintf("%.2f / %.1f / %s", pct(c.ticks-prev[h.Name].ticks, secs), float64(c.rss)/1024, role))
		}
		fmt.Println()
		prev, prevAt = cur, time.Now()
	}
	secs := time.Since(start).Seconds()
	fmt.Printf("\noverall, %.0f s:\n", secs)
	for _, h := range hosts {
		fmt.Printf("  %s  cpu %.2f %% of a core   rss now %.1f MiB, max %.1f MiB\n", h.Name,
			pct(prev[h.Name].ticks-first[h.Name].ticks, secs), float64(prev[h.Name].rss)/1024, float64(maxRSS[h.Name])/1024)
	}
	return nil
}

func pct(ticks uint64, secs float64) float64 { return float64(ticks) / userHZ / secs * 100 }

func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// cpuTicks is utime + stime of pid (/proc/PID/stat fields 14 and 15).
func cpuTicks(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: count after its ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bad /proc/%d/stat", pid)
	}
	return u + st, nil
}

// rssKiB is VmRSS of pid.
func rssKiB(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}
