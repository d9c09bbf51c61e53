package coordinator

import "errors"

// Sentinel errors of the package; compare with errors.Is.
var (
	// ErrEncoding: a raft log entry, snapshot or report that cannot be
	// encoded or decoded (also one written by another version).
	ErrEncoding = errors.New("coordinator: encoding")
	// ErrNotLeader: an operation that only the raft leader may do.
	ErrNotLeader = errors.New("coordinator: not the raft leader")
	// ErrNoLeader: no raft leader is known at the moment.
	ErrNoLeader = errors.New("coordinator: no raft leader")
	// ErrConfig: a configuration the coordinator cannot run with.
	ErrConfig = errors.New("coordinator: configuration")
	// ErrPermanent, wrapped by an Executor's error, says that retrying the
	// action cannot help (the action is recorded as failed at once).
	ErrPermanent = errors.New("permanent failure")
	// ErrSkipped, wrapped by an Executor's error, records the action as
	// skipped: not done, and not to be retried (the fence of a host that
	// does not answer, which its own side fences; a kill_host_bin that is
	// not installed). The error's text goes to the history.
	ErrSkipped = errors.New("skipped")
	// ErrWarning, wrapped by an Executor's error, records the action as
	// done (ok) with the error's text in the history: it did its job and
	// has something to report (a promotion without the GTIDs a catch-up
	// could not bring, catchup_policy promote).
	ErrWarning = errors.New("done with a warning")
	// ErrShutdown: the coordinator is shutting down.
	ErrShutdown = errors.New("coordinator: shutting down")
)
