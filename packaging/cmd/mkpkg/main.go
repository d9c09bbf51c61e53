// Command mkpkg builds mmm-keepalived's .deb and .rpm packages (make
// package): see package packaging.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/mmm-keepalived/mmm-keepalived/packaging"
)

func main() {
	var o packaging.Options
	var archs string
	flag.StringVar(&o.Root, "root", ".", "the repository `DIR`")
	flag.StringVar(&o.Out, "out", "dist", "write the packages into `DIR`")
	flag.StringVar(&o.Describe, "describe", "", "the version: `git describe --tags --always --dirty`")
	flag.StringVar(&o.LDFlags, "ldflags", "-s -w", "go build -ldflags `FLAGS`")
	flag.StringVar(&archs, "arch", "amd64,arm64", "comma-separated GOARCH `LIST`")
	flag.StringVar(&o.Go, "go", "go", "the go `COMMAND`")
	flag.BoolVar(&o.AllowMissing, "allow-missing", false, "build without the commands not written yet (never for a release)")
	flag.Parse()
	o.Archs = strings.Split(archs, ",")
	o.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pkgs, err := packaging.Build(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkpkg:", err)
		os.Exit(1)
	}
	for _, p := range pkgs {
		fmt.Println(p)
	}
}
