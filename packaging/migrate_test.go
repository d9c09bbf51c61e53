package packaging

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

// TestMigrationRecipe follows docs/install.md's "Migrating from MySQL-MMM" with
// a MySQL-MMM 2.2.1 installation's files (testdata/mysql-mmm): copied
// next to mmm.conf, included by it, with our two sections added to
// mmm_common.conf, they load and render keepalived.conf.
func TestMigrationRecipe(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"mmm_common.conf", "mmm_agent.conf", "mmm_mon.conf"} {
		b := readFile(t, filepath.Join("testdata/mysql-mmm", name))
		if name == "mmm_common.conf" {
			b = append(b, "\n<coordinator>\n    api_token_file  api.token\n</coordinator>\n"+
				"<keepalived>\n    virtual_router_id  51    # unique on the VRRP network\n</keepalived>\n"...)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{"api.token": "0123456789abcdef\n", "mmm.conf": "include mmm_agent.conf\ninclude mmm_mon.conf\n"}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(filepath.Join(dir, "mmm.conf"))
	if err != nil {
		t.Fatalf("MySQL-MMM's files, included by mmm.conf:\n%v", err)
	}
	if len(cfg.Warnings) > 0 {
		t.Errorf("warnings: %q", cfg.Warnings)
	}
	if cfg.This != "db1" || len(cfg.Monitor.PingIPs) == 0 {
		t.Errorf("this %q, ping_ips %v: want db1 from mmm_agent.conf and mmm_mon.conf's ping_ips", cfg.This, cfg.Monitor.PingIPs)
	}
	for _, host := range []string{"db1", "db2"} {
		if _, err := keepalived.Render(cfg, host); err != nil {
			t.Errorf("keepalived render --host %s: %v", host, err)
		}
	}
}
