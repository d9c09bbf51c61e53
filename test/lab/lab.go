// Package lab builds the reference topology (docs/lab.md) on one machine:
// network namespaces for db1, db2, db3, mon and app, joined by a Linux
// bridge that lives in its own namespace, addressed only in 198.18.0.0/24,
// with no default route and no link to the root namespace; one MariaDB
// 10.11 per db host with GTID master-master replication (db1 <-> db2, db3
// a replica of db1) and semisync; later keepalived and the coordinators.
//
// It also provides the fault primitives the integration tests and the
// benchmarks replay (mysqld stopped, killed or frozen, host death, network
// down, partitions, replication threads stopped or delayed, daemons
// killed), each with its reverse, and a dialer that opens TCP connections
// from inside a lab host.
//
// Everything the lab creates is recorded under its state directory
// (/run/mmm-lab/<prefix>), so that Down works from another process and
// after a crash. The namespace names carry the prefix, so that the demo
// (prefix "mmm") and the test suite (prefix "mmmt") can run side by side.
//
// The lab needs root. It is test support, not product code.
package lab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/test/mariadbd"
)

// Errors of the lab.
var (
	ErrOutsideLab  = errors.New("lab: address outside 198.18.0.0/24")
	ErrUnknownHost = errors.New("lab: unknown host")
	ErrBadPrefix   = errors.New("lab: bad prefix (1-8 of a-z0-9, starting with a letter)")
	ErrNotRoot     = errors.New("lab: needs root (network namespaces, mariadbd --user=root)")
	ErrNotDB       = errors.New("lab: host runs no MariaDB")
	ErrNotUp       = errors.New("lab: not up")
	ErrLocked      = errors.New("lab: another process is bringing this lab up or down")
	ErrNoDaemon    = errors.New("lab: no such daemon")
	ErrPartition   = errors.New("lab: partition")
)

// DefaultPrefix names the demo's lab; TestPrefix the integration suite's.
const (
	DefaultPrefix = "mmm"
	TestPrefix    = "mmmt"
	stateRoot     = "/run/mmm-lab"
)

var prefixRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,7}$`)

// Options configure a Lab.
type Options struct {
	// Prefix starts every namespace name: "<prefix>-db1", "<prefix>-br".
	Prefix string
	// StateDir holds pid files, datadirs, configs and the manifest;
	// default /run/mmm-lab/<prefix>.
	StateDir string
	// BinDir holds the project's binaries (make build's bin/); the lab
	// starts keepalived and the coordinators only when theirs exist.
	BinDir string
	// Detach lets the lab's processes outlive the calling process (the
	// demo); tests leave them attached.
	Detach bool
	// KeepOnFailure leaves a failed Up in place for inspection instead of
	// tearing it down.
	KeepOnFailure bool
	// SemisyncTimeout is rpl_semi_sync_master_timeout in every server's
	// my.cnf (default 2 s); the coordinator sets its own on the writers
	// it opens.
	SemisyncTimeout time.Duration
	// Semisync is the semisync layout of the servers' my.cnf:
	// SemisyncBothMasters (the default, the seed article's) or
	// SemisyncWriterOnly.
	Semisync SemisyncLayout
	// Profile is the cluster configuration's timing: ProfileFast (the
	// default: check_period 1 s, trap_period 2 s, lease 1 s) or
	// ProfileDefaults (the shipped defaults: MMM's check_period 5 s, the
	// default lease).
	Profile Profile
	Logger  *slog.Logger
}

// Profile names a timing of the lab's cluster configuration.
type Profile string

const (
	ProfileFast     Profile = "fast"
	ProfileDefaults Profile = "defaults"
)

// ParseProfile parses a profile's name ("" is the fast one).
func ParseProfile(s string) (Profile, error) {
	switch p := Profile(s); p {
	case "":
		return ProfileFast, nil
	case ProfileFast, ProfileDefaults:
		return p, nil
	}
	return "", fmt.Errorf("profile %q: want %s or %s", s, ProfileFast, ProfileDefaults)
}

// SemisyncLayout is which semisync sides the servers' my.cnf enables;
// the coordinator keeps its own layout at run time whatever they say.
type SemisyncLayout string

const (
	// SemisyncBothMasters: master and replica side on both masters,
	// replica side on db3, as MMM users configure it (MMM could not
	// manage semisync).
	SemisyncBothMasters SemisyncLayout = "both-masters"
	// SemisyncWriterOnly: master side on db1 only, replica side on
	// every server: the layout the coordinator keeps, from the start.
	SemisyncWriterOnly SemisyncLayout = "writer-only"
)

// ParseSemisyncLayout parses a layout's name ("" is the default).
func ParseSemisyncLayout(s string) (SemisyncLayout, error) {
	switch l := SemisyncLayout(s); l {
	case "":
		return SemisyncBothMasters, nil
	case SemisyncBothMasters, SemisyncWriterOnly:
		return l, nil
	}
	return "", fmt.Errorf("semisync layout %q: want %s or %s", s, SemisyncBothMasters, SemisyncWriterOnly)
}

// Lab is one instance of the topology. Its methods may be called from
// several goroutines; Up and Down must not run concurrently with anything
// else on the same lab.
type Lab struct {
	opts    Options
	log     *slog.Logger
	servers map[string]*mariadbd.Server

	mu       sync.Mutex
	lockFile *os.File
}

// New describes a lab without touching the system. It validates the
// prefix and checks every address of the topology against Net.
func New(opts Options) (*Lab, error) {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if !prefixRE.MatchString(opts.Prefix) {
		return nil, fmt.Errorf("%w: %q", ErrBadPrefix, opts.Prefix)
	}
	if opts.StateDir == "" {
		opts.StateDir = filepath.Join(stateRoot, opts.Prefix)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	layout, err := ParseSemisyncLayout(string(opts.Semisync))
	if err != nil {
		return nil, err
	}
	opts.Semisync = layout
	if err := CheckAddrs(topologyAddrs()...); err != nil {
		return nil, err
	}
	l := &Lab{opts: opts, log: opts.Logger.With("lab", opts.Prefix), servers: map[string]*mariadbd.Server{}}
	for _, h := range DBHosts() {
		l.servers[h.Name] = mariadbd.New(l.serverOptions(h))
	}
	return l, nil
}

// Prefix returns the lab's namespace prefix.
func (l *Lab) Prefix() string { return l.opts.Prefix }

// BinDir returns the folder the lab takes the project's binaries from.
func (l *Lab) BinDir() string { return l.opts.BinDir }

// StateDir returns the directory holding the lab's state.
func (l *Lab) StateDir() string { return l.opts.StateDir }

// Namespace returns the network namespace name of a host ("<prefix>-db1").
func (l *Lab) Namespace(host string) string { return l.opts.Prefix + "-" + host }

// bridgeNamespace holds the bridge joining every host.
func (l *Lab) bridgeNamespace() string { return l.opts.Prefix + "-br" }

// namespaces lists every namespace of the lab, the bridge's last.
func (l *Lab) namespaces() []string {
	var out []string
	for _, h := range Hosts {
		out = append(out, l.Namespace(h.Name))
	}
	return append(out, l.bridgeNamespace())
}

// hostDir is the state directory of one host.
func (l *Lab) hostDir(host string) string { return filepath.Join(l.opts.StateDir, host) }

// Server returns the MariaDB server of a db host.
func (l *Lab) Server(host string) (*mariadbd.Server, error) {
	if _, err := LookupHost(host); err != nil {
		return nil, err
	}
	s, ok := l.servers[host]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotDB, host)
	}
	return s, nil
}

// Lock takes the lab's lock file so that two processes never bring the
// same prefix up or down at once; it waits until ctx is done. The kernel
// drops the lock when the process dies. Up and Down take it themselves
// when the caller has not.
func (l *Lab) Lock(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lockFile != nil {
		return nil
	}
	if err := os.MkdirAll(stateRoot, 0o755); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(stateRoot, l.opts.Prefix+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			l.lockFile = f
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return fmt.Errorf("lab: lock: %w", err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return fmt.Errorf("%w (%s): %w", ErrLocked, l.opts.Prefix, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Unlock releases the lock taken by Lock.
func (l *Lab) Unlock() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lockFile != nil {
		l.lockFile.Close()
		l.lockFile = nil
	}
}

// lockOnce takes the lock unless the caller holds it already and returns
// the matching release.
func (l *Lab) lockOnce(ctx context.Context) (func(), error) {
	l.mu.Lock()
	held := l.lockFile != nil
	l.mu.Unlock()
	if held {
		return func() {}, nil
	}
	if err := l.Lock(ctx); err != nil {
		return nil, err
	}
	return l.Unlock, nil
}

func checkRoot() error {
	if os.Geteuid() != 0 {
		return ErrNotRoot
	}
	return nil
}
