package config

import (
	"bytes"
	"fmt"
)

// CheckFiles reads the files a configuration names that Load leaves to
// the program using them: api_token_file, which only the coordinator
// reads (on another host, or for a user who may not read it, Load must
// not fail on it). A configuration check calls it so that a token file
// the coordinator would not start with is reported before it is
// started. Problems are reported as Load reports an unreadable
// *_password_file: *Error values wrapping ErrInclude or ErrValue, with
// the file and line of the key, one per line.
func (c *Config) CheckFiles() error { return c.checkFiles(osFiles{}) }

func (c *Config) checkFiles(fsys fileSystem) error {
	var probs problems
	for _, t := range [][2]string{{"api_token_file", c.Coordinator.APITokenFile}, {"api_read_token_file", c.Coordinator.APIReadTokenFile}} {
		key, p := t[0], t[1]
		if p == "" {
			continue
		}
		pos := c.Coordinator.At(key)
		switch data, _, err := fsys.ReadFile(p); {
		case err != nil:
			probs.add(ErrInclude, pos, "coordinator", "", key, cannotRead(p, err))
		case len(bytes.TrimSpace(data)) == 0:
			probs.add(ErrValue, pos, "coordinator", "", key, fmt.Sprintf("%q is empty; expected the API's bearer token", p))
		}
	}
	if c.Coordinator.APIReadTokenFile != "" && c.Coordinator.APITokenFile == "" {
		probs.add(ErrValue, c.Coordinator.At("api_read_token_file"), "coordinator", "", "api_read_token_file",
			"a read-only token without api_token_file: the TCP API would have no token for writes (set api_token_file too)")
	}
	return probs.err(c.Files)
}
