package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/test/failbench"
	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// parseFailover finishes parse for the failover benchmark.
func parseFailover(o options, scen string) (options, error) {
	if o.prefix == "" {
		o.prefix = "mmmw"
	}
	for _, s := range strings.Split(o.systems, ",") {
		if s != "ours" && s != "classic" {
			return o, fmt.Errorf("%w %q (ours, classic; or hand alone)", failbench.ErrUnknownSystem, s)
		}
	}
	if scen == "" {
		o.fbScen = failbench.Scenarios
		return o, nil
	}
	for _, name := range strings.Split(scen, ",") {
		s, err := failbench.ParseScenario(name)
		if err != nil {
			return o, err
		}
		o.fbScen = append(o.fbScen, s)
	}
	return o, nil
}

// runFailover runs the failover benchmark, then prints the table and
// writes the JSON and the SVG — also of the trials done before an error
// or Ctrl-C. Every trial tears its lab down itself.
func runFailover(ctx context.Context, o options, out io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	_ = mysql.SetLogger(&mysql.NopLogger{}) // killed connections are the point
	fo := failbench.Options{
		Prefix: o.prefix, BinDir: filepath.Dir(exe), Trials: o.trials, Scenarios: o.fbScen,
		Systems: strings.Split(o.systems, ","), Interval: o.interval, Attempt: o.attempt, LogDir: o.logDir,
		Semisync: lab.SemisyncLayout(o.semisync), Profile: lab.Profile(o.profile),
		Logger:   slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
		Progress: out,
	}
	var res failbench.Results
	var runErr error
	if o.render != "" {
		res, runErr = readResults(o.render)
		if runErr != nil {
			return runErr
		}
	} else {
		res, runErr = failbench.Run(ctx, fo)
	}
	res.Summarize()
	fmt.Fprintf(out, "\n%d trials in %v\n\n", len(res.Runs), res.Finished.Sub(res.Started).Round(time.Second))
	for _, s := range res.Systems {
		fmt.Fprintf(out, "%s: %s\n", s.Name, s.Description)
	}
	fmt.Fprintln(out)
	res.WriteTable(out)
	fmt.Fprintln(out)
	res.WriteStages(out)
	fmt.Fprintln(out)
	for _, t := range res.Targets() {
		mark := "MISSED"
		if t.Met {
			mark = "met"
		}
		fmt.Fprintf(out, "target %-6s %s (%s)\n", mark, t.What, t.Why)
	}
	if err := writeFile(o.jsonOut, res.WriteJSON); err != nil && runErr == nil {
		runErr = err
	}
	if err := writeFile(o.svgOut, res.WriteSVG); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}

// readResults reads a JSON results file written by --json.
func readResults(path string) (failbench.Results, error) {
	var r failbench.Results
	b, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// writeFile writes through fn to path, unless path is "".
func writeFile(path string, fn func(io.Writer) error) error {
	if path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
