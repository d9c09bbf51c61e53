package failover

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
	"github.com/mmm-keepalived/mmm-keepalived/internal/gtid"
)

// Position is a server's GTID history in its flavour's terms: a MariaDB
// position (one GTID per domain, a frontier) or a MySQL GTID set (exact).
// The zero value is empty and combines with either flavour. Values are
// immutable.
type Position struct {
	flavor dbctl.Flavor
	maria  gtid.MariaDBPos
	mysql  gtid.MySQLSet
}

// ParsePosition parses s in flavour f's syntax ("0-1-100,1-2-5" or
// "uuid:1-5,..."). "" is the empty position.
func ParsePosition(f dbctl.Flavor, s string) (Position, error) {
	switch f {
	case dbctl.MariaDB:
		p, err := gtid.ParseMariaDB(s)
		return MariaDBPosition(p), err
	case dbctl.MySQL:
		p, err := gtid.ParseMySQL(s)
		return MySQLPosition(p), err
	}
	return Position{}, fmt.Errorf("failover: %w: flavour %v", ErrInvalid, f)
}

// MariaDBPosition wraps a MariaDB position.
func MariaDBPosition(p gtid.MariaDBPos) Position {
	if p.IsEmpty() {
		return Position{}
	}
	return Position{flavor: dbctl.MariaDB, maria: p}
}

// MySQLPosition wraps a MySQL GTID set.
func MySQLPosition(s gtid.MySQLSet) Position {
	if s.IsEmpty() {
		return Position{}
	}
	return Position{flavor: dbctl.MySQL, mysql: s}
}

// IsEmpty reports whether p holds no GTID.
func (p Position) IsEmpty() bool { return p.flavor == dbctl.FlavorUnknown }

// String renders p canonically, in the syntax the waits accept.
func (p Position) String() string {
	switch p.flavor {
	case dbctl.MariaDB:
		return p.maria.String()
	case dbctl.MySQL:
		return p.mysql.String()
	}
	return ""
}

// Contains reports whether p includes every transaction of q. Positions
// of two flavours never contain each other unless q is empty.
func (p Position) Contains(q Position) bool {
	switch {
	case q.IsEmpty():
		return true
	case p.flavor != q.flavor:
		return false
	case p.flavor == dbctl.MariaDB:
		return p.maria.Contains(q.maria)
	}
	return p.mysql.Contains(q.mysql)
}

// Subtract returns what p has that q lacks (gtid's Subtract: for MariaDB
// the GTIDs of p in the domains where q is behind or diverged).
func (p Position) Subtract(q Position) Position {
	switch {
	case p.IsEmpty() || q.IsEmpty() || p.flavor != q.flavor:
		return p
	case p.flavor == dbctl.MariaDB:
		return MariaDBPosition(p.maria.Subtract(q.maria))
	}
	return MySQLPosition(p.mysql.Subtract(q.mysql))
}

// Union returns the smallest position holding both: for MariaDB, per
// domain the GTID with the higher sequence number (p's on a tie, which
// for two server ids means the histories diverged); for MySQL the set
// union. q of another flavour is ignored.
func (p Position) Union(q Position) Position {
	switch {
	case p.IsEmpty():
		return q
	case q.IsEmpty() || p.flavor != q.flavor:
		return p
	case p.flavor == dbctl.MySQL:
		return MySQLPosition(p.mysql.Union(q.mysql))
	}
	out := p.maria.GTIDs()
	for _, g := range q.maria.GTIDs() {
		mine, ok := p.maria.Domain(g.Domain)
		switch {
		case !ok:
			out = append(out, g)
		case g.Seq > mine.Seq:
			for i := range out {
				if out[i].Domain == g.Domain {
					out[i] = g
				}
			}
		}
	}
	u, _ := gtid.NewMariaDBPos(out...) // one GTID per domain by construction
	return MariaDBPosition(u)
}

// Lead counts the transactions p has that q lacks, to rank hosts: for
// MariaDB the sequence-number distance per domain (1 for a diverged
// GTID), for MySQL the size of p − q.
func (p Position) Lead(q Position) uint64 {
	if p.flavor == dbctl.MySQL {
		return countMySQL(p.Subtract(q).String())
	}
	var n uint64
	for _, g := range p.maria.GTIDs() {
		var theirs gtid.MariaDBGTID
		ok := false
		if q.flavor == dbctl.MariaDB {
			theirs, ok = q.maria.Domain(g.Domain)
		}
		switch {
		case !ok:
			n += g.Seq
		case theirs.Seq < g.Seq:
			n += g.Seq - theirs.Seq
		case theirs.Seq == g.Seq && theirs.Server != g.Server:
			n++
		}
	}
	return n
}

// countMySQL counts the transactions of a canonical MySQL GTID set
// string: "uuid:1-5:7,uuid2:tag:3-4" holds 8.
func countMySQL(s string) uint64 {
	var n uint64
	for _, el := range strings.Split(s, ",") {
		parts := strings.Split(strings.TrimSpace(el), ":")
		for _, iv := range parts[1:] {
			lo, hi, isRange := strings.Cut(iv, "-")
			a, err := strconv.ParseUint(lo, 10, 64)
			if err != nil {
				continue // a tag
			}
			b := a
			if isRange {
				if b, err = strconv.ParseUint(hi, 10, 64); err != nil || b < a {
					continue
				}
			}
			n += b - a + 1
		}
	}
	return n
}
