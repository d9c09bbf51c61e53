// Command mmm-coordinator runs one member of the coordinators' raft group
// on a MySQL host (or, with --witness, on a host without MySQL): the
// leader monitors the cluster with MySQL-MMM's semantics, every member
// applies its own host's share. `mmm-coordinator --help` explains it.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
