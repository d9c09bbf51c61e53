// Command mmm-check is keepalived's vrrp_script for mmm-keepalived: it
// runs MySQL-MMM's checks against the local MySQL and exits 0 when it is
// healthy, 1 when a check failed, 2 on a usage or configuration error,
// always before its --timeout. `mmm-check --help` explains it.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	start := time.Now()
	// The last resort behind the checks' own deadlines: whatever happens,
	// answer before keepalived gives up on us. A signal ends the process
	// at once (default disposition): there is nothing to clean up.
	if o, err := parseArgs(os.Args[1:], io.Discard); err == nil {
		time.AfterFunc(time.Until(start.Add(hardDeadline(o.timeout))), func() {
			fmt.Fprintf(os.Stderr, "mmm-check: ERROR: no result within %v (hard deadline)\n", o.timeout)
			os.Exit(exitFailed)
		})
	}
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
