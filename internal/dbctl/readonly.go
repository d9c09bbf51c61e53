package dbctl

import (
	"context"
	"fmt"
)

// ReadOnlyState is the server's write fence.
type ReadOnlyState struct {
	ReadOnly bool // @@read_only
	// SuperReadOnly is @@super_read_only; always false where the flavour
	// has none (MariaDB, whose read_only binds every account without
	// READ_ONLY ADMIN).
	SuperReadOnly bool
}

// ReadOnly reads read_only and, where it exists, super_read_only.
// Privilege: none.
func (s *Server) ReadOnly(ctx context.Context) (ReadOnlyState, error) {
	names := []string{"read_only"}
	if s.st.superReadOnly != "" {
		names = append(names, s.st.superReadOnly)
	}
	vals, err := s.globals(ctx, names...)
	if err != nil {
		return ReadOnlyState{}, wrap("read read_only", err)
	}
	st := ReadOnlyState{ReadOnly: parseBool(vals[0])}
	if len(vals) > 1 {
		st.SuperReadOnly = parseBool(vals[1])
	}
	return st, nil
}

// SetReadOnly fences the server (on) or opens it for writes (off), then
// reads the setting back and returns ErrNotApplied if it differs. Where
// super_read_only exists (MySQL) it follows read_only: on sets read_only
// then super_read_only, off clears super_read_only then read_only. It is
// idempotent.
//
// SET GLOBAL read_only=ON waits for statements holding table locks and
// for commits in progress; if ctx ends first the statement is killed on
// the server and the outcome is unknown: read it with ReadOnly.
//
// Privilege: MariaDB 10.11 READ_ONLY ADMIN (SUPER is not enough);
// MySQL 8 SYSTEM_VARIABLES_ADMIN (or SUPER), 5.7 SUPER.
func (s *Server) SetReadOnly(ctx context.Context, on bool) error {
	names := []string{"read_only"}
	if s.st.superReadOnly != "" {
		names = append(names, s.st.superReadOnly)
		if !on {
			names[0], names[1] = names[1], names[0]
		}
	}
	for _, n := range names {
		if err := s.setGlobal(ctx, n, onOff(on)); err != nil {
			return wrap("set "+n+"="+onOff(on), err)
		}
	}
	got, err := s.ReadOnly(ctx)
	if err != nil {
		return err
	}
	want := ReadOnlyState{ReadOnly: on, SuperReadOnly: on && s.st.superReadOnly != ""}
	if got != want {
		return fmt.Errorf("dbctl: set read_only=%s: %w: read back %+v", onOff(on), ErrNotApplied, got)
	}
	return nil
}
