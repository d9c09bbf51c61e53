package dbctl

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/gtid"
)

// BinlogStatus is where this server's binary log ends.
type BinlogStatus struct {
	File     string
	Position uint64
	// GTID is MariaDB's @@gtid_binlog_pos or MySQL's Executed_Gtid_Set,
	// as the server prints it (newlines removed).
	GTID string
}

// BinlogStatus reads SHOW MASTER STATUS (SHOW BINARY LOG STATUS on MySQL
// 8.2+); ErrNoBinlog when binary logging is off.
//
// Privilege: MariaDB 10.11 BINLOG MONITOR; MySQL REPLICATION CLIENT.
func (s *Server) BinlogStatus(ctx context.Context) (BinlogStatus, error) {
	list, err := rows(ctx, s.db, s.st.showBinlogStatus)
	if err != nil {
		return BinlogStatus{}, wrap("binlog status", err)
	}
	if len(list) == 0 {
		return BinlogStatus{}, wrap("binlog status", ErrNoBinlog)
	}
	r := list[0]
	pos, _ := strconv.ParseUint(r["Position"].String, 10, 64)
	bs := BinlogStatus{File: r["File"].String, Position: pos, GTID: r["Executed_Gtid_Set"].String}
	if s.flavor == MariaDB {
		v, err := s.globals(ctx, "gtid_binlog_pos")
		if err != nil {
			return BinlogStatus{}, wrap("binlog status", err)
		}
		bs.GTID = v[0].String
	}
	bs.GTID = strings.ReplaceAll(bs.GTID, "\n", "")
	return bs, nil
}

// GTIDState is a server's GTID bookkeeping, parsed. Only the fields of its
// flavour are set.
type GTIDState struct {
	// MariaDB: the last GTID per domain written to this server's binlog,
	// applied by its replica threads, and the union the server considers
	// current (binlog for its own writes, slave pos for replicated ones).
	BinlogPos, SlavePos, CurrentPos gtid.MariaDBPos
	// MySQL: every transaction executed here, and the purged part.
	Executed, Purged gtid.MySQLSet
}

// GTIDState reads the GTID system variables. What a replica has received
// but not applied is in ReplicaStatus.RetrievedGTID. Privilege: none.
func (s *Server) GTIDState(ctx context.Context) (GTIDState, error) {
	var st GTIDState
	if s.flavor == MariaDB {
		v, err := s.globals(ctx, "gtid_binlog_pos", "gtid_slave_pos", "gtid_current_pos")
		if err != nil {
			return st, wrap("gtid state", err)
		}
		for i, dst := range []*gtid.MariaDBPos{&st.BinlogPos, &st.SlavePos, &st.CurrentPos} {
			if *dst, err = gtid.ParseMariaDB(v[i].String); err != nil {
				return GTIDState{}, wrap("gtid state", err)
			}
		}
		return st, nil
	}
	v, err := s.globals(ctx, "gtid_executed", "gtid_purged")
	if err != nil {
		return st, wrap("gtid state", err)
	}
	for i, dst := range []*gtid.MySQLSet{&st.Executed, &st.Purged} {
		if *dst, err = gtid.ParseMySQL(v[i].String); err != nil {
			return GTIDState{}, wrap("gtid state", err)
		}
	}
	return st, nil
}

// BinlogSettings are the settings that make a server fit to be a
// replication source and a failover target.
type BinlogSettings struct {
	LogBin bool // binary logging on (not dynamic)
	// LogReplicaUpdates (log_slave_updates / log_replica_updates): the
	// failover target must have it, or replicas repointed to it silently
	// miss the transactions it replicated. Not dynamic.
	LogReplicaUpdates bool
	ServerID          uint32
}

// FailoverTarget reports why a server with these settings cannot take over
// as the writer that other replicas follow, or nil.
func (b BinlogSettings) FailoverTarget() error {
	switch {
	case !b.LogBin:
		return fmt.Errorf("dbctl: not a failover target: %w", ErrNoBinlog)
	case !b.LogReplicaUpdates:
		return fmt.Errorf("dbctl: not a failover target: %w: log_slave_updates is off, replicas repointed to it would miss transactions", ErrInvalid)
	}
	return nil
}

// BinlogSettings reads log_bin, log_slave_updates and server_id.
// Privilege: none.
func (s *Server) BinlogSettings(ctx context.Context) (BinlogSettings, error) {
	v, err := s.globals(ctx, "log_bin", s.st.logReplicaUpdates, "server_id")
	if err != nil {
		return BinlogSettings{}, wrap("binlog settings", err)
	}
	id, err := strconv.ParseUint(v[2].String, 10, 32)
	if err != nil {
		return BinlogSettings{}, wrap("binlog settings", fmt.Errorf("server_id %q: %w", v[2].String, err))
	}
	return BinlogSettings{LogBin: parseBool(v[0]), LogReplicaUpdates: parseBool(v[1]), ServerID: uint32(id)}, nil
}

// ServerID reads @@server_id. Privilege: none.
func (s *Server) ServerID(ctx context.Context) (uint32, error) {
	v, err := s.globals(ctx, "server_id")
	if err != nil {
		return 0, wrap("server_id", err)
	}
	id, err := strconv.ParseUint(v[0].String, 10, 32)
	if err != nil {
		return 0, wrap("server_id", fmt.Errorf("%q: %w", v[0].String, err))
	}
	return uint32(id), nil
}

// Uptime reads SHOW GLOBAL STATUS LIKE 'Uptime': how long the server has
// been running, which tells a restart from a network blip.
// Privilege: none.
func (s *Server) Uptime(ctx context.Context) (time.Duration, error) {
	st, err := s.globalStatus(ctx, "Uptime")
	if err != nil {
		return 0, wrap("uptime", err)
	}
	secs, err := strconv.ParseUint(st["Uptime"], 10, 63)
	if err != nil {
		return 0, wrap("uptime", fmt.Errorf("Uptime %q: %w", st["Uptime"], err))
	}
	return time.Duration(secs) * time.Second, nil
}
