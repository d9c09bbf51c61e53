package mariadbd

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestStartStopKill(t *testing.T) {
	if err := Binaries(); err != nil {
		t.Skipf("needs MariaDB (.ci/run installs it): %v", err)
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: mariadbd runs with --user=root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(ctx, Options{Dir: t.TempDir(), Name: "t1", BindAddress: "127.0.0.1", Port: port, ServerID: 7})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Kill() })

	db, err := s.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var id int
	if err := db.QueryRowContext(ctx, "SELECT @@server_id").Scan(&id); err != nil || id != 7 {
		t.Fatalf("server_id = %d, %v; want 7", id, err)
	}
	if err := s.Exec(ctx, "CREATE DATABASE t", "CREATE TABLE t.x (i INT PRIMARY KEY)", "INSERT INTO t.x VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Running() {
		t.Fatal("running after Stop")
	}
	// A restart keeps the data; Kill then leaves nothing running.
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM t.x").Scan(&n); err != nil || n != 1 {
		t.Fatalf("rows after restart = %d, %v", n, err)
	}
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if s.Running() {
		t.Fatal("running after Kill")
	}
}
