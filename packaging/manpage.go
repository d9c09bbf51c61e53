package packaging

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ManPage is a section 1 manual page made from a command's --help: the
// help text is shown as it is (no-fill), so that the page says exactly
// what the command says.
type ManPage struct {
	Name     string        // mmmctl
	Summary  string        // the whatis line: "control mmm-keepalived (...)"
	Source   string        // footer, e.g. "mmm-keepalived 1.2.3"
	Date     time.Time     // the commit's date: the same page for the same commit
	Help     string        // `NAME --help`
	Sections []HelpSection // more help texts, e.g. one per subcommand
	SeeAlso  []string      // other pages: "mmmctl" for mmmctl(1)
}

// HelpSection is one more help text under its own heading.
type HelpSection struct {
	Heading string // "COMMANDS"; one section may hold several texts
	Title   string // subheading: "mmmctl keepalived render"
	Text    string
}

// Roff renders the page for man(1).
func (m ManPage) Roff() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, ".\\\" Generated from %s --help by mmm-keepalived's packaging: do not edit.\n", m.Name)
	fmt.Fprintf(&b, ".TH %s 1 %s %s %s\n", quote(strings.ToUpper(m.Name)), m.Date.UTC().Format("2006-01-02"),
		quote(m.Source), quote("mmm-keepalived"))
	fmt.Fprintf(&b, ".SH NAME\n%s \\- %s\n", escape(m.Name), escape(m.Summary))
	b.WriteString(".SH DESCRIPTION\n")
	literal(&b, m.Help)
	heading := "DESCRIPTION"
	for _, s := range m.Sections {
		if s.Heading != heading {
			fmt.Fprintf(&b, ".SH %s\n", quote(s.Heading))
			heading = s.Heading
		}
		if s.Title != "" {
			fmt.Fprintf(&b, ".SS %s\n", quote(s.Title))
		}
		literal(&b, s.Text)
	}
	if len(m.SeeAlso) > 0 {
		b.WriteString(".SH \"SEE ALSO\"\n")
		for i, name := range m.SeeAlso {
			sep := ","
			if i == len(m.SeeAlso)-1 {
				sep = ""
			}
			fmt.Fprintf(&b, ".BR %s (1)%s\n", escape(name), sep)
		}
	}
	return b.Bytes()
}

// literal writes text in no-fill mode, line for line.
func literal(b *bytes.Buffer, text string) {
	b.WriteString(".nf\n")
	for line := range strings.SplitSeq(strings.TrimRight(text, "\n"), "\n") {
		line = escape(strings.TrimRight(line, " \t"))
		if strings.HasPrefix(line, ".") || strings.HasPrefix(line, "'") {
			line = `\&` + line // not a request
		}
		b.WriteString(line + "\n")
	}
	b.WriteString(".fi\n")
}

// escape makes text print as written: backslashes, minus signs (options
// stay copyable) and non-ASCII characters become roff escapes.
func escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\e`)
		case r == '-':
			b.WriteString(`\-`)
		case r == utf8.RuneError:
			b.WriteString(`\[uFFFD]`)
		case r >= 0x80:
			fmt.Fprintf(&b, `\[u%04X]`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// quote is a macro argument: one word, quotes doubled.
func quote(s string) string {
	return `"` + strings.ReplaceAll(escape(s), `"`, `""`) + `"`
}
