package packaging

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"--config FILE", `\-\-config FILE`},
		{`C:\path`, `C:\epath`},
		{"≥ 5 s — done", `\[u2265] 5 s \[u2014] done`},
		{"\xff", `\[uFFFD]`},
	}
	for _, tt := range tests {
		if got := escape(tt.in); got != tt.want {
			t.Errorf("escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

var samplePage = ManPage{
	Name: "mmmctl", Summary: "control mmm-keepalived", Source: "mmm-keepalived 1.2.3",
	Date: time.Date(2026, 5, 27, 12, 0, 0, 0, time.UTC),
	Help: "Usage: mmmctl [flags]\n.not a request\n'neither\n  --timeout DURATION  at most 10s   \n\nExit codes:\n   0  ok\n",
	Sections: []HelpSection{
		{Heading: "COMMANDS", Title: "mmmctl show", Text: "show status\n"},
		{Heading: "COMMANDS", Title: "mmmctl keepalived render", Text: "render \"keepalived.conf\"\n"},
	},
	SeeAlso: []string{"mmm-check", "mmm-coordinator"},
}

func TestManPageRoff(t *testing.T) {
	got := string(samplePage.Roff())
	for _, want := range []string{
		`.TH "MMMCTL" 1 2026-05-27 "mmm\-keepalived 1.2.3" "mmm\-keepalived"` + "\n",
		".SH NAME\nmmmctl \\- control mmm\\-keepalived\n",
		".SH DESCRIPTION\n.nf\nUsage: mmmctl [flags]\n\\&.not a request\n\\&'neither\n  \\-\\-timeout DURATION  at most 10s\n\nExit codes:\n   0  ok\n.fi\n",
		".SH \"COMMANDS\"\n.SS \"mmmctl show\"\n.nf\nshow status\n.fi\n.SS \"mmmctl keepalived render\"\n",
		".SH \"SEE ALSO\"\n.BR mmm\\-check (1),\n.BR mmm\\-coordinator (1)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("page lacks\n%s\nin\n%s", want, got)
		}
	}
	if n := strings.Count(got, `.SH "COMMANDS"`); n != 1 {
		t.Errorf("COMMANDS heading %d times, want once", n)
	}
}

// groff reads the page without a warning (lintian runs the same check).
func TestManPageGroffWarnings(t *testing.T) {
	if _, err := exec.LookPath("groff"); err != nil {
		t.Skip("groff is not installed")
	}
	cmd := exec.Command("groff", "-man", "-Tutf8", "-ww", "-z")
	cmd.Stdin = strings.NewReader(string(samplePage.Roff()))
	out, err := cmd.CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("groff: %v\n%s", err, out)
	}
}
