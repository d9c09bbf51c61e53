package gtid

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MariaDBGTID is one MariaDB global transaction id, domain-server-seq.
type MariaDBGTID struct {
	Domain uint32
	Server uint32
	Seq    uint64
}

// String renders the GTID as MariaDB does, "0-1-100".
func (g MariaDBGTID) String() string {
	return fmt.Sprintf("%d-%d-%d", g.Domain, g.Server, g.Seq)
}

// includes reports whether a position holding g includes the transaction
// other of the same domain: a higher seq_no does (gtid_strict_mode), the
// same seq_no only from the same server (else the histories diverged).
func (g MariaDBGTID) includes(other MariaDBGTID) bool {
	return g.Seq > other.Seq || (g.Seq == other.Seq && g.Server == other.Server)
}

// MariaDBPos is a MariaDB GTID position such as @@gtid_slave_pos or
// @@gtid_binlog_pos: at most one GTID per domain, kept sorted by domain.
// The zero value is the empty position.
type MariaDBPos struct {
	gtids []MariaDBGTID // sorted by Domain, unique domains
}

// ParseMariaDB parses a comma-separated MariaDB GTID position. Blanks
// around elements are ignored; "" is the empty position. Two GTIDs of the
// same domain are an error: a position has one per domain (this rejects
// @@gtid_binlog_state, which keeps one per domain and server).
func ParseMariaDB(s string) (MariaDBPos, error) {
	if strings.TrimSpace(s) == "" {
		return MariaDBPos{}, nil
	}
	var gs []MariaDBGTID
	for _, el := range strings.Split(s, ",") {
		g, err := parseMariaDBGTID(strings.TrimSpace(el))
		if err != nil {
			return MariaDBPos{}, err
		}
		gs = append(gs, g)
	}
	return NewMariaDBPos(gs...)
}

func parseMariaDBGTID(s string) (MariaDBGTID, error) {
	parts := strings.Split(s, "-")
	if len(parts) != 3 {
		return MariaDBGTID{}, fmt.Errorf("%w: MariaDB GTID %q is not domain-server-seq", ErrSyntax, s)
	}
	d, err1 := strconv.ParseUint(parts[0], 10, 32)
	sv, err2 := strconv.ParseUint(parts[1], 10, 32)
	seq, err3 := strconv.ParseUint(parts[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return MariaDBGTID{}, fmt.Errorf("%w: MariaDB GTID %q: domain and server must be 32-bit and seq 64-bit unsigned numbers", ErrSyntax, s)
	}
	return MariaDBGTID{Domain: uint32(d), Server: uint32(sv), Seq: seq}, nil
}

// NewMariaDBPos builds a position from GTIDs in any order; two of the same
// domain are an error.
func NewMariaDBPos(gs ...MariaDBGTID) (MariaDBPos, error) {
	out := slices.Clone(gs)
	slices.SortFunc(out, func(a, b MariaDBGTID) int { return cmpUint(a.Domain, b.Domain) })
	for i := 1; i < len(out); i++ {
		if out[i].Domain == out[i-1].Domain {
			return MariaDBPos{}, fmt.Errorf("%w: MariaDB position has two GTIDs of domain %d (%s, %s)",
				ErrSyntax, out[i].Domain, out[i-1], out[i])
		}
	}
	return MariaDBPos{gtids: out}, nil
}

// GTIDs returns a copy of the GTIDs, sorted by domain.
func (p MariaDBPos) GTIDs() []MariaDBGTID { return slices.Clone(p.gtids) }

// Domain returns the GTID of domain d, if p has one.
func (p MariaDBPos) Domain(d uint32) (MariaDBGTID, bool) {
	i, ok := slices.BinarySearchFunc(p.gtids, d, func(g MariaDBGTID, d uint32) int { return cmpUint(g.Domain, d) })
	if !ok {
		return MariaDBGTID{}, false
	}
	return p.gtids[i], true
}

// IsEmpty reports whether p has no GTID.
func (p MariaDBPos) IsEmpty() bool { return len(p.gtids) == 0 }

// String renders p canonically: sorted by domain, comma-separated, the
// format MASTER_GTID_WAIT and gtid_slave_pos accept.
func (p MariaDBPos) String() string {
	parts := make([]string, len(p.gtids))
	for i, g := range p.gtids {
		parts[i] = g.String()
	}
	return strings.Join(parts, ",")
}

// Equal reports whether p and q hold exactly the same GTIDs.
func (p MariaDBPos) Equal(q MariaDBPos) bool { return slices.Equal(p.gtids, q.gtids) }

// Contains reports whether p includes every transaction up to q: for each
// domain of q, p has that domain with a higher seq_no, or the same seq_no
// from the same server. A domain q has and p lacks is not contained.
func (p MariaDBPos) Contains(q MariaDBPos) bool {
	for _, g := range q.gtids {
		pg, ok := p.Domain(g.Domain)
		if !ok || !pg.includes(g) {
			return false
		}
	}
	return true
}

// Subtract returns what p has that q lacks, as the GTIDs of p in the
// domains where q is behind (or diverged, or absent). Each returned GTID
// p[d] stands for the transactions of domain d after q's seq_no up to
// p[d].Seq (all of domain d when q lacks it). p.Subtract(q).IsEmpty() is
// q.Contains(p).
//
// Used as primary.Subtract(replica) it tells what the replica still has
// to apply; as replica.Subtract(primary) it finds errant transactions.
func (p MariaDBPos) Subtract(q MariaDBPos) MariaDBPos {
	var out []MariaDBGTID
	for _, g := range p.gtids {
		qg, ok := q.Domain(g.Domain)
		if !ok || !qg.includes(g) {
			out = append(out, g)
		}
	}
	return MariaDBPos{gtids: out}
}

func cmpUint[T uint32 | uint64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
