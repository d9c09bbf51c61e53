package fsm

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/mmm-keepalived/mmm-keepalived/internal/gtid"
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
// ("0-1-100,1-2-7": domain-server-seq; of two GTIDs of one domain the
// higher counts) and MySQL's gtid_executed syntax ("3E11FA47-…:1-100:105,…",
// with MySQL 8.3's tags "uuid:1-5:tag:1-3"), both parsed by internal/gtid.
// Whitespace and newlines are ignored; "" is the empty position.
func ParsePosition(s string) (Position, error) {
	p := Position{}
	if strings.TrimSpace(s) == "" {
		return p, nil
	}
	if strings.Contains(s, ":") {
		set, err := gtid.ParseMySQL(s)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrParse, err)
		}
		maps.Copy(p, set.Highest())
		return p, nil
	}
	for _, item := range strings.Split(s, ",") {
		pos, err := gtid.ParseMariaDB(item)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrParse, err)
		}
		for _, g := range pos.GTIDs() {
			key := strconv.FormatUint(uint64(g.Domain), 10)
			if cur, ok := p[key]; !ok || g.Seq > cur {
				p[key] = g.Seq
			}
		}
	}
	return p, nil
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
