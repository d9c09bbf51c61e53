package app_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/mmm-keepalived/mmm-keepalived/cmd/mmmctl/app"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// hostile is text a terminal would act on: clear the screen, turn red,
// set the window title, a NUL, DEL, a C1 CSI and a byte that is not UTF-8.
const hostile = "db\x1b[2J\x1b[31m\x1b]0;owned\x07\x00\x7f\u009b\xff"

// escaped is hostile as mmmctl prints it once it went through the API:
// JSON carries the invalid byte as U+FFFD, a character like any other.
const escaped = `db\x1b[2J\x1b[31m\x1b]0;owned\a\x00\x7f\u009b` + "\uFFFD"

// stored is hostile as the API holds it.
const stored = "db\x1b[2J\x1b[31m\x1b]0;owned\x07\x00\x7f\u009b\uFFFD"

// terminalSafe fails when out holds anything a terminal acts on but the
// newlines that end its lines.
func terminalSafe(t *testing.T, what, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("%s: not UTF-8: %q", what, out)
	}
	for _, r := range out {
		if r != '\n' && unicode.IsControl(r) {
			t.Errorf("%s: prints %U: %q", what, r, out)
			return
		}
	}
}

// TestControlCharactersEscaped: text that comes from the API (a host name
// or reason someone sent in a command, error messages, observations) is
// printed with control characters and invalid UTF-8 escaped, so that it
// cannot act on the reader's terminal; --json stays exact JSON.
func TestControlCharactersEscaped(t *testing.T) {
	e := newEnv(t)
	// A reply that echoes the host name it was sent.
	r := e.run(t, "set_offline", hostile)
	if want := "ERROR: Unknown host name '" + escaped + "'!\n"; r.stdout != want || r.code != app.ExitUnknown {
		t.Errorf("set_offline: stdout %q code %d, want %q", r.stdout, r.code, want)
	}
	terminalSafe(t, "set_offline", r.stdout+r.stderr)
	r = e.run(t, "checks", hostile)
	terminalSafe(t, "checks", r.stdout+r.stderr)
	if !strings.Contains(r.stdout, escaped) {
		t.Errorf("checks: %q lacks %q", r.stdout, escaped)
	}

	// Stored in the history by whoever sent it, and in an observation.
	e.backend.Step(fsm.Command{Op: fsm.OpSetOnline, Host: hostile + "\nforged line"})
	e.backend.SetObservation(api.HostObs{Host: "db3", Reachable: true, LastError: "boom" + hostile})
	for _, args := range [][]string{{"history", "-n", "3"}, {"status"}, {"show"}, {"ping"}} {
		r := e.run(t, args...)
		terminalSafe(t, strings.Join(args, " "), r.stdout+r.stderr)
	}
	r = e.run(t, "history", "-n", "1")
	if rows := historyRows(r.stdout); len(rows) != 2 || !strings.Contains(rows[1], escaped+`\nforged line`) {
		t.Errorf("history -n 1: %q", rows)
	}
	if r := e.run(t, "status"); !strings.Contains(r.stdout, "# db3: boom"+escaped+"\n") {
		t.Errorf("status:\n%s", r.stdout)
	}

	// --json is JSON: the text comes back exactly as stored.
	r = e.run(t, "--json", "history", "-n", "1")
	var h api.HistoryResponse
	if err := json.Unmarshal([]byte(r.stdout), &h); err != nil || len(h.Entries) != 1 ||
		!strings.Contains(h.Entries[0].Text, stored+"\nforged line") {
		t.Errorf("history --json: %v %+v", err, h)
	}
	terminalSafe(t, "history --json", r.stdout)

	// An error message is one escaped line on stderr.
	var errb bytes.Buffer
	if code := app.Report(&errb, errors.New("coordinator said "+hostile)); code != app.ExitError ||
		errb.String() != `mmmctl: coordinator said db\x1b[2J\x1b[31m\x1b]0;owned\a\x00\x7f\u009b\xff`+"\n" {
		t.Errorf("Report: %d %q", code, errb.String())
	}
}
