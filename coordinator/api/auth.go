package api

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
)

// maxTokenSize bounds a token file: a mistaken path to a large file must
// not end up in every request header.
const maxTokenSize = 4096

// ReadToken reads a bearer token file: its content without surrounding
// whitespace, which must not be empty.
func ReadToken(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("api: token file: %w", err)
	}
	tok := bytes.TrimSpace(data)
	switch {
	case len(tok) == 0:
		return nil, fmt.Errorf("api: token file %s is empty", path)
	case len(tok) > maxTokenSize:
		return nil, fmt.Errorf("api: token file %s is larger than %d bytes", path, maxTokenSize)
	case bytes.ContainsAny(tok, "\r\n"):
		return nil, fmt.Errorf("api: token file %s holds more than one line", path)
	}
	return tok, nil
}

// tokenEqual compares in constant time. Hashing first hides the length
// too (subtle.ConstantTimeCompare returns early on different lengths).
func tokenEqual(got, want []byte) bool {
	g, w := sha256.Sum256(got), sha256.Sum256(want)
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1 && len(want) > 0
}

// bearer extracts the token of an "Authorization: Bearer X" header.
func bearer(r *http.Request) []byte {
	h := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return nil
	}
	return []byte(strings.TrimSpace(h[len(prefix):]))
}

// requireToken wraps next with the bearer token check: token may do
// anything; readToken (nil: none) only GET and HEAD — reads and /metrics.
func requireToken(token, readToken []byte, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := bearer(r)
		switch {
		case tokenEqual(got, token):
		case readToken != nil && tokenEqual(got, readToken):
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				writeError(w, ErrorResponse{Code: CodeUnauthorized, Message: "the read-only token (api_read_token_file) cannot change anything: use api_token_file's"})
				return
			}
		default:
			w.Header().Set("WWW-Authenticate", `Bearer realm="mmm-coordinator"`)
			writeError(w, ErrorResponse{Code: CodeUnauthorized, Message: "missing or wrong bearer token"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isLoopback reports whether a listen address (host:port) binds loopback
// only. An empty host binds every address; a host name other than
// localhost may resolve anywhere, so it does not count.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
