package dbctl

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SemisyncStatus is semisynchronous replication on both sides of a server.
type SemisyncStatus struct {
	// Master (source) side: enabled by configuration, and active: ON while
	// commits wait for a replica's ACK, OFF after a timeout switched it
	// off. With rpl_semi_sync_master_wait_no_slave=OFF it says ON with no
	// replica connected, so watch Clients, NoTx and NoTimes.
	MasterEnabled bool
	MasterActive  bool
	MasterTimeout time.Duration
	Clients       uint64 // semisync replicas connected
	YesTx         uint64 // commits acknowledged by a replica
	NoTx          uint64 // commits not acknowledged in time
	NoTimes       uint64 // times semisync switched itself off
	// Replica side: enabled, and active (its IO thread acknowledges).
	ReplicaEnabled bool
	ReplicaActive  bool
}

// Semisync reads the semisync variables and status counters;
// ErrNoSemisync when the server has none (MySQL without the plugins;
// MariaDB has them built in). Privilege: none.
func (s *Server) Semisync(ctx context.Context) (SemisyncStatus, error) {
	n := s.st.semi
	vars, err := rows(ctx, s.db, "SHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync%'")
	if err != nil {
		return SemisyncStatus{}, wrap("semisync status", err)
	}
	v := map[string]sql.NullString{}
	for _, r := range vars {
		v[strings.ToLower(r["Variable_name"].String)] = r["Value"]
	}
	if _, ok := v[n.masterEnabled]; !ok {
		return SemisyncStatus{}, wrap("semisync status", ErrNoSemisync)
	}
	st, err := s.globalStatus(ctx, "Rpl_semi_sync%")
	if err != nil {
		return SemisyncStatus{}, wrap("semisync status", err)
	}
	num := func(name string) uint64 { x, _ := strconv.ParseUint(st[name], 10, 64); return x }
	timeoutMS, _ := strconv.ParseUint(v[n.masterTimeout].String, 10, 32)
	return SemisyncStatus{
		MasterEnabled:  parseBool(v[n.masterEnabled]),
		MasterActive:   parseBool(sql.NullString{String: st[n.masterStatus], Valid: true}),
		MasterTimeout:  time.Duration(timeoutMS) * time.Millisecond,
		Clients:        num(n.masterClients),
		YesTx:          num(n.masterYesTx),
		NoTx:           num(n.masterNoTx),
		NoTimes:        num(n.masterNoTimes),
		ReplicaEnabled: parseBool(v[n.replicaEnabled]),
		ReplicaActive:  parseBool(sql.NullString{String: st[n.replicaStatus], Valid: true}),
	}, nil
}

// SetSemisyncMaster enables or disables the master (source) side. Enable
// it on promotion and disable it on demotion: on a pure replica with
// log_slave_updates it stalls the applier once per start.
//
// Privilege: MariaDB 10.11 REPLICATION MASTER ADMIN; MySQL 8
// SYSTEM_VARIABLES_ADMIN (or SUPER).
func (s *Server) SetSemisyncMaster(ctx context.Context, on bool) error {
	return s.setSemisync(ctx, s.st.semi.masterEnabled, on)
}

// SetSemisyncReplica enables or disables the replica side. It takes effect
// when the IO thread (re)connects: restart it with StopReplication and
// StartReplication(IOThread).
//
// Privilege: MariaDB 10.11 REPLICATION SLAVE ADMIN; MySQL 8
// SYSTEM_VARIABLES_ADMIN (or SUPER).
func (s *Server) SetSemisyncReplica(ctx context.Context, on bool) error {
	return s.setSemisync(ctx, s.st.semi.replicaEnabled, on)
}

// SetSemisyncMasterTimeout sets how long a commit waits for a replica's
// acknowledgement before the master side switches itself off and commits
// without one (rpl_semi_sync_master_timeout, whole milliseconds, at least
// 1). The coordinator owns it on the writer: a writer cut off from its
// replicas must be fenced before it may acknowledge a commit alone.
//
// Privilege: as SetSemisyncMaster.
func (s *Server) SetSemisyncMasterTimeout(ctx context.Context, d time.Duration) error {
	ms := max(d.Milliseconds(), 1)
	op := fmt.Sprintf("set %s=%d", s.st.semi.masterTimeout, ms)
	err := s.setGlobal(ctx, s.st.semi.masterTimeout, strconv.FormatInt(ms, 10))
	if mysqlErrno(err) == 1193 {
		return fmt.Errorf("dbctl: %s: %w: %w", op, ErrNoSemisync, err)
	}
	return wrap(op, err)
}

func (s *Server) setSemisync(ctx context.Context, name string, on bool) error {
	op := "set " + name + "=" + onOff(on)
	err := s.setGlobal(ctx, name, onOff(on))
	if mysqlErrno(err) == 1193 { // unknown system variable: no plugin
		return fmt.Errorf("dbctl: %s: %w: %w", op, ErrNoSemisync, err)
	}
	return wrap(op, err)
}
