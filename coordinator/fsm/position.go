package fsm

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Position summarises a host's executed GTID set for comparisons: for
// every replication stream — a MariaDB domain id, or a MySQL source UUID —
// the highest sequence number applied. It is a summary (MySQL interval
// gaps are ignored), good enough to tell which of two hosts that replicate
// from the same writer has applied more; errant-transaction detection
// needs the full sets and is the runtime's job.
//
// The zero value (nil) means "unknown".
type Position map[string]uint64

// ParsePosition accepts MariaDB's gtid_binlog_pos / gtid_slave_pos syntax
// ("0-1-100,1-2-7": domain-server-seq) and MySQL's gtid_executed syntax
// ("3E11FA47-…:1-100:105,…"). Whitespace and newlines are ignored; "" is
// the empty position.
func ParsePosition(s string) (Position, error) {
	p := Position{}
	s = strings.Join(strings.Fields(s), "")
	if s == "" {
		return p, nil
	}
	for _, item := range strings.Split(s, ",") {
		key, seq, err := parseGTIDItem(item)
		if err != nil {
			return nil, fmt.Errorf("%w: GTID %q: %v", ErrParse, item, err)
		}
		if cur, ok := p[key]; !ok || seq > cur {
			p[key] = seq
		}
	}
	return p, nil
}

func parseGTIDItem(item string) (string, uint64, error) {
	if uuid, ranges, ok := strings.Cut(item, ":"); ok { // MySQL
		var max uint64
		for _, r := range strings.Split(ranges, ":") {
			_, hi, isRange := strings.Cut(r, "-")
			if !isRange {
				hi = r
			}
			n, err := strconv.ParseUint(hi, 10, 64)
			if err != nil {
				return "", 0, err
			}
			max = n // intervals are ascending: the last one ends highest
		}
		return strings.ToLower(uuid), max, nil
	}
	parts := strings.Split(item, "-") // MariaDB
	if len(parts) != 3 {
		return "", 0, fmt.Errorf("want domain-server-seq")
	}
	for _, p := range parts[:2] {
		if _, err := strconv.ParseUint(p, 10, 32); err != nil {
			return "", 0, err
		}
	}
	seq, err := strconv.ParseUint(parts[2], 10, 64)
	return parts[0], seq, err
}

// Covers reports whether p has applied at least everything q has.
func (p Position) Covers(q Position) bool {
	for k, v := range q {
		if p[k] < v {
			return false
		}
	}
	return true
}

// Ahead reports whether p covers q and has something q lacks.
func (p Position) Ahead(q Position) bool { return p.Covers(q) && !q.Covers(p) }

// Merge returns the smallest position covering both.
func (p Position) Merge(q Position) Position {
	out := Position{}
	for k, v := range p {
		out[k] = v
	}
	for k, v := range q {
		if cur, ok := out[k]; !ok || v > cur {
			out[k] = v
		}
	}
	return out
}

// String renders the position sorted by key as "key:seq,…"; "" when empty.
func (p Position) String() string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ":" + strconv.FormatUint(p[k], 10)
	}
	return strings.Join(parts, ",")
}

// clone copies p (nil stays nil).
func (p Position) clone() Position {
	if p == nil {
		return nil
	}
	out := make(Position, len(p))
	for k, v := range p {
		out[k] = v
	}
	return out
}
