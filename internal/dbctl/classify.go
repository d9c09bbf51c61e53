package dbctl

import (
	"errors"
	"fmt"
)

// Classify wraps err with the sentinel its server error number maps to
// (ErrAccessDenied, ErrTooManyConnections, ...), for callers that talk to
// the server without this package, such as the checks' connect step. An
// err without a known number, or already wrapping its sentinel, comes back
// unchanged. It adds no operation prefix.
func Classify(err error) error {
	s := sentinelFor(mysqlErrno(err))
	if s == nil || s == errUnknownThread || errors.Is(err, s) {
		return err
	}
	return fmt.Errorf("%w: %w", s, err)
}
