// Package journal marks log lines with their syslog priority for
// systemd-journald. A service's stderr goes to the journal as lines; a
// line that starts with "<N>" gets priority N (systemd.exec's
// SyslogLevelPrefix, on by default), so that `journalctl -p warning`
// shows the coordinator's warnings and errors and not its chatter.
package journal

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Stream reports whether f is the stream systemd connected to the
// journal: JOURNAL_STREAM names its device and inode ("dev:ino"), and a
// child whose output was redirected elsewhere inherits the variable but
// not the stream.
func Stream(f *os.File) bool {
	dev, ino, ok := strings.Cut(os.Getenv("JOURNAL_STREAM"), ":")
	if !ok || f == nil {
		return false
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return false
	}
	return dev == strconv.FormatUint(st.Dev, 10) && ino == strconv.FormatUint(st.Ino, 10)
}

// Priority is the syslog priority of a slog level: above ERROR (MMM's
// FATAL: a host's state changed, an agent lost) crit, ERROR err, WARN
// warning, INFO info, DEBUG debug.
func Priority(l slog.Level) int {
	switch {
	case l > slog.LevelError:
		return 2
	case l >= slog.LevelError:
		return 3
	case l >= slog.LevelWarn:
		return 4
	case l >= slog.LevelInfo:
		return 6
	}
	return 7
}

// prefixed writes the priority, then inner's line, under one lock shared
// by the handlers derived from it.
type prefixed struct {
	mu *sync.Mutex
	w  io.Writer
	h  slog.Handler
}

// NewHandler returns a handler that writes "<N>" before each record of
// inner, which must write one line per record to w.
func NewHandler(w io.Writer, inner func(io.Writer) slog.Handler) slog.Handler {
	return prefixed{mu: &sync.Mutex{}, w: w, h: inner(w)}
}

func (p prefixed) Enabled(ctx context.Context, l slog.Level) bool { return p.h.Enabled(ctx, l) }

func (p prefixed) Handle(ctx context.Context, r slog.Record) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := io.WriteString(p.w, "<"+strconv.Itoa(Priority(r.Level))+">"); err != nil {
		return err
	}
	return p.h.Handle(ctx, r)
}

func (p prefixed) WithAttrs(as []slog.Attr) slog.Handler {
	return prefixed{mu: p.mu, w: p.w, h: p.h.WithAttrs(as)}
}

func (p prefixed) WithGroup(name string) slog.Handler {
	return prefixed{mu: p.mu, w: p.w, h: p.h.WithGroup(name)}
}
