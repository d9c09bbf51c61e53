package fsm

import (
	"bytes"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the golden transcripts in testdata/")

// A transcript (testdata/*.txt) is a script of inputs with their times
// and, after each block's "----" line, what the machine did: events in
// MMM's log format, actions ("->"), command replies ("=>") and `show`
// output. Blocks end with a blank line; lines starting with '#' between
// blocks are comments. `go test -rewrite` regenerates the outputs.
//
// Directives (a leading HH:MM:SS sets the clock, on 2014-05-27 UTC):
//
//	spec seed [key=value…]    the reference topology; keys: mode, prefer,
//	                          auto_set_online, flap_count, flap_duration,
//	                          wait_for_other_master, careful_startup,
//	                          trap (all checks), trap.<check>, writers
//	bootstrap [bare]          observations of a healthy cluster + start; prints show
//	                          (bare: no reader VIPs on any host)
//	probe H CHECK ok|failed|unknown [message]
//	probes H ok               the four checks OK
//	evidence H KIND [detail]  definitive local evidence (observed now)
//	reach H up|down · uptime H SECONDS · follows H MASTER|- · vrrp H STATE
//	writable H yes|no · vips H IP,IP|- · gtid H POS|-
//	tick · start · cmd <mmm_control command>
//	show · checks [H [CHECK]] · hosts · pending
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			runTranscript(t, f)
		})
	}
}

type block struct {
	comment  []string // lines before the block
	input    []string
	expected string
}

func parseTranscript(t *testing.T, data string) []block {
	var blocks []block
	var cur block
	lines := strings.Split(strings.TrimRight(data, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case l == "----":
			var out []string
			for i++; i < len(lines) && lines[i] != ""; i++ {
				out = append(out, lines[i])
			}
			cur.expected = strings.Join(out, "\n")
			blocks = append(blocks, cur)
			cur = block{}
		case len(cur.input) == 0 && (strings.HasPrefix(l, "#") || l == ""):
			cur.comment = append(cur.comment, l)
		default:
			cur.input = append(cur.input, l)
		}
	}
	if len(cur.input) > 0 {
		t.Fatalf("block %q has no ---- line", cur.input[0])
	}
	return blocks
}

func runTranscript(t *testing.T, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	blocks := parseTranscript(t, string(data))
	r := &runner{t: t, now: time.Date(2014, 5, 27, 14, 0, 0, 0, time.UTC)}
	var rewritten bytes.Buffer
	for _, b := range blocks {
		var out []string
		for _, line := range b.input {
			out = append(out, r.do(line)...)
		}
		got := strings.Join(out, "\n")
		if got == "" {
			got = "(nothing)"
		}
		if !*rewrite && got != b.expected {
			t.Errorf("%s: after %q:\n--- got\n%s\n--- want\n%s", file, b.input[len(b.input)-1], got, b.expected)
		}
		for _, c := range b.comment {
			rewritten.WriteString(c + "\n")
		}
		rewritten.WriteString(strings.Join(b.input, "\n") + "\n----\n" + got + "\n\n")
	}
	if *rewrite {
		if err := os.WriteFile(file, append(bytes.TrimRight(rewritten.Bytes(), "\n"), '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type runner struct {
	t    *testing.T
	m    *Machine
	spec Spec
	now  time.Time
}

func (r *runner) clock() string { return r.now.Format("15:04:05") }

// step applies one input, checks that a restored copy decides the same,
// and renders the output.
func (r *runner) step(in Input) []string {
	r.t.Helper()
	data, err := r.m.Marshal()
	if err != nil {
		r.t.Fatal(err)
	}
	twin, err := Restore(r.spec, data)
	if err != nil {
		r.t.Fatal(err)
	}
	out := r.m.Step(r.now, in)
	if tout := twin.Step(r.now, in); !reflect.DeepEqual(out, tout) {
		r.t.Fatalf("restored machine decided differently:\n%v\n%v", out, tout)
	}
	return renderOutput(r.clock(), out)
}

func renderOutput(clock string, out Output) []string {
	var lines []string
	for _, e := range out.Events {
		lines = append(lines, clock+" "+e.String())
	}
	for _, a := range out.Actions {
		lines = append(lines, clock+" -> "+a.String())
	}
	if out.Reply != nil {
		lines = append(lines, clock+" => "+out.Reply.Text)
	}
	return lines
}

func (r *runner) do(line string) []string {
	r.t.Helper()
	f := strings.Fields(line)
	if len(f) > 0 && len(f[0]) == 8 && f[0][2] == ':' {
		tm, err := time.Parse("15:04:05", f[0])
		if err != nil {
			r.t.Fatalf("%q: %v", line, err)
		}
		r.now = time.Date(2014, 5, 27, tm.Hour(), tm.Minute(), tm.Second(), 0, time.UTC)
		f = f[1:]
		line = strings.TrimSpace(strings.TrimSpace(line)[8:])
	}
	if len(f) == 0 {
		r.t.Fatalf("empty directive %q", line)
	}
	rest := func(n int) string { // the text after the first n fields
		s := line
		for i := 0; i < n; i++ {
			s = strings.TrimSpace(strings.TrimPrefix(s, f[i]))
		}
		return s
	}
	arg := func(i int) string {
		if i >= len(f) {
			r.t.Fatalf("%q: missing argument %d", line, i)
		}
		return f[i]
	}
	switch f[0] {
	case "spec":
		r.spec = seedSpec()
		for _, kv := range f[2:] {
			applySpecOption(r.t, &r.spec, kv)
		}
		m, err := New(r.spec)
		if err != nil {
			r.t.Fatal(err)
		}
		r.m = m
		return []string{"(spec " + strings.Join(f[1:], " ") + ")"}
	case "bootstrap": // "bootstrap bare": no reader VIPs configured anywhere
		for _, in := range seedObservations() {
			if v, ok := in.(VIPs); ok && len(f) > 1 && f[1] == "bare" {
				in = VIPs{Host: v.Host}
			}
			r.m.Step(r.now, in)
		}
		r.m.Step(r.now, Start{})
		return strings.Split(strings.TrimRight(Show(r.spec, r.m.State()), "\n"), "\n")
	case "probe":
		c, err := ParseCheck(arg(2))
		must(r.t, err)
		res, err := ParseResult(arg(3))
		must(r.t, err)
		return r.step(Probe{Host: arg(1), Check: c, Result: res, Message: rest(4)})
	case "probes":
		var out []string
		for _, p := range okProbes(arg(1)) {
			out = append(out, r.step(p)...)
		}
		return out
	case "evidence":
		k, err := ParseEvidenceKind(arg(2))
		must(r.t, err)
		return r.step(Evidence{Host: arg(1), Kind: k, Observed: r.now, Detail: rest(3)})
	case "reach":
		return r.step(Reachability{Host: arg(1), Reachable: arg(2) == "up"})
	case "uptime":
		v, err := strconv.ParseFloat(arg(2), 64)
		must(r.t, err)
		return r.step(Uptime{Host: arg(1), Seconds: v})
	case "follows":
		return r.step(Follows{Host: arg(1), Master: strings.Trim(arg(2), "-")})
	case "vrrp":
		v, err := ParseVRRPState(arg(2))
		must(r.t, err)
		return r.step(VRRP{Host: arg(1), State: v})
	case "writable":
		return r.step(Writable{Host: arg(1), Writable: arg(2) == "yes"})
	case "vips":
		return r.step(VIPs{Host: arg(1), IPs: parseAddrs(r.t, arg(2))})
	case "gtid":
		var p Position
		if arg(2) != "-" {
			var err error
			p, err = ParsePosition(arg(2))
			must(r.t, err)
		}
		return r.step(GTID{Host: arg(1), Position: p})
	case "rejoined": // the runtime's word: a repair of the host succeeded
		return r.step(Refusal{Host: arg(1)})
	case "refused": // refused HOST REASON...: the repair was refused
		return r.step(Refusal{Host: arg(1), Reason: strings.Join(f[2:], " ")})
	case "tick":
		return r.step(Tick{})
	case "start":
		return r.step(Start{})
	case "cmd":
		c, err := ParseCommand(rest(1))
		if err != nil {
			return []string{r.clock() + " => " + strings.TrimPrefix(err.Error(), ErrParse.Error()+": ")}
		}
		return r.step(c)
	case "show":
		return strings.Split(strings.TrimRight(Show(r.spec, r.m.State()), "\n"), "\n")
	case "checks":
		host, check := "", ""
		if len(f) > 1 {
			host = f[1]
		}
		if len(f) > 2 {
			check = f[2]
		}
		text, _ := ChecksReport(r.spec, r.m.State(), host, check, time.UTC)
		return strings.Split(strings.TrimRight(text, "\n"), "\n")
	case "hosts":
		return hostSummary(r.m.State())
	case "pending":
		var out []string
		for _, a := range r.m.Pending() {
			out = append(out, "pending "+a.String())
		}
		return out
	}
	r.t.Fatalf("unknown directive %q", line)
	return nil
}

// hostSummary renders the bookkeeping `show` does not: flapping, timers,
// observations, pending repairs.
func hostSummary(st State) []string {
	var out []string
	for _, h := range st.Hosts {
		s := fmt.Sprintf("%s %s", h.Name, h.State)
		if !h.OnlineSince.IsZero() {
			s += " online_since=" + h.OnlineSince.Format("15:04:05")
		}
		if h.FlapCount > 0 && !h.FlapStart.IsZero() {
			s += fmt.Sprintf(" flaps=%d since %s", h.FlapCount, h.FlapStart.Format("15:04:05"))
		}
		for _, flag := range []struct {
			on   bool
			name string
		}{{h.Flapping, "flapping"}, {h.FormerWriter, "former-writer"}, {h.AgentDown, "agent-down"}, {h.Writable, "writable"}} {
			if flag.on {
				s += " " + flag.name
			}
		}
		if h.Follows != "" {
			s += " follows=" + h.Follows
		}
		if h.Repl.Kind != "" {
			s += " repair=" + h.Repl.Kind
		}
		out = append(out, s)
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func parseAddrs(t *testing.T, s string) []netip.Addr {
	if s == "-" {
		return nil
	}
	var out []netip.Addr
	for _, p := range strings.Split(s, ",") {
		out = append(out, netip.MustParseAddr(p))
	}
	return out
}
