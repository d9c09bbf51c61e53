// Command mmm-checkbench-spawn runs a command once, with stdio on /dev/null, and prints
// "WALL_NS MAXRSS_KIB EXIT" for it: mmm-checkbench's measuring parent.
//
// It is a separate, tiny program on purpose. Linux counts into a child's
// ru_maxrss the resident size of the process that forked it (the exec of
// a vfork child inherits its parent's high-water mark), so children of the
// bench itself all showed the bench's RSS. This program's own RSS (about
// 2 MiB) is the floor of the measurement; the bench shows it as the
// /bin/true row.
package main

import (
	"os"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		os.Stderr.WriteString("usage: mmm-checkbench-spawn COMMAND [ARG...]\n")
		os.Exit(2)
	}
	null, err := syscall.Open("/dev/null", syscall.O_RDWR, 0)
	if err != nil {
		fail(err)
	}
	fd := uintptr(null)
	argv := os.Args[1:]
	start := time.Now()
	pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{Files: []uintptr{fd, fd, fd}, Env: os.Environ()})
	if err != nil {
		fail(err)
	}
	var ws syscall.WaitStatus
	var ru syscall.Rusage
	for {
		_, err = syscall.Wait4(pid, &ws, 0, &ru)
		if err != syscall.EINTR {
			break
		}
	}
	wall := time.Since(start)
	if err != nil {
		fail(err)
	}
	os.Stdout.WriteString(strconv.FormatInt(wall.Nanoseconds(), 10) + " " +
		strconv.FormatInt(ru.Maxrss, 10) + " " + strconv.Itoa(ws.ExitStatus()) + "\n")
}

func fail(err error) {
	os.Stderr.WriteString("mmm-checkbench-spawn: " + err.Error() + "\n")
	os.Exit(1)
}
