package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// memFS serves files from memory, so that fuzzed includes never touch the
// disk.
type memFS map[string][]byte

func (m memFS) ReadFile(name string) ([]byte, fs.FileMode, error) {
	if data, ok := m[filepath.Clean(name)]; ok {
		return data, 0o600, nil
	}
	return nil, 0, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// FuzzParse: whatever the input, the parser returns a Config or errors
// that are all *Error with a position, and never panics. The seed files
// are the corpus; mmm_common.conf can be included by name.
func FuzzParse(f *testing.F) {
	common, err := os.ReadFile("testdata/seed/mmm_common.conf")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range []string{"mmm_common.conf", "mmm_agent.conf", "mmm_mon.conf"} {
		data, err := os.ReadFile("testdata/seed/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(labBase))
	f.Add([]byte("include mmm_common.conf\n<coordinator>\n raft_peers db1,db2\n catchup_policy promote\n</coordinator>\n<keepalived>\n virtual_router_id 51\n auth_pass_file p\n</keepalived>\n<socket/>\n<check mysql/>\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := memFS{"main.conf": data, "mmm_common.conf": common, "p": []byte("pw\n")}
		c, err := load(fsys, "main.conf", "")
		if err == nil {
			if c == nil {
				t.Fatal("nil Config without error")
			}
			if err := c.Validate(); err != nil {
				t.Fatalf("Load accepted what Validate rejects: %v", err)
			}
			return
		}
		if c != nil {
			t.Fatal("Config with error")
		}
		joined, ok := err.(interface{ Unwrap() []error })
		if !ok {
			t.Fatalf("error is not a joined list: %T", err)
		}
		for _, e := range joined.Unwrap() {
			var ce *Error
			if !errors.As(e, &ce) || ce.Msg == "" {
				t.Fatalf("not an *Error with a message: %#v", e)
			}
			if ce.Pos.File == "" && ce.Section != "check" {
				t.Fatalf("no position: %v", ce)
			}
		}
	})
}
