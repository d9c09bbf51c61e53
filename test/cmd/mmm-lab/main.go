// Command mmm-lab brings the lab of test/lab up and down, shows its state
// and applies its fault primitives by hand. `make demo` runs `mmm-lab up`.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newApp().RunContext(ctx, os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "mmm-lab:", err)
		stop()
		os.Exit(1)
	}
}
