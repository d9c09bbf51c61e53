package dbctl

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
)

func TestWrap(t *testing.T) {
	tests := []struct {
		number uint16
		want   error
	}{
		{1045, ErrAccessDenied},
		{1227, ErrAccessDenied},
		{1095, ErrAccessDenied},
		{1040, ErrTooManyConnections},
		{1203, ErrTooManyConnections},
		{1226, ErrTooManyConnections},
		{1198, ErrReplicaRunning},
		{1200, ErrNotReplica},
		{1317, ErrInterrupted},
	}
	for _, tt := range tests {
		me := &mysql.MySQLError{Number: tt.number, Message: "m"}
		err := wrap("op", fmt.Errorf("inner: %w", me))
		var got *mysql.MySQLError
		if !errors.Is(err, tt.want) || !errors.As(err, &got) || got.Number != tt.number {
			t.Errorf("wrap(%d) = %v; want %v and the server error", tt.number, err, tt.want)
		}
		if !strings.HasPrefix(err.Error(), "dbctl: op: ") {
			t.Errorf("wrap(%d) = %q: no prefix", tt.number, err)
		}
	}
	if wrap("op", nil) != nil {
		t.Error("wrap(nil) != nil")
	}
	if err := wrap("op", context.DeadlineExceeded); !errors.Is(err, context.DeadlineExceeded) || err.Error() != "dbctl: op: context deadline exceeded" {
		t.Errorf("wrap(ctx) = %v", err)
	}
	if err := wrap("op", ErrNotReplica); err.Error() != "dbctl: op: not a replica" {
		t.Errorf("wrap(sentinel) = %q", err)
	}
}

func TestWithheld(t *testing.T) {
	me := &mysql.MySQLError{Number: 1064, SQLState: [5]byte{'4', '2', '0', '0', '0'},
		Message: "You have an error in your SQL syntax; near 'MASTER_PASSWORD='hunter2''"}
	err := wrap("change source", withheld(me))
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("password leaked: %v", err)
	}
	var got *mysql.MySQLError
	if !errors.As(err, &got) || got.Number != 1064 || got.SQLState != me.SQLState {
		t.Fatalf("number lost: %v", err)
	}
	if withheld(nil) != nil || !errors.Is(withheld(context.Canceled), context.Canceled) {
		t.Fatal("withheld changes non-server errors")
	}
}

func TestOpenNilConfig(t *testing.T) {
	if _, err := Open(context.Background(), nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Open(nil) = %v, want ErrInvalid", err)
	}
}

func TestClassify(t *testing.T) {
	denied := &mysql.MySQLError{Number: 1045, Message: "Access denied"}
	if err := Classify(denied); !errors.Is(err, ErrAccessDenied) || !errors.Is(err, denied) {
		t.Errorf("Classify(1045) = %v", err)
	}
	once := Classify(denied)
	if Classify(once) != once {
		t.Error("Classify wraps twice")
	}
	for _, err := range []error{nil, context.Canceled, &mysql.MySQLError{Number: 1094}, &mysql.MySQLError{Number: 1064}} {
		if Classify(err) != err {
			t.Errorf("Classify(%v) changed it", err)
		}
	}
}
