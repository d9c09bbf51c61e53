package gtid

import "slices"

// IsEmpty reports whether the set has no transaction.
func (set MySQLSet) IsEmpty() bool { return len(set.m) == 0 }

// Equal reports whether both sets hold exactly the same transactions.
func (set MySQLSet) Equal(other MySQLSet) bool {
	if len(set.m) != len(other.m) {
		return false
	}
	for k, ivs := range set.m {
		if !slices.Equal(ivs, other.m[k]) {
			return false
		}
	}
	return true
}

// Contains reports whether every transaction of other is in set
// (other ⊆ set).
func (set MySQLSet) Contains(other MySQLSet) bool {
	for k, ivs := range other.m {
		if !containsAll(set.m[k], ivs) {
			return false
		}
	}
	return true
}

// Subset reports whether every transaction of set is in other
// (set ⊆ other).
func (set MySQLSet) Subset(other MySQLSet) bool { return other.Contains(set) }

// Subtract returns the transactions of set that other lacks (set − other).
// Used as primary.Subtract(replica) it tells what the replica still has to
// apply; as replica.Subtract(primary) it finds errant transactions.
func (set MySQLSet) Subtract(other MySQLSet) MySQLSet {
	out := map[source][]Interval{}
	for k, ivs := range set.m {
		if rest := subtract(ivs, other.m[k]); len(rest) > 0 {
			out[k] = rest
		}
	}
	return fromMap(out)
}

// Union returns the transactions in either set.
func (set MySQLSet) Union(other MySQLSet) MySQLSet {
	out := map[source][]Interval{}
	for k, ivs := range set.m {
		out[k] = slices.Clone(ivs)
	}
	for k, ivs := range other.m {
		out[k] = normalize(append(out[k], ivs...))
	}
	return fromMap(out)
}

func fromMap(m map[source][]Interval) MySQLSet {
	if len(m) == 0 {
		return MySQLSet{}
	}
	return MySQLSet{m: m}
}

// containsAll reports whether the normalized list a covers every interval
// of b. As a is merged, each interval of b must lie inside one of a's.
func containsAll(a, b []Interval) bool {
	for _, iv := range b {
		i, _ := slices.BinarySearchFunc(a, iv.First, func(x Interval, first uint64) int {
			return cmpUint(x.Last, first) // first interval whose Last ≥ iv.First
		})
		if i == len(a) || a[i].First > iv.First || a[i].Last < iv.Last {
			return false
		}
	}
	return true
}

// subtract returns a − b for normalized lists, normalized.
func subtract(a, b []Interval) []Interval {
	var out []Interval
	j := 0
	for _, iv := range a {
		cur := iv
		for j < len(b) && b[j].Last < cur.First {
			j++
		}
		k := j
		for ; k < len(b) && b[k].First <= cur.Last; k++ {
			if b[k].First > cur.First {
				out = append(out, Interval{First: cur.First, Last: b[k].First - 1})
			}
			if b[k].Last >= cur.Last {
				cur.First = cur.Last + 1 // consumed
				break
			}
			cur.First = b[k].Last + 1
		}
		if cur.First <= cur.Last {
			out = append(out, cur)
		}
	}
	return out
}

// Highest returns, for every source of the set, its highest transaction
// number, keyed by the source's UUID, or "uuid:tag" for tagged
// transactions: a summary that tells which of two servers replicating
// from the same writer has applied more (gaps are ignored).
func (set MySQLSet) Highest() map[string]uint64 {
	out := make(map[string]uint64, len(set.m))
	for k, ivs := range set.m {
		key := k.uuid
		if k.tag != "" {
			key += ":" + k.tag
		}
		out[key] = ivs[len(ivs)-1].Last
	}
	return out
}
