package packaging

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAvailableRefusesMissingCommands(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"mmm-check", "mmmctl"} {
		if err := os.MkdirAll(filepath.Join(root, "cmd", name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	_, err := available(root, false)
	if !errors.Is(err, ErrMissingCommand) || !strings.Contains(err.Error(), "cmd/mmm-coordinator, cmd/mmm-notify not found") {
		t.Errorf("available without two commands: %v; want ErrMissingCommand naming both", err)
	}
	cmds, err := available(root, true)
	if err != nil || len(cmds) != 2 || cmds[0].Name != "mmm-check" || cmds[1].Name != "mmmctl" {
		t.Errorf("available with allowMissing: %v, %v; want mmm-check, mmmctl", cmds, err)
	}
	if _, err := available(t.TempDir(), true); !errors.Is(err, ErrMissingCommand) {
		t.Errorf("available without any command: %v; want ErrMissingCommand", err)
	}
}

// Every static file and script the packages name exists, and the scripts
// are executable shell scripts.
func TestStaticSourcesExist(t *testing.T) {
	st := stage(t.TempDir())
	for _, c := range contents("..", st, "amd64", Commands) {
		if c.Source == "" || strings.HasPrefix(c.Source, string(st)) {
			continue // a directory, or generated at build time
		}
		if _, err := os.Stat(c.Source); err != nil {
			t.Errorf("%s: %v", c.Destination, err)
		}
	}
	for _, name := range []string{"postinstall.sh", "preremove.sh", "postremove.sh"} {
		fi, err := os.Stat(script("..", name))
		if err != nil {
			t.Error(err)
			continue
		}
		if fi.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s is not executable", name)
		}
		if b, _ := os.ReadFile(script("..", name)); !strings.HasPrefix(string(b), "#!/bin/sh\n") {
			t.Errorf("%s does not start with #!/bin/sh", name)
		}
	}
}
