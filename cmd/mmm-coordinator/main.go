// Command mmm-coordinator runs one member of the coordinators' raft group
// on a MySQL host (or, with --witness, on a host without MySQL): the
// leader monitors the cluster with MySQL-MMM's semantics, every member
// applies its own host's share. `mmm-coordinator --help` explains it.
package main

import (
	"os"
	"runtime"
)

func main() {
	// One P unless GOMAXPROCS says otherwise. The coordinator waits on
	// the network nearly all the time; with more Ps each wake-up also
	// wakes idle threads to look for work, which costs CPU for nothing
	// (docs/benchmarks.md, "Idle footprint"). Its work is a few
	// statements and RPCs a second, never CPU-bound.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
