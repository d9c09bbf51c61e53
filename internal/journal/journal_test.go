package journal

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// TestHandler: every line, from loggers derived with With and WithGroup
// too, starts with its level's priority, and concurrent records do not
// interleave a prefix with another record's line.
func TestHandler(t *testing.T) {
	var buf bytes.Buffer
	h := NewHandler(&buf, func(w io.Writer) slog.Handler {
		return slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})
	})
	log := slog.New(h)
	log.Debug("d")
	log.Info("i")
	log.With("node", "db1").Warn("w")
	log.WithGroup("g").Error("e")
	log.Log(nil, slog.LevelError+4, "fatal")
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() { defer wg.Done(); log.Info("concurrent") }()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	want := []string{"<7>", "<6>", "<4>", "<3>", "<2>"}
	for i, p := range want {
		if !strings.HasPrefix(lines[i], p+"time=") {
			t.Errorf("line %d %q: want prefix %s", i, lines[i], p)
		}
	}
	if !strings.Contains(lines[2], "node=db1") || !strings.Contains(lines[3], "g.") && !strings.Contains(lines[3], "msg=e") {
		t.Errorf("attributes lost: %q %q", lines[2], lines[3])
	}
	for _, l := range lines[5:] {
		if !strings.HasPrefix(l, "<6>time=") || strings.Count(l, "<6>") != 1 {
			t.Errorf("interleaved: %q", l)
		}
	}
	if len(lines) != 55 {
		t.Errorf("%d lines, want 55", len(lines))
	}
}

// TestStream: only the stream JOURNAL_STREAM names is the journal; a file
// the output was redirected to is not, although the variable is set.
func TestStream(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	other, err := os.CreateTemp(t.TempDir(), "other")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	t.Setenv("JOURNAL_STREAM", fmt.Sprintf("%d:%d", st.Dev, st.Ino))
	if !Stream(f) || Stream(other) {
		t.Errorf("Stream(named) = %v, Stream(other) = %v", Stream(f), Stream(other))
	}
	t.Setenv("JOURNAL_STREAM", "")
	if Stream(f) {
		t.Error("no JOURNAL_STREAM: a journal stream")
	}
}
