package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// TestIsConnectError: failures to connect, log in or keep the connection
// are connect errors; a statement the server refused is not.
func TestIsConnectError(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	denied := &mysql.MySQLError{Number: 1045, Message: "Access denied for user 'u'"}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"connect refused", &ConnectError{Addr: "127.0.0.1:3306", User: "u", Err: refused}, true},
		{"login denied", &ConnectError{Addr: "127.0.0.1:3306", User: "u", Err: dbctl.Classify(denied)}, true},
		{"wrapped connect error", fmt.Errorf("checks: read_only: %w", &ConnectError{Err: refused}), true},
		{"a dial error of the pool", fmt.Errorf("dbctl: read_only: %w", refused), true},
		{"a deadline on the socket", fmt.Errorf("read: %w", context.DeadlineExceeded), true},
		{"socket closed under a statement", fmt.Errorf("dbctl: show slave status: %w", mysql.ErrInvalidConn), true},
		{"privilege missing for a statement", dbctl.Classify(&mysql.MySQLError{Number: 1227, Message: "Access denied"}), false},
		{"syntax error", &mysql.MySQLError{Number: 1064, Message: "You have an error"}, false},
		{"not a replica", fmt.Errorf("dbctl: replica status: %w", dbctl.ErrNotReplica), false},
		{"cancelled", context.Canceled, false},
		{"anything else", errors.New("no"), false},
	} {
		if got := IsConnectError(tc.err); got != tc.want {
			t.Errorf("%s: IsConnectError(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
