// Package mariadbd starts throwaway MariaDB servers for tests and for the
// lab: its own datadir, socket, pid file and error log under one folder,
// small memory, and a root account without password reachable over the
// socket only.
//
// It is test support, not product code: the product never starts mysqld.
package mariadbd

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
)

// ErrNotInstalled means mariadbd or mariadb-install-db is missing.
var ErrNotInstalled = errors.New("mariadbd: MariaDB server is not installed (apt-get install mariadb-server)")

// Options describe one server.
type Options struct {
	// Dir holds everything of this server; created if missing.
	Dir string
	// Name is log_basename: binlog, relay log and error log file names.
	Name        string
	BindAddress string // "127.0.0.1" in unit tests, a lab address in the lab
	Port        int
	ServerID    int
	// Extra holds extra lines for the [mariadbd] group, e.g.
	// "rpl_semi_sync_master_enabled=ON".
	Extra []string
	// Wrap prefixes the mariadbd command, e.g. ip netns exec db1.
	Wrap []string
	// Detach puts mariadbd in its own session so that it outlives the
	// caller (the demo); tests leave it attached.
	Detach bool
}

// Server is a running (or stopped) MariaDB server.
type Server struct {
	Options
	DataDir string
	Socket  string
	PidFile string
	ErrLog  string
	CnfFile string

	exited chan struct{} // closed when the process we started exits
}

// Binaries reports ErrNotInstalled when the server binaries are missing.
func Binaries() error {
	for _, b := range []string{"mariadbd", "mariadb-install-db"} {
		if _, err := exec.LookPath(b); err != nil {
			if _, err2 := os.Stat(filepath.Join("/usr/sbin", b)); err2 != nil {
				return fmt.Errorf("%w: %s not found", ErrNotInstalled, b)
			}
		}
	}
	return nil
}

// New lays out the server's paths without touching the disk.
func New(o Options) *Server {
	if o.Name == "" {
		o.Name = "mariadb"
	}
	return &Server{
		Options: o,
		DataDir: filepath.Join(o.Dir, "data"),
		Socket:  filepath.Join(o.Dir, "mysqld.sock"),
		PidFile: filepath.Join(o.Dir, "mysqld.pid"),
		ErrLog:  filepath.Join(o.Dir, o.Name+".err"),
		CnfFile: filepath.Join(o.Dir, "my.cnf"),
	}
}

// Start initialises the datadir when it is empty, starts mariadbd and waits
// until it answers over its socket.
func Start(ctx context.Context, o Options) (*Server, error) {
	s := New(o)
	if err := s.Start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Start starts the server described by s (again, after Stop or Kill).
func (s *Server) Start(ctx context.Context) error {
	if err := Binaries(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(s.Dir, "tmp"), 0o755); err != nil {
		return fmt.Errorf("mariadbd: %w", err)
	}
	if err := os.WriteFile(s.CnfFile, []byte(s.cnf()), 0o644); err != nil {
		return fmt.Errorf("mariadbd: %w", err)
	}
	if _, err := os.Stat(filepath.Join(s.DataDir, "mysql")); err != nil {
		if err := s.install(ctx); err != nil {
			return err
		}
	}
	args := append(append([]string{}, s.Wrap...), "mariadbd", "--defaults-file="+s.CnfFile, "--user=root")
	cmd := exec.Command(args[0], args[1:]...)
	if s.Detach {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("mariadbd: start %s: %w", s.Name, err)
	}
	s.exited = make(chan struct{})
	go func(exited chan struct{}) { _ = cmd.Wait(); close(exited) }(s.exited)
	if err := s.waitReady(ctx); err != nil {
		_ = s.Kill()
		return fmt.Errorf("mariadbd: %s did not come up: %w\n%s", s.Name, err, s.tailLog(15))
	}
	return nil
}

func (s *Server) install(ctx context.Context) error {
	// Separate tmpdirs: parallel mariadb-install-db runs collide otherwise.
	args := append(append([]string{}, s.Wrap...), "mariadb-install-db",
		"--defaults-file="+s.CnfFile, "--user=root",
		"--auth-root-authentication-method=normal", "--skip-test-db")
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("mariadbd: mariadb-install-db for %s: %w\n%s", s.Name, err, out)
	}
	return nil
}

// cnf renders my.cnf. log_basename must come first (seen in the lab).
func (s *Server) cnf() string {
	lines := []string{
		"[mariadbd]",
		"log_basename=" + s.Name,
		"datadir=" + s.DataDir,
		"tmpdir=" + filepath.Join(s.Dir, "tmp"),
		"socket=" + s.Socket,
		"pid_file=" + s.PidFile,
		"log_error=" + s.ErrLog,
		"bind_address=" + s.BindAddress,
		"port=" + strconv.Itoa(s.Port),
		"server_id=" + strconv.Itoa(s.ServerID),
		"skip_name_resolve=ON",
		"performance_schema=OFF",
		"innodb_buffer_pool_size=16M",
		"innodb_log_file_size=16M",
		"key_buffer_size=1M",
		"max_connections=60",
		"log_bin",
		"log_slave_updates=ON",
		"binlog_format=ROW",
		"gtid_strict_mode=ON",
	}
	lines = append(lines, s.Extra...)
	return strings.Join(lines, "\n") + "\n\n[client]\nsocket=" + s.Socket + "\n"
}

func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var last error
	for {
		db, err := s.Open("")
		if err == nil {
			err = db.PingContext(ctx)
			db.Close()
			if err == nil {
				return nil
			}
		}
		last = err
		select {
		case <-s.exited:
			return fmt.Errorf("mariadbd exited")
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Config returns a driver configuration for root over the socket, with the
// given default database ("" for none) and short timeouts.
func (s *Server) Config(db string) *mysql.Config {
	c := mysql.NewConfig()
	c.User = "root"
	c.Net = "unix"
	c.Addr = s.Socket
	c.DBName = db
	c.Timeout = 2 * time.Second
	c.ReadTimeout = 30 * time.Second
	c.WriteTimeout = 30 * time.Second
	return c
}

// Open returns a pool for root over the socket.
func (s *Server) Open(db string) (*sql.DB, error) {
	conn, err := mysql.NewConnector(s.Config(db))
	if err != nil {
		return nil, fmt.Errorf("mariadbd: %w", err)
	}
	return sql.OpenDB(conn), nil
}

// Exec runs statements as root, in order, on one connection.
func (s *Server) Exec(ctx context.Context, stmts ...string) error {
	db, err := s.Open("")
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("mariadbd: %s: %w", s.Name, err)
	}
	defer conn.Close()
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("mariadbd: %s: %q: %w", s.Name, q, err)
		}
	}
	return nil
}

// Pid reads the server's pid file.
func (s *Server) Pid() (int, error) { return ReadPidFile(s.PidFile) }

// ReadPidFile reads a pid file holding one pid greater than 1 (the lab
// reads keepalived's and the coordinators' with it too).
func ReadPidFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("mariadbd: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return 0, fmt.Errorf("mariadbd: bad pid file %s: %q", path, b)
	}
	return pid, nil
}

// Signal sends sig to the server's process (by its pid file).
func (s *Server) Signal(sig syscall.Signal) error {
	pid, err := s.Pid()
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("mariadbd: signal %v to %s (pid %d): %w", sig, s.Name, pid, err)
	}
	return nil
}

// Stop shuts the server down cleanly (SIGTERM) and waits until it has
// exited; past ctx's deadline it kills it.
func (s *Server) Stop(ctx context.Context) error {
	if !s.Running() {
		return nil
	}
	if err := s.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	if err := s.waitExit(ctx); err != nil {
		return errors.Join(err, s.Kill())
	}
	return nil
}

// Kill kills the server (SIGKILL) and waits for it to exit.
func (s *Server) Kill() error {
	if !s.Running() {
		return nil
	}
	// A frozen (SIGSTOPped) server still dies from SIGKILL.
	if err := s.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.waitExit(ctx)
}

// Running reports whether the pid in the pid file is alive.
func (s *Server) Running() bool {
	pid, err := s.Pid()
	if err != nil {
		return false
	}
	return processAlive(pid)
}

func (s *Server) waitExit(ctx context.Context) error {
	pid, err := s.Pid()
	if err != nil {
		return nil
	}
	for processAlive(pid) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("mariadbd: %s (pid %d) still running: %w", s.Name, pid, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// ProcessAlive is true for a live process, false for none or a zombie that
// only waits to be reaped.
func ProcessAlive(pid int) bool { return processAlive(pid) }

func processAlive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// Field 3, after "pid (comm)", is the state; Z is a zombie. A zombie
	// leader may still wait for its other threads, which hold the
	// process's files (the listening socket) until they are gone.
	if i := strings.LastIndexByte(string(b), ')'); i > 0 && i+2 < len(b) && b[i+2] == 'Z' {
		tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		return err == nil && len(tasks) > 1
	}
	return true
}

// tailLog returns the last n lines of the error log, for failure reports.
func (s *Server) tailLog(n int) string {
	b, err := os.ReadFile(s.ErrLog)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("mariadbd: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
