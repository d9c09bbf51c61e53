package coordinator

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"go.etcd.io/bbolt"
)

// storeEntries is how many log entries buildRaftDB writes: enough for
// raft-boltdb's log bucket to span many leaf pages under a branch page.
const storeEntries = 500

// buildRaftDB writes storeEntries log entries and a stable value through
// the real stores into dir/raft.db and closes them.
func buildRaftDB(t *testing.T, dir string) string {
	t.Helper()
	return buildRaftDBOf(t, dir, storeEntries)
}

// buildRaftDBOf is buildRaftDB with n entries.
func buildRaftDBOf(t *testing.T, dir string, n uint64) string {
	t.Helper()
	st, err := OpenStores(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var logs []*raft.Log
	for i := uint64(1); i <= n; i++ {
		logs = append(logs, &raft.Log{Index: i, Term: 1 + i/100, Type: raft.LogCommand, Data: bytes.Repeat([]byte{byte(i)}, 200)})
	}
	if err := st.Logs.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	if err := st.Stable.SetUint64([]byte("CurrentTerm"), 6); err != nil {
		t.Fatal(err)
	}
	if err := st.closer.Close(); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, raftDBName)
}

// boltPage is one page of a bbolt file as garblePages offers it.
type boltPage struct {
	id   int
	typ  string // bbolt's: meta, freelist, branch, leaf, free
	data []byte
}

// isLogLeaf: a leaf page of plain key/values (raft entries), not one of
// the root bucket, whose elements are buckets.
func isLogLeaf(p boltPage) bool {
	const bucketLeafFlag = 0x01
	return p.typ == "leaf" && binary.LittleEndian.Uint16(p.data[10:]) > 0 &&
		binary.LittleEndian.Uint32(p.data[16:])&bucketLeafFlag == 0
}

// garblePages overwrites the pages that pick chooses, from byte `from` of
// each on, with bytes from a seeded generator: the same garbage on every
// run. It returns how many pages it overwrote.
func garblePages(t *testing.T, path string, from int, pick func(boltPage) bool) int {
	t.Helper()
	// The freelist tells free pages apart (tx.Page).
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, PreLoadFreelist: true})
	if err != nil {
		t.Fatal(err)
	}
	size := db.Info().PageSize
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	err = db.View(func(tx *bbolt.Tx) error {
		for id := 0; int64(id*size) < tx.Size(); id++ {
			info, err := tx.Page(id)
			if err != nil {
				return err
			}
			if pick(boltPage{id: id, typ: info.Type, data: raw[id*size : (id+1)*size]}) {
				ids = append(ids, id)
			}
		}
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, id := range ids {
		for i := id*size + from; i < (id+1)*size; i++ {
			raw[i] = byte(rng.Uint32())
		}
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return len(ids)
}

// usedSize is the part of the bbolt file at path that holds pages (the
// file is longer: bbolt grows it in steps).
func usedSize(t *testing.T, path string) (used int64, page int) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error { used = tx.Size(); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return used, db.Info().PageSize
}

// editLogs changes raft-boltdb's log bucket directly, below raft-boltdb.
func editLogs(t *testing.T, path string, edit func(b *bbolt.Bucket) error) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error { return edit(tx.Bucket([]byte("logs"))) })
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

func logKey(i uint64) []byte { return binary.BigEndian.AppendUint64(nil, i) }

// TestOpenStoresCorrupt: a raft.db that bbolt cannot read, or whose raft
// log has an entry missing or misplaced, fails OpenStores with
// ErrCorruptStore and the recovery, without a panic (bbolt v1.3.5 under
// the old OpenStores panicked or faulted on the first four) and without
// a byte of the file changed: it is kept for inspection.
func TestOpenStoresCorrupt(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(t *testing.T, path string)
		cause   string // in the error
	}{
		{"log leaf pages, headers kept", func(t *testing.T, path string) {
			// The page headers say "leaf of 6 elements", the elements
			// are garbage: GetLog's slice bounds out of range.
			if n := garblePages(t, path, 16, isLogLeaf); n < 10 {
				t.Fatalf("only %d log leaf pages", n)
			}
		}, "bbolt panicked"},
		{"every leaf and branch page", func(t *testing.T, path string) {
			garblePages(t, path, 0, func(p boltPage) bool { return p.typ == "leaf" || p.typ == "branch" })
		}, "bbolt panicked"},
		{"every page but the metas", func(t *testing.T, path string) {
			garblePages(t, path, 0, func(p boltPage) bool { return p.id >= 2 })
		}, "bbolt panicked"},
		{"both meta pages", func(t *testing.T, path string) {
			garblePages(t, path, 0, func(p boltPage) bool { return p.id < 2 })
		}, "invalid database"},
		{"truncated within the meta pages", func(t *testing.T, path string) {
			_, page := usedSize(t, path)
			if err := os.Truncate(path, int64(page)+100); err != nil {
				t.Fatal(err)
			}
		}, "file size too small"},
		{"truncated half-way", func(t *testing.T, path string) {
			used, page := usedSize(t, path)
			if err := os.Truncate(path, used/2/int64(page)*int64(page)); err != nil {
				t.Fatal(err)
			}
		}, "bbolt panicked"},
		{"an entry missing", func(t *testing.T, path string) {
			editLogs(t, path, func(b *bbolt.Bucket) error { return b.Delete(logKey(250)) })
		}, "log entry 250 of 1..500: log not found"},
		{"an entry under another index", func(t *testing.T, path string) {
			editLogs(t, path, func(b *bbolt.Bucket) error { return b.Put(logKey(7), bytes.Clone(b.Get(logKey(5)))) })
		}, "log entry 7 holds index 5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := buildRaftDB(t, dir)
			tc.corrupt(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			st, err := OpenStores(dir, slog.New(slog.DiscardHandler))
			if err == nil {
				defer st.closer.Close()
				// What raft would do next: read the log.
				var l raft.Log
				for i := uint64(1); i <= storeEntries; i++ {
					if err := st.Logs.GetLog(i, &l); err != nil {
						t.Logf("entry %d: %v", i, err)
					}
				}
				t.Fatal("OpenStores opened a corrupt raft.db")
			}
			if !errors.Is(err, ErrCorruptStore) {
				t.Fatalf("OpenStores: %v, want ErrCorruptStore", err)
			}
			for _, want := range []string{path, tc.cause, "move the data_dir " + dir + " aside", "rejoins the raft group from its peers"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Error("OpenStores changed the corrupt raft.db")
			}
		})
	}
}

// TestOpenStoresSound: a sound raft.db opens with every entry and the
// stable values; a missing or empty one opens as a new store; a raft.db
// another coordinator holds fails at once, as no corruption.
func TestOpenStoresSound(t *testing.T) {
	t.Run("written", func(t *testing.T) {
		dir := t.TempDir()
		buildRaftDB(t, dir)
		st, err := OpenStores(dir, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer st.closer.Close()
		var l raft.Log
		for i := uint64(1); i <= storeEntries; i++ {
			if err := st.Logs.GetLog(i, &l); err != nil || l.Index != i || len(l.Data) != 200 || l.Data[0] != byte(i) {
				t.Fatalf("entry %d: %+v, %v", i, l, err)
			}
		}
		if v, err := st.Stable.GetUint64([]byte("CurrentTerm")); err != nil || v != 6 {
			t.Errorf("CurrentTerm %d, %v; want 6", v, err)
		}
	})
	for _, tc := range []struct {
		name   string
		before func(t *testing.T, path string)
	}{
		{"missing", func(t *testing.T, path string) {}},
		{"empty", func(t *testing.T, path string) {
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.before(t, filepath.Join(dir, raftDBName))
			st, err := OpenStores(dir, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer st.closer.Close()
			if last, err := st.Logs.LastIndex(); err != nil || last != 0 {
				t.Errorf("LastIndex %d, %v; want an empty log", last, err)
			}
		})
	}
	t.Run("held by another coordinator", func(t *testing.T) {
		dir := t.TempDir()
		buildRaftDB(t, dir)
		st, err := OpenStores(dir, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer st.closer.Close()
		_, err = OpenStores(dir, slog.New(slog.DiscardHandler))
		if err == nil || errors.Is(err, ErrCorruptStore) || !strings.Contains(err.Error(), "timeout") {
			t.Fatalf("second OpenStores: %v, want bbolt's lock timeout", err)
		}
	})
}

// TestCheckRaftDBBudget: the read at open stops at its deadline, which is
// no corruption (OpenStores then opens the file unchecked).
func TestCheckRaftDBBudget(t *testing.T) {
	path := buildRaftDBOf(t, t.TempDir(), 3*checkEvery)
	ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	err := checkRaftDB(ctx, path, slog.New(slog.DiscardHandler))
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrCorruptStore) {
		t.Fatalf("checkRaftDB past its deadline: %v, want context.DeadlineExceeded", err)
	}
	if err := checkRaftDB(context.Background(), path, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("checkRaftDB without a deadline: %v", err)
	}
}

// TestGuardedStore: pages that go bad under a running coordinator (the
// check at open passed) make raft's reads fail with ErrCorruptStore
// instead of a panic, or a fault past the end of a truncated file.
func TestGuardedStore(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(t *testing.T, path string, pages []int, page int)
	}{
		{"log leaf pages garbled", func(t *testing.T, path string, pages []int, page int) {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rng := rand.New(rand.NewPCG(3, 4))
			garbage := make([]byte, page-16)
			for _, id := range pages {
				for i := range garbage {
					garbage[i] = byte(rng.Uint32())
				}
				if _, err := f.WriteAt(garbage, int64(id*page+16)); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"file truncated", func(t *testing.T, path string, pages []int, page int) {
			// The mapping stays as long as it was: reading past the
			// new end is a SIGBUS.
			if err := os.Truncate(path, int64(2*page)); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := buildRaftDB(t, dir)
			// Which pages to spoil, found before the store is open: bbolt
			// locks the file.
			var leaves []int
			garblePages(t, path, 0, func(p boltPage) bool {
				if isLogLeaf(p) {
					leaves = append(leaves, p.id)
				}
				return false
			})
			_, page := usedSize(t, path)
			st, err := OpenStores(dir, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer st.closer.Close()
			tc.corrupt(t, path, leaves, page)
			var l raft.Log
			failed := 0
			for i := uint64(1); i <= storeEntries; i++ {
				err := st.Logs.GetLog(i, &l)
				switch {
				case err == nil:
				case errors.Is(err, ErrCorruptStore):
					if failed++; failed == 1 {
						t.Logf("entry %d: %v", i, err)
					}
				default:
					// A garbled page can also read as a missing entry
					// or one that does not decode: errors all the same.
					t.Logf("entry %d: %v", i, err)
				}
			}
			if failed == 0 {
				t.Error("no read failed with ErrCorruptStore")
			}
		})
	}
}

// TestRejoinWithEmptyDataDir: the recovery that ErrCorruptStore names.
// A node whose raft.db went bad is stopped, OpenStores refuses its data
// dir, the dir is moved aside, and the node started on an empty one
// bootstraps the configured members again and catches up from the
// leader: from the leader's log, or from its snapshot when the leader
// compacted the log past the entries the node lacks.
func TestRejoinWithEmptyDataDir(t *testing.T) {
	for _, tc := range []struct {
		name     string
		entries  int  // no-op entries the others commit while the node is down
		snapshot bool // the leader snapshots and compacts its log then
	}{
		{"from the log", 20, false},
		// Beyond TrailingLogs: the log keeps no entry 2 afterwards.
		{"from a snapshot", 1100, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dataDir := filepath.Join(t.TempDir(), "data")
			quiet := slog.New(slog.DiscardHandler)
			tcl := newTestClusterWith(t, nil, nil, func(c *testCluster) {
				st, err := OpenStores(dataDir, quiet)
				if err != nil {
					t.Fatal(err)
				}
				c.stores["db3"] = st
			})
			written := tcl.leader().node.raft.LastIndex()
			eventually(t, 10*time.Second, "db3 applies the leader's entries", func() bool {
				return tcl.node("db3").node.raft.AppliedIndex() >= written
			})
			tcl.kill("db3") // closes its stores

			path := filepath.Join(dataDir, raftDBName)
			garblePages(t, path, 0, func(p boltPage) bool { return p.id >= 2 })
			if _, err := OpenStores(dataDir, quiet); !errors.Is(err, ErrCorruptStore) {
				t.Fatalf("OpenStores on the garbled data dir: %v, want ErrCorruptStore", err)
			}
			if err := os.Rename(dataDir, dataDir+".corrupt"); err != nil {
				t.Fatal(err)
			}

			noop, err := newEntry(time.Now(), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			// The leader may change on a loaded machine (two voters, a
			// 50 ms leader lease): apply again through the next one.
			goal := tcl.leader().node.raft.LastIndex() + uint64(tc.entries)
			eventually(t, 60*time.Second, "the no-op entries committed", func() bool {
				l := tcl.leader()
				if l.node.raft.AppliedIndex() >= goal {
					return true
				}
				last := l.node.raft.LastIndex()
				if last >= goal {
					return false // appended, not applied yet
				}
				var futures []raft.ApplyFuture
				for range goal - last {
					futures = append(futures, l.node.raft.Apply(noop, 10*time.Second))
				}
				for _, f := range futures {
					if err := f.Error(); err != nil {
						t.Logf("apply on %s: %v", l.Host(), err)
						return false
					}
				}
				return l.node.raft.AppliedIndex() >= goal
			})
			if tc.snapshot {
				// Both, so that whichever leads has dropped entry 2.
				for _, h := range []string{"db1", "db2"} {
					n := tcl.node(h).node
					if err := n.raft.Snapshot().Error(); err != nil {
						t.Fatalf("snapshot on %s: %v", h, err)
					}
					if first, err := n.st.Logs.FirstIndex(); err != nil || first <= 2 {
						t.Fatalf("%s's first index %d, %v: the log was not compacted", h, first, err)
					}
				}
			}
			target := tcl.leader().node.raft.LastIndex()

			st, err := OpenStores(dataDir, quiet)
			if err != nil {
				t.Fatalf("OpenStores on an empty data dir: %v", err)
			}
			tcl.stores["db3"] = st
			db3 := tcl.start("db3")
			eventually(t, 20*time.Second, "db3 catches up with the leader", func() bool {
				return db3.node.raft.AppliedIndex() >= target
			})
			tcl.leader() // db3 agrees on it with the others
			snap := db3.node.raft.Stats()["last_snapshot_index"]
			if tc.snapshot != (snap != "0") {
				t.Errorf("db3's last snapshot index %s; installed a snapshot: %v, want %v", snap, snap != "0", tc.snapshot)
			}
		})
	}
}
