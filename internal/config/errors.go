package config

import (
	"cmp"
	"errors"
	"slices"
	"strings"
)

// Sentinel errors: every *Error wraps one of them, so callers can tell a
// typo from a broken include with errors.Is.
var (
	// ErrSyntax: a line that is not `key value`, a section that is
	// unknown, unclosed or misnamed, or a key the section does not know.
	ErrSyntax = errors.New("config: syntax error")
	// ErrInclude: an included file (or a *_password_file, or for
	// CheckFiles the api_token_file) cannot be read, or includes itself.
	ErrInclude = errors.New("config: cannot read file")
	// ErrValue: a value that does not parse, is out of range, or a
	// required key that is missing.
	ErrValue = errors.New("config: invalid value")
	// ErrInconsistent: keys that contradict each other, e.g. a role naming
	// an undefined host or an IP used twice.
	ErrInconsistent = errors.New("config: inconsistent configuration")
)

// Error is one problem in a configuration. It renders as
//
//	FILE:LINE: SECTION NAME: KEY: MESSAGE
//
// where the parts that do not apply are left out: a global key has no
// section, a unique section (`<monitor>`) no name, a problem with a whole
// line no key, and a missing key in a file-less Config no position.
type Error struct {
	Pos     Pos
	Section string // host, role, check, monitor, …; "" for global keys
	Name    string // the section's name; "" for unique sections
	Key     string
	Msg     string
	Err     error // one of the sentinel errors above
}

func (e *Error) Error() string {
	parts := make([]string, 0, 4)
	if p := e.Pos.String(); p != "" {
		parts = append(parts, p)
	}
	switch {
	case e.Section != "" && e.Name != "":
		parts = append(parts, e.Section+" "+e.Name)
	case e.Section != "":
		parts = append(parts, e.Section)
	}
	if e.Key != "" {
		parts = append(parts, e.Key)
	}
	parts = append(parts, e.Msg)
	return strings.Join(parts, ": ")
}

// Unwrap returns the sentinel error.
func (e *Error) Unwrap() error { return e.Err }

// problems collects every Error of a load, so that one run reports all of
// them.
type problems []*Error

func (ps *problems) add(kind error, pos Pos, section, name, key, msg string) {
	*ps = append(*ps, &Error{Pos: pos, Section: section, Name: name, Key: key, Msg: msg, Err: kind})
}

// err sorts the problems by file (in the order files were read) and line,
// drops repeats of one line's message (a bad value in `<host default>` is
// wrong for every host, but is reported once), and joins them one per line;
// nil when there are none.
func (ps problems) err(files []string) error {
	if len(ps) == 0 {
		return nil
	}
	rank := func(file string) int {
		if i := slices.Index(files, file); i >= 0 {
			return i
		}
		return len(files)
	}
	sorted := slices.Clone(ps)
	slices.SortStableFunc(sorted, func(a, b *Error) int {
		if c := cmp.Compare(rank(a.Pos.File), rank(b.Pos.File)); c != 0 {
			return c
		}
		return cmp.Compare(a.Pos.Line, b.Pos.Line)
	})
	type seenKey struct {
		pos      Pos
		key, msg string
	}
	seen := make(map[seenKey]bool)
	errs := make([]error, 0, len(sorted))
	for _, e := range sorted {
		k := seenKey{e.Pos, e.Key, e.Msg}
		if e.Pos.File != "" && seen[k] {
			continue
		}
		seen[k] = true
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}
