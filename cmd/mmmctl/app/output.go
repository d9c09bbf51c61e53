package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/urfave/cli/v2"
)

// printJSON writes v as indented JSON. encoding/json escapes C0 controls
// but writes DEL and C1 controls raw, which a terminal may still act on:
// they are escaped too (\u007f), which any JSON reader decodes the same.
func printJSON(c *cli.Context, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("mmmctl: json: %w", err)
	}
	_, err := c.App.Writer.Write(escapeJSONControls(b.Bytes()))
	return err
}

// escapeJSONControls rewrites raw DEL and C1 runes of encoded JSON as
// \u escapes. Outside strings JSON has only ASCII punctuation and white
// space, so every such rune is inside a string, where the escape means
// the same.
func escapeJSONControls(b []byte) []byte {
	raw := func(r rune) bool { return terminalControl(r) && r >= 0x7f }
	if !bytes.ContainsFunc(b, raw) {
		return b
	}
	var out bytes.Buffer
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if raw(r) {
			fmt.Fprintf(&out, `\u%04x`, r)
		} else {
			out.Write(b[:size])
		}
		b = b[size:]
	}
	return out.Bytes()
}

// terminalControl reports the runes a terminal acts on rather than
// shows: C0 controls, DEL and C1 controls (CSI is U+009B).
func terminalControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) }

// printable makes text that came from the API safe to print: control
// characters but newlines, and bytes that are not UTF-8, are written as
// Go escapes (\x1b, \x00, \u009b, \xff). A host name or reason sent in a
// command is stored and shown to whoever reads the history: it must not
// clear, recolour or retitle their terminal.
func printable(s string) string { return escape(s, true) }

// printableCell is printable for one table cell or one line: newlines and tabs are
// escaped too, so that stored text cannot forge rows or columns.
func printableCell(s string) string { return escape(s, false) }

func escape(s string, newlines bool) string {
	clean := func(r rune) bool { return r != utf8.RuneError && (!terminalControl(r) || (newlines && r == '\n')) }
	if !strings.ContainsFunc(s, func(r rune) bool { return !clean(r) }) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == utf8.RuneError || clean(r): // a real U+FFFD is shown as it is
			b.WriteString(s[i : i+size])
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}

// table writes aligned columns, two spaces apart.
func table(c *cli.Context) *tabwriter.Writer {
	return tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
}

// orDash renders an empty cell.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
