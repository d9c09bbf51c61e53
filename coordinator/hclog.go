package coordinator

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// newHCLogger gives raft an hclog.Logger that writes through slog: hclog
// renders JSON, slogWriter parses each line and logs it again with
// component=<module>. raft logs at Info and above only; messages it
// repeats while a peer is down ("failed to heartbeat to", every backoff)
// are passed once per repeatEvery with a count of those suppressed.
func newHCLogger(log *slog.Logger, module string) hclog.Logger {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return hclog.New(&hclog.LoggerOptions{
		Name:       module,
		Level:      hclog.Info,
		JSONFormat: true,
		Output:     &slogWriter{log: log, seen: map[string]*repeat{}},
	})
}

const repeatEvery = 30 * time.Second

type repeat struct {
	last       time.Time
	suppressed int
}

type slogWriter struct {
	log  *slog.Logger
	mu   sync.Mutex
	seen map[string]*repeat
}

func (w *slogWriter) Write(p []byte) (int, error) {
	for _, line := range bytes.Split(bytes.TrimSpace(p), []byte("\n")) {
		w.line(line)
	}
	return len(p), nil
}

func (w *slogWriter) line(line []byte) {
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		w.log.Info(string(line), "component", "raft")
		return
	}
	msg, _ := m["@message"].(string)
	lvl := slog.LevelInfo
	switch m["@level"] {
	case "trace", "debug":
		lvl = slog.LevelDebug
	case "warn":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	}
	module, _ := m["@module"].(string)
	attrs := []any{"component", module}
	for k, v := range m {
		if len(k) > 0 && k[0] == '@' {
			continue
		}
		attrs = append(attrs, k, v)
	}
	if n, ok := w.throttle(module+msg, lvl); !ok {
		return
	} else if n > 0 {
		attrs = append(attrs, "suppressed", n)
	}
	w.log.Log(context.Background(), lvl, msg, attrs...)
}

// throttle passes a warning or error message at most once per
// repeatEvery and says how many were suppressed since.
func (w *slogWriter) throttle(key string, lvl slog.Level) (int, bool) {
	if lvl < slog.LevelWarn {
		return 0, true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	r := w.seen[key]
	if r == nil {
		if len(w.seen) > 256 {
			clear(w.seen)
		}
		w.seen[key] = &repeat{last: now}
		return 0, true
	}
	if now.Sub(r.last) < repeatEvery {
		r.suppressed++
		return 0, false
	}
	n := r.suppressed
	r.last, r.suppressed = now, 0
	return n, true
}
