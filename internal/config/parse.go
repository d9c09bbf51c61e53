package config

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
)

// The first stage reads files into sections of raw `key value` entries:
// it resolves includes, merges same-named sections across files and checks
// that every section and key exists. Values are interpreted later
// (decode.go), once `default` sections are known.

// entry is one key's value as last set.
type entry struct {
	key   string // canonical key: agent_password_file sets agent_password
	raw   string // the key as written, for messages
	value string
	pos   Pos
	file  bool // value is the path of a file holding the value
}

// section is every `<kind name>` block of that name, merged in reading
// order: a later line overrides an earlier one.
type section struct {
	kind, name string
	pos        Pos // the first opening line
	entries    []entry
}

func (s *section) set(e entry) {
	for i := range s.entries {
		if s.entries[i].key == e.key {
			s.entries[i] = e
			return
		}
	}
	s.entries = append(s.entries, e)
}

// document is everything read from one main file and its includes.
type document struct {
	files    []string               // in reading order, each once
	modes    map[string]fs.FileMode // permission bits of each file
	secrets  []string               // files holding a password in clear
	global   *section
	sections map[string][]*section // kind → sections in first-seen order
}

func (d *document) find(kind, name string) *section {
	for _, s := range d.sections[kind] {
		if s.name == name {
			return s
		}
	}
	return nil
}

func (d *document) open(kind, name string, pos Pos) *section {
	if s := d.find(kind, name); s != nil {
		return s
	}
	s := &section{kind: kind, name: name, pos: pos}
	d.sections[kind] = append(d.sections[kind], s)
	return s
}

// maxIncludeDepth bounds nesting; cycles are caught before that.
const maxIncludeDepth = 16

// reader reads a main file and its includes into a document.
type reader struct {
	fsys  fileSystem
	doc   *document
	probs *problems
	stack []string // files being read, outermost first
}

func newReader(fsys fileSystem, main string, probs *problems) *reader {
	return &reader{
		fsys:  fsys,
		probs: probs,
		doc: &document{
			modes:    map[string]fs.FileMode{},
			global:   &section{pos: Pos{File: main}},
			sections: map[string][]*section{},
		},
	}
}

// include reads path; from is the include line (zero for the main file).
func (r *reader) include(path string, from Pos) {
	path = filepath.Clean(path)
	for i, f := range r.stack {
		if f == path {
			chain := append(append([]string{}, r.stack[i:]...), path)
			r.probs.add(ErrInclude, from, "", "", "include", "include cycle: "+strings.Join(chain, " -> "))
			return
		}
	}
	if len(r.stack) >= maxIncludeDepth {
		r.probs.add(ErrInclude, from, "", "", "include", fmt.Sprintf("includes nested deeper than %d files", maxIncludeDepth))
		return
	}
	data, mode, err := r.fsys.ReadFile(path)
	if err != nil {
		key := "include"
		if from.File == "" { // the main file itself
			from, key = Pos{File: path}, ""
		}
		r.probs.add(ErrInclude, from, "", "", key, fmt.Sprintf("cannot read %q: %s", path, reason(err)))
		return
	}
	if _, seen := r.doc.modes[path]; !seen {
		r.doc.files = append(r.doc.files, path)
		r.doc.modes[path] = mode
	}
	r.stack = append(r.stack, path)
	r.parse(path, string(data))
	r.stack = r.stack[:len(r.stack)-1]
}

// parse reads one file's lines.
func (r *reader) parse(file, text string) {
	var (
		cur     *section // the open section; nil at top level
		curOpen Pos      // where cur was opened in this file
		skip    string   // kind of an unknown section being skipped
	)
	closeAt := func(pos Pos) {
		if cur != nil {
			r.probs.add(ErrSyntax, curOpen, cur.kind, cur.name, "",
				fmt.Sprintf("section is not closed; expected </%s> before %s", cur.kind, where(pos)))
		}
	}
	for i, line := range strings.Split(text, "\n") {
		pos := Pos{File: file, Line: i + 1}
		line = stripComment(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "</"):
			kind := strings.TrimSpace(strings.TrimSuffix(line[2:], ">"))
			switch {
			case !strings.HasSuffix(line, ">"):
				r.probs.add(ErrSyntax, pos, "", "", "", fmt.Sprintf("expected a closing tag like </host>, got %q", line))
			case skip != "":
				skip = ""
			case cur == nil:
				r.probs.add(ErrSyntax, pos, "", "", "", fmt.Sprintf("</%s> closes no open section", kind))
			case kind != cur.kind:
				r.probs.add(ErrSyntax, pos, cur.kind, cur.name, "", fmt.Sprintf("</%s> closes <%s> opened at %s; expected </%s>", kind, cur.kind, where(curOpen), cur.kind))
				cur = nil
			default:
				cur = nil
			}
		case strings.HasPrefix(line, "<"):
			if skip != "" {
				skip = "" // an unknown section's content ends at the next section
			}
			closeAt(pos)
			cur = nil
			kind, name, selfClosing, ok := r.header(line, pos)
			switch {
			case !ok && !selfClosing:
				skip = kind
				if skip == "" {
					skip = "?"
				}
			case !ok:
			case selfClosing:
				r.doc.open(kind, name, pos)
			default:
				cur, curOpen = r.doc.open(kind, name, pos), pos
			}
		case skip != "":
		default:
			r.keyLine(line, pos, cur)
		}
	}
	closeAt(Pos{File: file})
}

// header parses `<kind>`, `<kind name>`, `<kind/>` and `<kind name/>`.
// ok is false when the section is unknown or misnamed; kind is returned
// anyway so that its content can be skipped.
func (r *reader) header(line string, pos Pos) (kind, name string, selfClosing, ok bool) {
	if !strings.HasSuffix(line, ">") {
		r.probs.add(ErrSyntax, pos, "", "", "", fmt.Sprintf("expected a section header like <host db1>, got %q", line))
		return "", "", false, false
	}
	inner := strings.TrimSpace(line[1 : len(line)-1])
	if selfClosing = strings.HasSuffix(inner, "/"); selfClosing {
		inner = strings.TrimSpace(strings.TrimSuffix(inner, "/"))
	}
	f := strings.Fields(inner)
	if len(f) == 0 || len(f) > 2 {
		r.probs.add(ErrSyntax, pos, "", "", "", fmt.Sprintf("expected a section header like <host db1>, got %q", line))
		return "", "", selfClosing, false
	}
	kind = f[0]
	if len(f) == 2 {
		name = f[1]
	}
	k, known := kinds[kind]
	switch {
	case kind == "" || !known:
		r.probs.add(ErrSyntax, pos, "", "", "", fmt.Sprintf("unknown section <%s>; expected %s", kind, oneOf(sectionNames)))
	case k.named && name == "":
		r.probs.add(ErrSyntax, pos, kind, "", "", fmt.Sprintf("section needs a name, e.g. <%s NAME>", kind))
	case !k.named && name != "":
		r.probs.add(ErrSyntax, pos, kind, "", "", fmt.Sprintf("section takes no name, got %q; expected <%s>", name, kind))
	case name != "" && !validName(name):
		r.probs.add(ErrSyntax, pos, kind, "", "", fmt.Sprintf("expected a name of letters, digits, _ and -, got %q", name))
	case k.names != nil && name != "default" && !slices.Contains(k.names, name):
		r.probs.add(ErrSyntax, pos, kind, name, "", fmt.Sprintf("unknown %s; expected %s", kind, oneOf(append(append([]string{}, k.names...), "default"))))
	default:
		return kind, name, selfClosing, true
	}
	return kind, name, selfClosing, false
}

// keyLine handles `key value` and, at top level, `include FILE`.
func (r *reader) keyLine(line string, pos Pos, cur *section) {
	key, value := line, ""
	if i := strings.IndexAny(line, " \t"); i >= 0 {
		key, value = line[:i], strings.TrimSpace(line[i+1:])
	}
	sec, name := "", ""
	if cur != nil {
		sec, name = cur.kind, cur.name
	}
	if !validName(key) || strings.Contains(key, "-") {
		r.probs.add(ErrSyntax, pos, sec, name, "", fmt.Sprintf("expected `key value`, a <section> or a # comment, got %q", line))
		return
	}
	if key == "include" {
		switch {
		case cur != nil:
			r.probs.add(ErrSyntax, pos, sec, name, key, "include is allowed only outside sections")
		case value == "":
			r.probs.add(ErrValue, pos, "", "", key, "expected a file name")
		default:
			path := value
			if !filepath.IsAbs(path) {
				path = filepath.Join(filepath.Dir(pos.File), path)
			}
			r.include(path, pos)
		}
		return
	}
	k := kinds[sec]
	e := entry{key: key, raw: key, value: value, pos: pos}
	if base, ok := strings.CutSuffix(key, "_file"); ok && isPasswordKey(base) && k.has(base) {
		e.key, e.file = base, true
	}
	if !k.has(e.key) {
		msg := "unknown key"
		if s := suggest(key, k.keys()); s != "" {
			msg += "; did you mean " + s + "?"
		}
		r.probs.add(ErrSyntax, pos, sec, name, key, msg)
		return
	}
	if isPasswordKey(e.key) && !e.file && value != "" && !slices.Contains(r.doc.secrets, pos.File) {
		r.doc.secrets = append(r.doc.secrets, pos.File)
	}
	if cur == nil {
		r.doc.global.set(e)
		return
	}
	cur.set(e)
}

// stripComment removes a whole-line `#` comment and, unlike MMM, a comment
// that starts with whitespace then `#` after a value or header; it trims
// the rest. A `#` inside a word (pa#ss) is kept.
func stripComment(line string) string {
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, "#") {
		return ""
	}
	for i := 1; i < len(line); i++ {
		if line[i] == '#' && (line[i-1] == ' ' || line[i-1] == '\t') {
			return strings.TrimSpace(line[:i])
		}
	}
	return line
}

// validName: letters, digits, _ and - (MMM's [\w-]+ for section names).
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		ok := c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !ok {
			return false
		}
	}
	return true
}

// where renders a position for a message: "line 5" in the same file as the
// error, "end of file" for a file without line.
func where(p Pos) string {
	if p.Line == 0 {
		return "the end of the file"
	}
	return fmt.Sprintf("line %d", p.Line)
}
