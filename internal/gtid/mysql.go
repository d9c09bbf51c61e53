package gtid

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Interval is an inclusive range of MySQL transaction numbers, First ≤ Last.
type Interval struct {
	First, Last uint64
}

// source names a GTID source: a server UUID, and from MySQL 8.3 a tag.
type source struct {
	uuid string // lowercase, canonical 8-4-4-4-12 form
	tag  string // lowercase; "" for untagged transactions
}

func (a source) compare(b source) int {
	if c := strings.Compare(a.uuid, b.uuid); c != 0 {
		return c
	}
	return strings.Compare(a.tag, b.tag) // "" (untagged) sorts first
}

// MySQLSet is a MySQL GTID set such as @@gtid_executed: per source, a
// sorted list of disjoint, non-adjacent intervals. The zero value is the
// empty set.
type MySQLSet struct {
	m map[source][]Interval // no empty lists
}

// ParseMySQL parses a MySQL GTID set: "uuid:1-5:7,uuid2:3" and, with tags
// (MySQL 8.3+), "uuid:1-5:tag:1-3". Blanks and newlines around elements
// are ignored (gtid_executed prints ",\n"); "" is the empty set. UUIDs and
// tags are case-insensitive; transaction numbers are 1 to 2^63-1.
func ParseMySQL(s string) (MySQLSet, error) {
	set := MySQLSet{m: map[source][]Interval{}}
	if strings.TrimSpace(s) == "" {
		return MySQLSet{}, nil
	}
	for _, el := range strings.Split(s, ",") {
		if err := set.parseElement(strings.TrimSpace(el)); err != nil {
			return MySQLSet{}, err
		}
	}
	for k, ivs := range set.m {
		set.m[k] = normalize(ivs)
	}
	return set, nil
}

func (set MySQLSet) parseElement(el string) error {
	parts := strings.Split(el, ":")
	uuid, ok := canonicalUUID(parts[0])
	if !ok {
		return fmt.Errorf("%w: MySQL GTID set element %q does not start with a server UUID", ErrSyntax, el)
	}
	src := source{uuid: uuid}
	if len(parts) < 2 {
		return fmt.Errorf("%w: MySQL GTID set element %q: missing interval", ErrSyntax, el)
	}
	afterTag := false // a tag must be followed by an interval
	for _, p := range parts[1:] {
		if iv, ok := parseInterval(p); ok {
			set.m[src] = append(set.m[src], iv)
			afterTag = false
			continue
		}
		tag, ok := canonicalTag(p)
		if !ok || afterTag {
			return fmt.Errorf("%w: MySQL GTID set element %q: %q is neither an interval n or n-m (1 ≤ n ≤ m < 2^63) nor a tag followed by one", ErrSyntax, el, p)
		}
		src.tag = tag
		afterTag = true
	}
	if afterTag {
		return fmt.Errorf("%w: MySQL GTID set element %q: missing interval", ErrSyntax, el)
	}
	return nil
}

func canonicalUUID(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return "", false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return "", false
		}
	}
	return strings.ToLower(s), true
}

// canonicalTag accepts MySQL's tag syntax: a letter or underscore, then up
// to 31 letters, digits or underscores; tags compare case-insensitively.
func canonicalTag(s string) (string, bool) {
	if len(s) == 0 || len(s) > 32 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alpha := c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
		if !alpha && (i == 0 || c < '0' || c > '9') {
			return "", false
		}
	}
	return strings.ToLower(s), true
}

func parseInterval(s string) (Interval, bool) {
	first, last, isRange := strings.Cut(s, "-")
	a, err := strconv.ParseUint(first, 10, 64)
	if err != nil {
		return Interval{}, false
	}
	b := a
	if isRange {
		if b, err = strconv.ParseUint(last, 10, 64); err != nil {
			return Interval{}, false
		}
	}
	if a < 1 || b < a || b > math.MaxInt64 {
		return Interval{}, false
	}
	return Interval{First: a, Last: b}, true
}

// normalize sorts and merges overlapping and adjacent intervals.
func normalize(ivs []Interval) []Interval {
	ivs = slices.Clone(ivs)
	slices.SortFunc(ivs, func(a, b Interval) int { return cmpUint(a.First, b.First) })
	out := ivs[:0]
	for _, iv := range ivs {
		if n := len(out); n > 0 && iv.First <= out[n-1].Last+1 {
			out[n-1].Last = max(out[n-1].Last, iv.Last)
			continue
		}
		out = append(out, iv)
	}
	return out
}

func (set MySQLSet) sources() []source {
	keys := make([]source, 0, len(set.m))
	for k := range set.m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, source.compare)
	return keys
}

// String renders the set canonically: UUIDs sorted, per UUID the untagged
// intervals first, then each tag sorted with its intervals; elements are
// separated by "," without blanks.
func (set MySQLSet) String() string {
	var b strings.Builder
	prev := ""
	for _, k := range set.sources() {
		if k.uuid != prev {
			if prev != "" {
				b.WriteByte(',')
			}
			b.WriteString(k.uuid)
			prev = k.uuid
		}
		if k.tag != "" {
			b.WriteByte(':')
			b.WriteString(k.tag)
		}
		for _, iv := range set.m[k] {
			b.WriteByte(':')
			b.WriteString(strconv.FormatUint(iv.First, 10))
			if iv.Last != iv.First {
				b.WriteByte('-')
				b.WriteString(strconv.FormatUint(iv.Last, 10))
			}
		}
	}
	return b.String()
}
