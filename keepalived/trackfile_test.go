package keepalived

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteTrackFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "writer.track")
	for _, eligible := range []bool{false, true, true, false} {
		if err := WriteTrackFile(path, eligible); err != nil {
			t.Fatalf("WriteTrackFile(%v): %v", eligible, err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want := "1\n"
		if eligible {
			want = "0\n"
		}
		if string(b) != want {
			t.Errorf("after WriteTrackFile(%v) the file holds %q, want %q", eligible, b, want)
		}
		got, err := ReadTrackFile(path)
		if err != nil || got != eligible {
			t.Errorf("ReadTrackFile = %v, %v; want %v", got, err, eligible)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("track file mode %v, want 0644", fi.Mode().Perm())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want the track file only (no temporary left)", len(entries))
	}
}

func TestWriteTrackFileNoDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "writer.track")
	if err := WriteTrackFile(path, true); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("WriteTrackFile into a missing directory = %v, want fs.ErrNotExist", err)
	}
}

func TestReadTrackFile(t *testing.T) {
	tests := []struct {
		name     string
		content  string // "-" = no file
		eligible bool
		target   error
	}{
		{name: "zero", content: "0\n", eligible: true},
		{name: "one", content: "1\n", eligible: false},
		{name: "other non-zero", content: "7", eligible: false},
		{name: "negative", content: "-1\n", eligible: false},
		{name: "spaces", content: "  0 \n", eligible: true},
		{name: "missing", content: "-", target: fs.ErrNotExist},
		{name: "empty: keepalived reads 0", content: "", target: ErrTrackFile},
		{name: "garbage", content: "yes\n", target: ErrTrackFile},
		{name: "two numbers", content: "0 1\n", target: ErrTrackFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "writer.track")
			if tt.content != "-" {
				if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := ReadTrackFile(path)
			if tt.target != nil {
				if !errors.Is(err, tt.target) || got {
					t.Fatalf("ReadTrackFile(%q) = %v, %v; want false and %v", tt.content, got, err, tt.target)
				}
				return
			}
			if err != nil || got != tt.eligible {
				t.Fatalf("ReadTrackFile(%q) = %v, %v; want %v", tt.content, got, err, tt.eligible)
			}
		})
	}
}
