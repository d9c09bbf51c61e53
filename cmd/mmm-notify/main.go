// Command mmm-notify is keepalived's notify hook for mmm-keepalived:
// when the writer's VRRP instance leaves MASTER it fences the local MySQL
// (read_only=1, client connections killed) unless the notification is
// stale, and it reports every transition to the local coordinator. It
// never opens writes. `mmm-notify --help` explains it; package notify
// holds the decision.
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
	// The last resort behind the handler's own deadline: answer before
	// keepalived's next move. A signal ends the process at once (default
	// disposition): the fence leaves nothing half done that a retry
	// would not finish.
	if o, err := parseArgs(os.Args[1:], io.Discard); err == nil && !o.help && !o.version {
		d := o.deadline()
		time.AfterFunc(time.Until(start.Add(hardDeadline(d))), func() {
			fmt.Fprintf(os.Stderr, "mmm-notify: ERROR: not done within %v (hard deadline)\n", d)
			os.Exit(exitNotFenced)
		})
	}
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
