// Command mmmctl controls mmm-keepalived: MySQL-MMM's mmm_control commands
// with their output, and the raft-era tools. See the README's mmmctl section.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/mmm-keepalived/mmm-keepalived/cmd/mmmctl/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := app.Run(ctx, app.New(), os.Args)
	stop()
	os.Exit(app.Report(os.Stderr, err))
}
