package api

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// ServerOptions configure a Server. The zero value serves the unix socket
// without a token and TCP on loopback only.
type ServerOptions struct {
	// TokenFile holds the bearer token of the TCP API. It is also the
	// token this server forwards writes to the leader with. "" = no token:
	// ServeTCP then refuses non-loopback addresses.
	TokenFile string
	// ReadTokenFile holds a second token that may only read (GET: show,
	// status, checks, history, ping, /metrics); "" = none.
	ReadTokenFile string
	// Metrics is mounted at /metrics (Prometheus); nil = no metrics. On
	// TCP it requires a token (the read-only one will do) like every
	// other endpoint.
	Metrics http.Handler
	// RequestTimeout bounds one request, forwarding and waiting for a
	// leader included; default 10 s. A client's shorter deadline wins.
	RequestTimeout time.Duration
	// ShutdownTimeout bounds the graceful shutdown once the serving
	// context is done; default 5 s.
	ShutdownTimeout time.Duration
	// Location renders the `checks` timestamps; nil = time.Local (MMM
	// showed the monitor's local time).
	Location *time.Location
	// Version is reported by ping.
	Version string
}

// Defaults of ServerOptions.
const (
	DefaultRequestTimeout  = 10 * time.Second
	DefaultShutdownTimeout = 5 * time.Second

	readHeaderTimeout = 5 * time.Second
	idleTimeout       = 60 * time.Second
	maxBodySize       = 1 << 20
)

// Server serves the API over a unix socket and TCP. Serve methods may run
// concurrently, each until its context is done.
type Server struct {
	backend Backend
	opts    ServerOptions
	log     *slog.Logger
	mux     *http.ServeMux
	fwd     *http.Transport // connections to the leader, shared by forwards

	mu    sync.Mutex
	token []byte // cached TokenFile content; nil = not read yet
}

// NewServer returns a server answering from backend.
func NewServer(backend Backend, opts ServerOptions, logger *slog.Logger) *Server {
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	d := &net.Dialer{Timeout: dialTimeout}
	s := &Server{backend: backend, opts: opts, log: logger, mux: http.NewServeMux(),
		fwd: &http.Transport{DialContext: d.DialContext, MaxIdleConns: 4, IdleConnTimeout: idleTimeout}}
	s.routes()
	return s
}

// ServeUnix serves local callers on a unix socket (mode 0660, so that the
// socket's group may use it) until ctx is done. A stale socket left by a
// crash is removed; a live one is an error.
func (s *Server) ServeUnix(ctx context.Context, path string) error {
	if err := removeStaleSocket(ctx, path); err != nil {
		return err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("api: listen %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o660); err != nil {
		ln.Close()
		return fmt.Errorf("api: chmod %s: %w", path, err)
	}
	return s.serve(ctx, ln, s.mux)
}

// ServeTCP serves the TCP API on addr (host:port) until ctx is done. With
// a token every request must carry it; without one only a loopback
// address is served (ErrNoToken otherwise).
func (s *Server) ServeTCP(ctx context.Context, addr string) error {
	tok, err := s.loadToken()
	if err != nil {
		return err
	}
	if tok == nil && !isLoopback(addr) {
		return fmt.Errorf("%w: %s", ErrNoToken, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("api: listen %s: %w", addr, err)
	}
	return s.ServeTCPListener(ctx, ln)
}

// ServeTCPListener is ServeTCP on a listener the caller opened (tests use
// 127.0.0.1:0). It closes ln.
func (s *Server) ServeTCPListener(ctx context.Context, ln net.Listener) error {
	tok, err := s.loadToken()
	if err != nil {
		ln.Close()
		return err
	}
	if tok == nil {
		if !isLoopback(ln.Addr().String()) {
			ln.Close()
			return fmt.Errorf("%w: %s", ErrNoToken, ln.Addr())
		}
		return s.serve(ctx, ln, s.mux)
	}
	var readTok []byte
	if s.opts.ReadTokenFile != "" {
		if readTok, err = ReadToken(s.opts.ReadTokenFile); err != nil {
			ln.Close()
			return err
		}
	}
	authed := requireToken(tok, readTok, s.mux)
	return s.serve(ctx, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Load balancers check without a token; the health endpoints
		// read nothing but what they answer.
		if healthPath(r.URL.Path) {
			s.mux.ServeHTTP(w, r)
			return
		}
		authed.ServeHTTP(w, r)
	}))
}

// ReloadToken rereads TokenFile (SIGHUP): forwarding uses the new token
// at once; a running TCP listener keeps the one it started with.
func (s *Server) ReloadToken() error {
	s.mu.Lock()
	s.token = nil
	s.mu.Unlock()
	_, err := s.loadToken()
	return err
}

// loadToken returns the token, reading TokenFile once; nil without one.
func (s *Server) loadToken() ([]byte, error) {
	if s.opts.TokenFile == "" {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == nil {
		tok, err := ReadToken(s.opts.TokenFile)
		if err != nil {
			return nil, err
		}
		s.token = tok
	}
	return s.token, nil
}

func (s *Server) serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readHeaderTimeout + s.opts.RequestTimeout,
		WriteTimeout:      s.opts.RequestTimeout + readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("api listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("api: serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	<-errc
	s.fwd.CloseIdleConnections()
	if err != nil {
		return fmt.Errorf("api: shutdown %s: %w", ln.Addr(), err)
	}
	return nil
}

// removeStaleSocket removes a socket nothing answers on. Anything else at
// path (a live socket, a regular file) is left alone and reported.
func removeStaleSocket(ctx context.Context, path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return fmt.Errorf("api: socket directory: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("api: socket %s: %w", path, err)
	case fi.Mode().Type() != fs.ModeSocket:
		return fmt.Errorf("api: %s exists and is not a socket", path)
	}
	dctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var d net.Dialer
	if c, err := d.DialContext(dctx, "unix", path); err == nil {
		c.Close()
		return fmt.Errorf("api: socket %s is in use by another process", path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("api: remove stale socket: %w", err)
	}
	return nil
}
