package checks

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestMySQL(t *testing.T) {
	runTable(t, func(f *fake) Check { return MySQL{Server: f, Timeout: time.Second} }, []want{
		{"ok", &fake{}, StatusOK, ""},
		{"too many connections", &fake{err: errTooMany}, StatusUnknown,
			"Too many connections! Error 1040 (08004): Too many connections (host = /run/mysqld/mysqld.sock, user = mmm_monitor)"},
		{"refused", &fake{err: errRefusedConnect}, StatusFailed,
			"Connect error (host = /run/mysqld/mysqld.sock, user = mmm_monitor)! dial unix /run/mysqld/mysqld.sock: connect: connection refused"},
		{"access denied says so", &fake{err: errDeniedLogin}, StatusFailed,
			"Connect error (host = 198.18.0.11:3306, user = mmm_monitor)! access denied: Error 1045 (28000): Access denied for user 'mmm_monitor'@'198.18.0.30' (using password: YES)"},
		{"connect timeout", &fake{err: &ConnectError{Addr: "a", User: "u", Err: fmt.Errorf("timed out after 780ms: %w", context.DeadlineExceeded)}},
			StatusFailed, "Connect error (host = a, user = u)! timed out after 780ms: context deadline exceeded"},
		{"query timeout", &fake{err: context.DeadlineExceeded}, StatusFailed, "Timeout"},
		{"query error", &fake{err: errQuery}, StatusFailed, "SQL Query Error: Error 1146 (42S02): Table 'x' doesn't exist"},
		{"cancelled", &fake{err: context.Canceled}, StatusUnknown, "Error occurred: check cancelled"},
	})
}
