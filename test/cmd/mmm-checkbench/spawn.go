package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// buildSpawner builds the measuring parent (./mmm-checkbench-spawn, whose
// doc says why it is a separate program) into dir, unless path names one.
func buildSpawner(ctx context.Context, path, dir string) (string, error) {
	if path != "" {
		return path, nil
	}
	out := filepath.Join(dir, "spawn")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, spawnPkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the spawner (or pass --spawner): %w: %s", err, strings.TrimSpace(string(b)))
	}
	return out, nil
}

// spawnPkg is the spawner's import path.
const spawnPkg = "github.com/mmm-keepalived/mmm-keepalived/test/cmd/mmm-checkbench/mmm-checkbench-spawn"

// once runs c through the spawner and returns its wall time and peak RSS.
// A failing command runs again with its output kept, to show why.
func once(ctx context.Context, spawner string, c command) (time.Duration, int64, error) {
	out, err := exec.CommandContext(ctx, spawner, c.argv...).Output()
	if err != nil {
		return 0, 0, fmt.Errorf("%s: spawner: %w", c.name, err)
	}
	var wallNS, rss int64
	var code int
	if _, err := fmt.Sscan(string(out), &wallNS, &rss, &code); err != nil {
		return 0, 0, fmt.Errorf("%s: spawner said %q: %w", c.name, out, err)
	}
	if code != 0 {
		var b bytes.Buffer
		again := exec.CommandContext(ctx, c.argv[0], c.argv[1:]...)
		again.Stdout, again.Stderr = &b, &b
		_ = again.Run()
		return 0, 0, fmt.Errorf("%s exited %d: %s", c.name, code, strings.TrimSpace(b.String()))
	}
	return time.Duration(wallNS), rss, nil
}
