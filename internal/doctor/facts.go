package doctor

import (
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// Facts is what a Collector learnt about one database server. Check
// works on Facts alone, so its logic is tested with tables of them.
type Facts struct {
	Host string // the configuration's host name
	Addr string // ip:port connected to

	// Err is set when no session could be opened (neither as the agent
	// nor as the monitor user): nothing below is known then.
	Err error

	Flavor  dbctl.Flavor
	Version dbctl.Version

	// Accounts holds one entry per configured account kind (agent,
	// monitor, replication) that names a user.
	Accounts []Account

	// Vars holds global variables by lower-case name; a variable the
	// server does not have is absent.
	Vars map[string]string
	// Origins says where the current value of a few variables came from
	// (read_only and the semisync master timeout); absent when unknown.
	Origins map[string]Origin

	// Semisync is nil when the server has no semisync (MySQL without
	// the plugins); SemisyncErr when it could not be read.
	Semisync    *dbctl.SemisyncStatus
	SemisyncErr error

	// Replica is nil when the server replicates from nobody; ReplicaErr
	// when SHOW SLAVE STATUS failed (a missing privilege).
	Replica    *dbctl.ReplicaStatus
	ReplicaErr error

	// Clock: the local clock just before the query was sent and just
	// after its answer came, and the server's clock in between.
	// ClockErr when it could not be read.
	Sent, Received, ServerTime time.Time
	ClockErr                   error
}

// Account is one configured account, as the server saw it when doctor
// connected with it.
type Account struct {
	Kind string // "agent", "monitor" or "replication"
	User string // as configured
	// Err is set when connecting or reading the grants failed.
	Err error
	// Current is CURRENT_USER(): 'user'@'host' the server matched.
	Current string
	Grants  []string // SHOW GRANTS, one statement per line
}

// Origin is where a global variable's current value came from.
type Origin string

const (
	// OriginDefault: nothing set it; the compiled-in default.
	OriginDefault Origin = "default"
	// OriginStartup: the configuration (my.cnf), the command line or
	// MySQL's persisted variables: what the server starts with.
	OriginStartup Origin = "startup"
	// OriginRuntime: SET GLOBAL since the start; what the server will
	// start with is not known.
	OriginRuntime Origin = "runtime"
)

// Local is what doctor learnt on the machine it runs on, when that is a
// writer host (keepalived runs there).
type Local struct {
	Host string // the configuration's host name of this machine

	// KeepalivedVersion is `keepalived --version`'s version ("2.2.7");
	// VersionErr when it could not be run or read.
	KeepalivedVersion string
	VersionErr        error

	// ConfPath is the installed keepalived.conf, Installed its content
	// (ReadErr when it cannot be read), Rendered what `mmmctl keepalived
	// render` produces for this host (RenderErr when it cannot).
	ConfPath  string
	Installed []byte
	ReadErr   error
	Rendered  []byte
	RenderErr error

	// RestartChecked: the local mysqld's options were read (its
	// mysql_pidfile, then my_print_defaults); RestartProblems what is
	// wrong with them for its next start (mycnf.Check), RestartErr why
	// they could not be read.
	RestartChecked  bool
	RestartProblems []string
	RestartErr      error
}
