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
	if p := c.Coordinator.APITokenFile; p != "" {
		pos, key := c.Coordinator.At("api_token_file"), "api_token_file"
		switch data, _, err := fsys.ReadFile(p); {
		case err != nil:
			probs.add(ErrInclude, pos, "coordinator", "", key, cannotRead(p, err))
		case len(bytes.TrimSpace(data)) == 0:
			probs.add(ErrValue, pos, "coordinator", "", key, fmt.Sprintf("%q is empty; expected the API's bearer token", p))
		}
	}
	return probs.err(c.Files)
}
