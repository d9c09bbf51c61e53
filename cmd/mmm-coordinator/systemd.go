package main

import (
	"log/slog"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// notify sends state to systemd (Type=notify); outside systemd
// (NOTIFY_SOCKET unset) it does nothing.
func notify(log *slog.Logger, state string) {
	if _, err := daemon.SdNotify(false, state); err != nil {
		log.Warn("systemd notify", "err", err)
	}
}

// watchdogInterval is how often the main loop pets systemd's watchdog:
// half of WatchdogSec, or every 5 s (STATUS= updates) without one.
func watchdogInterval(log *slog.Logger) time.Duration {
	d, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		log.Warn("systemd watchdog", "err", err)
	}
	if d <= 0 {
		return 5 * time.Second
	}
	return max(d/2, 100*time.Millisecond)
}
