package fence

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/checks/checkstest"
)

// TestLocalUnreachable: no server behind the socket is ErrUnreachable.
func TestLocalUnreachable(t *testing.T) {
	c := mysql.NewConfig()
	c.Net, c.Addr, c.User = "unix", filepath.Join(t.TempDir(), "mysqld.sock"), "agent"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := (Local{Config: c}).Fence(ctx); !errors.Is(err, ErrUnreachable) {
		t.Errorf("Fence = %v, want ErrUnreachable", err)
	}
}

// TestLocalFrozen: a server that accepts the connect and never answers
// (a frozen mysqld) costs one attempt, not the caller's whole deadline,
// so that the caller can try again or act.
func TestLocalFrozen(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "mysqld.sock")
	checkstest.Start(t, checkstest.Options{Socket: sock, Silent: true}) // accepts, never answers
	c := mysql.NewConfig()
	c.Net, c.Addr, c.User = "unix", sock, "agent"
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	_, err := (Local{Config: c, Options: Options{ReadOnlyAttempt: 50 * time.Millisecond}}).Fence(ctx)
	if !errors.Is(err, ErrUnreachable) || ctx.Err() != nil {
		t.Errorf("Fence = %v (caller's context %v), want ErrUnreachable within the attempt", err, ctx.Err())
	}
}
