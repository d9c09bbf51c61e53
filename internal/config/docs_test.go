package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const docsPath = "../../docs/configuration.md"

// docsSection is the title of the configuration reference.
const docsSection = "# Configuration reference"

// TestDocsListEveryKey keeps the configuration reference complete: each key of
// each section appears there in backquotes.
func TestDocsListEveryKey(t *testing.T) {
	doc := readDocs(t)
	for name, k := range kinds {
		for _, key := range k.keys() {
			if !strings.Contains(string(doc), "`"+key+"`") {
				t.Errorf("key %q of section %q is not documented", key, name)
			}
		}
		if name != "" && !strings.Contains(string(doc), "<"+name) {
			t.Errorf("section <%s> is not documented", name)
		}
	}
}

// TestDocsExampleLoads loads the lab example of the docs (the first two
// conf blocks: mmm_common.conf and mmm_agent.conf) as they are printed.
func TestDocsExampleLoads(t *testing.T) {
	doc := readDocs(t)
	blocks := confBlocks(string(doc))
	if len(blocks) < 3 {
		t.Fatalf("found %d conf blocks in %s, want the lab example", len(blocks), docsPath)
	}
	inDir(t, map[string]string{
		"mmm_common.conf": blocks[0],
		"mmm_agent.conf":  blocks[1],
		"agent.pass":      "a\n", "monitor.pass": "m\n", "repl.pass": "r\n", "api.token": "t\n",
	})
	c := mustLoad(t, "mmm_agent.conf")
	db1 := c.ThisHost()
	if db1 == nil || db1.Name != "db1" || db1.RaftAddress != "198.18.0.11:9990" || db1.Priority != 254 ||
		db1.AgentPassword != "a" || c.Host("db2").Priority != 253 || c.Keepalived.VirtualRouterID != 51 ||
		c.Coordinator.APITokenFile != "api.token" || len(c.Warnings) != 0 {
		t.Errorf("lab example: db1 %+v, warnings %q", db1, c.Warnings)
	}

	// The witness block added to the two masters alone.
	twoMasters := strings.Replace(blocks[0], "<host db3>\n    ip      198.18.0.13\n    mode    slave\n</host>\n", "", 1)
	twoMasters = strings.ReplaceAll(twoMasters, "hosts   db1, db2, db3", "hosts   db1, db2")
	twoMasters = strings.ReplaceAll(twoMasters, "ips     198.18.0.101, 198.18.0.102, 198.18.0.103", "ips     198.18.0.101, 198.18.0.102")
	if err := os.WriteFile(filepath.Join(".", "mmm_common.conf"), []byte(twoMasters+blocks[2]), 0o600); err != nil {
		t.Fatal(err)
	}
	c = mustLoad(t, "mmm_agent.conf")
	if got := strings.Join(c.Coordinator.RaftPeers, ","); got != "db1,db2,mon" || len(c.Warnings) != 0 {
		t.Errorf("with witness: raft_peers %s, warnings %q", got, c.Warnings)
	}
}

func confBlocks(doc string) []string {
	var blocks []string
	for _, part := range strings.Split(doc, "```conf\n")[1:] {
		block, _, _ := strings.Cut(part, "```")
		blocks = append(blocks, block)
	}
	return blocks
}

// readDocs returns the configuration reference from its title on.
func readDocs(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	_, ref, ok := strings.Cut(string(b), docsSection)
	if !ok {
		t.Fatalf("%s has no %q section", docsPath, docsSection)
	}
	return []byte(ref)
}
