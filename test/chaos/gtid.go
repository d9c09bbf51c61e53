package chaos

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// domainServer keys gtid_binlog_state: the last sequence number per
// replication domain and originating server.
type domainServer struct{ Domain, Server uint64 }

// parseBinlogState parses "0-1-100,0-2-57" into domain-server → seq.
func parseBinlogState(s string) (map[domainServer]uint64, error) {
	out := map[domainServer]uint64{}
	for _, part := range strings.Split(strings.TrimSpace(s), ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		f := strings.Split(part, "-")
		if len(f) != 3 {
			return nil, fmt.Errorf("chaos: GTID %q: want domain-server-seq", part)
		}
		var n [3]uint64
		for i, x := range f {
			v, err := strconv.ParseUint(x, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("chaos: GTID %q: %w", part, err)
			}
			n[i] = v
		}
		out[domainServer{n[0], n[1]}] = n[2]
	}
	return out, nil
}

// errantGTIDs lists what host's binlog state has beyond the writer's: a
// domain-server the writer never saw, or a later sequence number of one
// it did — transactions the writer lacks, which no replication will ever
// bring it.
func errantGTIDs(host, hostState, writerState string) ([]string, error) {
	hs, err := parseBinlogState(hostState)
	if err != nil {
		return nil, err
	}
	ws, err := parseBinlogState(writerState)
	if err != nil {
		return nil, err
	}
	var out []string
	for ds, seq := range hs {
		if w, ok := ws[ds]; !ok || seq > w {
			out = append(out, fmt.Sprintf("%s: %d-%d-%d (writer has %d)", host, ds.Domain, ds.Server, seq, w))
		}
	}
	slices.Sort(out)
	return out, nil
}
