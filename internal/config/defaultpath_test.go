package config

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDefaultPath(t *testing.T) {
	dir := t.TempDir()
	ours, mmm := filepath.Join(dir, "mmm.conf"), filepath.Join(dir, "mmm_agent.conf")
	paths := []string{ours, mmm}
	if got := defaultPath(paths); got != ours {
		t.Errorf("none exists: %s, want %s", got, ours)
	}
	if err := os.WriteFile(mmm, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := defaultPath(paths); got != mmm {
		t.Errorf("only MMM's exists: %s, want %s", got, mmm)
	}
	if err := os.WriteFile(ours, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := defaultPath(paths); got != ours {
		t.Errorf("both exist: %s, want %s", got, ours)
	}
}
