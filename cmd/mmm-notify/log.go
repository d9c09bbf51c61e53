package main

import (
	"fmt"
	"log/syslog"
	"os"
	"time"
)

// keepalived sends a notify script's stdout and stderr to /dev/null, so
// mmm-notify also writes its line to syslog (the journal on systemd
// hosts) and, when <keepalived> notify_log names one, to a file.

// lineWriter takes the outcome line of one notification.
type lineWriter interface {
	WriteLine(failed bool, line string)
	Close() error
}

// opener opens the logs for a notify_log path ("" = none).
type opener func(notifyLog string) lineWriter

type discard struct{}

func (discard) WriteLine(bool, string) {}
func (discard) Close() error           { return nil }

// systemLogs writes to syslog when it is there (best effort: a missing
// /dev/log is no reason to fail a fence) and to the notify_log file.
type systemLogs struct {
	syslog *syslog.Writer
	file   *os.File
}

func openLogs(notifyLog string) lineWriter {
	var l systemLogs
	if w, err := syslog.New(syslog.LOG_DAEMON|syslog.LOG_INFO, "mmm-notify"); err == nil {
		l.syslog = w
	}
	if notifyLog != "" {
		// O_APPEND: concurrent mmm-notify processes write whole lines.
		if f, err := os.OpenFile(notifyLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640); err == nil {
			l.file = f
		} else {
			fmt.Fprintf(os.Stderr, "mmm-notify: notify_log: %v\n", err)
		}
	}
	return l
}

func (l systemLogs) WriteLine(failed bool, line string) {
	if l.syslog != nil {
		if failed {
			_ = l.syslog.Err(line)
		} else {
			_ = l.syslog.Info(line)
		}
	}
	if l.file != nil {
		fmt.Fprintf(l.file, "%s [%d] %s\n", time.Now().Format("2006-01-02T15:04:05.000Z07:00"), os.Getpid(), line)
	}
}

func (l systemLogs) Close() error {
	if l.syslog != nil {
		l.syslog.Close()
	}
	if l.file != nil {
		return l.file.Close()
	}
	return nil
}
