package packaging

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// TestDocSourcesShipEveryDoc: every document under docs/ is shipped, every
// shipped document exists, and each lands at its repository path under
// the package's doc directory (so that the README's links name the
// files beside it).
func TestDocSourcesShipEveryDoc(t *testing.T) {
	pages, err := filepath.Glob("../docs/*.md")
	if err != nil || len(pages) == 0 {
		t.Fatalf("no docs/*.md found: %v", err)
	}
	for _, p := range pages {
		src := "docs/" + filepath.Base(p)
		if !slices.Contains(DocSources, src) {
			t.Errorf("%s is not in DocSources: the packages would not ship it", src)
		}
	}
	staged := map[string]string{}
	for _, src := range DocSources {
		if _, err := os.Stat(filepath.Join("..", src)); err != nil {
			t.Errorf("DocSources names %s: %v", src, err)
		}
		// The staging directory is flat (stage.doc): names must not collide.
		if other, ok := staged[filepath.Base(src)]; ok {
			t.Errorf("DocSources: %s and %s stage to the same file", other, src)
		}
		staged[filepath.Base(src)] = src
	}
	for src, want := range map[string]string{
		"README.md":             "/usr/share/doc/mmm-keepalived/README.md.gz",
		"docs/configuration.md": "/usr/share/doc/mmm-keepalived/docs/configuration.md.gz",
	} {
		if got := docDest(src); got != want {
			t.Errorf("docDest(%s) = %s, want %s", src, got, want)
		}
	}
}

// TestDocLinksResolve: every relative link of the shipped documents names
// a file of the repository, and every #anchor a heading of the page it
// points to (GitHub's heading ids).
func TestDocLinksResolve(t *testing.T) {
	anchors := map[string]map[string]bool{} // repository path → heading ids
	readPage := func(p string) (string, error) {
		b, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(p)))
		return string(b), err
	}
	idsOf := func(p string) (map[string]bool, error) {
		if ids, ok := anchors[p]; ok {
			return ids, nil
		}
		text, err := readPage(p)
		if err != nil {
			return nil, err
		}
		anchors[p] = headingIDs(text)
		return anchors[p], nil
	}
	checked := 0
	for _, src := range DocSources {
		text, err := readPage(src)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range markdownLinks(text) {
			if strings.Contains(l.target, "://") || strings.HasPrefix(l.target, "mailto:") {
				continue
			}
			checked++
			file, anchor, _ := strings.Cut(l.target, "#")
			target := src
			if file != "" {
				target = path.Clean(path.Join(path.Dir(src), file))
				if strings.HasPrefix(target, "../") {
					t.Errorf("%s:%d: %s leaves the repository", src, l.line, l.target)
					continue
				}
				if _, err := os.Stat(filepath.Join("..", filepath.FromSlash(target))); err != nil {
					t.Errorf("%s:%d: link %s: %v", src, l.line, l.target, err)
					continue
				}
			}
			if anchor == "" {
				continue
			}
			if !strings.HasSuffix(target, ".md") {
				t.Errorf("%s:%d: link %s: an anchor into a file that is not markdown", src, l.line, l.target)
				continue
			}
			ids, err := idsOf(target)
			if err != nil {
				t.Errorf("%s:%d: link %s: %v", src, l.line, l.target, err)
				continue
			}
			if !ids[anchor] {
				t.Errorf("%s:%d: link %s: %s has no heading with the id %q", src, l.line, l.target, target, anchor)
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d relative links found: is the link parser still right?", checked)
	}
}

// TestHeadingIDs pins the heading ids TestDocLinksResolve expects to
// GitHub's: lower case, punctuation dropped, spaces to hyphens, repeats
// numbered.
func TestHeadingIDs(t *testing.T) {
	text := "# Configuration reference\n" +
		"## `<host NAME>` and `<host default>`\n" +
		"```sh\n# not a heading\n```\n" +
		"### No acknowledged write lost, one writer: what it rests on\n" +
		"## Operation → privilege\n" +
		"## Differences from MMM 2.2.1, in short\n" +
		"## Recovering a node's raft data\n" +
		"#### `history [--limit N] [--host HOST]`\n" +
		"## Faults\n## Faults\n"
	want := []string{"configuration-reference", "host-name-and-host-default",
		"no-acknowledged-write-lost-one-writer-what-it-rests-on", "operation--privilege",
		"differences-from-mmm-221-in-short", "recovering-a-nodes-raft-data",
		"history---limit-n---host-host", "faults", "faults-1"}
	got := headingIDs(text)
	for _, id := range want {
		if !got[id] {
			t.Errorf("no id %q in %v", id, got)
		}
	}
	if got["not-a-heading"] || len(got) != len(want) {
		t.Errorf("ids %v, want exactly %v", got, want)
	}
}

type mdLink struct {
	target string
	line   int
}

// linkRE matches an inline link or image: ](target) or ](target "title").
var linkRE = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)

// markdownLinks returns the inline links of a markdown text outside code
// blocks and code spans.
func markdownLinks(text string) []mdLink {
	var out []mdLink
	fenced := false
	for i, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		for _, m := range linkRE.FindAllStringSubmatch(withoutCodeSpans(line), -1) {
			out = append(out, mdLink{target: m[1], line: i + 1})
		}
	}
	return out
}

// withoutCodeSpans blanks what is between backquotes on one line.
func withoutCodeSpans(line string) string {
	parts := strings.Split(line, "`")
	for i := 1; i < len(parts); i += 2 {
		if i < len(parts)-1 { // an unmatched backquote closes nothing
			parts[i] = ""
		}
	}
	return strings.Join(parts, "`")
}

// headingIDs returns the ids GitHub gives the ATX headings of a markdown
// text (code blocks skipped).
func headingIDs(text string) map[string]bool {
	ids := map[string]bool{}
	seen := map[string]int{}
	fenced := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced || !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.TrimLeft(line, "#")
		if len(line)-len(title) > 6 || !strings.HasPrefix(title, " ") {
			continue
		}
		id := slug(strings.TrimSpace(title))
		if n := seen[id]; n > 0 {
			seen[id]++
			id = fmt.Sprintf("%s-%d", id, n)
		} else {
			seen[id] = 1
		}
		ids[id] = true
	}
	return ids
}

// slug is GitHub's heading id: lower case; letters, digits, '_' and '-'
// kept; spaces become '-'; everything else dropped.
func slug(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}
