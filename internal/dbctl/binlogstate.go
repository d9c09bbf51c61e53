package dbctl

import (
	"context"
	"fmt"
	"strings"

	"github.com/mmm-keepalived/mmm-keepalived/internal/gtid"
)

// BinlogGTIDState reads MariaDB's @@gtid_binlog_state: the last GTID this
// server wrote to its binary log for every (domain, server id) pair,
// sorted by domain then server id. Errant-transaction detection needs it:
// a GTID position keeps one GTID per domain, so a transaction a failed
// writer logged and nobody received (0-1-101) looks contained in the new
// writer's later position (0-2-500); per server id it does not (the new
// writer's last GTID from server 1 is 0-1-100). MySQL's gtid_executed is
// an exact set and needs no such state: ErrUnsupported there.
//
// Privilege: none.
func (s *Server) BinlogGTIDState(ctx context.Context) ([]gtid.MariaDBGTID, error) {
	if s.flavor != MariaDB {
		return nil, fmt.Errorf("dbctl: binlog gtid state: %w: %s has no @@gtid_binlog_state", ErrUnsupported, s.flavor)
	}
	v, err := s.globals(ctx, "gtid_binlog_state")
	if err != nil {
		return nil, wrap("binlog gtid state", err)
	}
	st, err := parseBinlogState(v[0].String)
	return st, wrap("binlog gtid state", err)
}

// parseBinlogState parses "0-1-100,0-2-57,1-2-3": several GTIDs per domain
// (one per server id), which gtid.ParseMariaDB rejects as a position.
func parseBinlogState(s string) ([]gtid.MariaDBGTID, error) {
	var out []gtid.MariaDBGTID
	for _, el := range strings.Split(s, ",") {
		if strings.TrimSpace(el) == "" {
			continue
		}
		p, err := gtid.ParseMariaDB(el)
		if err != nil {
			return nil, err
		}
		out = append(out, p.GTIDs()...)
	}
	return out, nil
}
