package apitest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
)

// Served is a backend behind a real api.Server.
type Served struct {
	Socket string // the unix socket
	Addr   string // the TCP API, host:port on 127.0.0.1
}

// Serve runs an api.Server for b on a unix socket in a fresh directory
// and on 127.0.0.1:0 until the test ends. opts.TokenFile protects TCP.
func Serve(t testing.TB, b api.Backend, opts api.ServerOptions) Served {
	t.Helper()
	// Not t.TempDir(): a unix socket path must stay under 108 bytes.
	dir, err := os.MkdirTemp("", "mmmapi")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	srv := api.NewServer(b, opts, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	sock := filepath.Join(dir, "mmm.sock")
	done := make(chan error, 2)
	go func() { done <- srv.ServeTCPListener(ctx, ln) }()
	go func() { done <- srv.ServeUnix(ctx, sock) }()
	t.Cleanup(func() {
		cancel()
		for range 2 {
			if err := <-done; err != nil {
				t.Errorf("apitest: serve: %v", err)
			}
		}
	})
	waitSocket(t, sock)
	return Served{Socket: sock, Addr: ln.Addr().String()}
}

// waitSocket polls until the socket accepts connections (ServeUnix runs
// in a goroutine), for at most five seconds.
func waitSocket(t testing.TB, path string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("unix", path)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("apitest: socket %s: %v", path, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
