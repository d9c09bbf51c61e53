package api_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api/apitest"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func tokenFile(t *testing.T, token string) string {
	p := filepath.Join(t.TempDir(), "api.token")
	if err := os.WriteFile(p, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func client(t *testing.T, opts api.ClientOptions) *api.Client {
	c, err := api.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestServeTCPRefusesNonLoopbackWithoutToken(t *testing.T) {
	srv := api.NewServer(apitest.New(t), api.ServerOptions{}, discard())
	for _, addr := range []string{"198.18.0.11:9991", "0.0.0.0:9991", ":9991", "db1:9991"} {
		if err := srv.ServeTCP(ctxT(t), addr); !errors.Is(err, api.ErrNoToken) {
			t.Errorf("ServeTCP(%s) without a token = %v, want ErrNoToken", addr, err)
		}
	}
	srv = api.NewServer(apitest.New(t), api.ServerOptions{TokenFile: filepath.Join(t.TempDir(), "missing")}, discard())
	if err := srv.ServeTCP(ctxT(t), "127.0.0.1:0"); err == nil || errors.Is(err, api.ErrNoToken) {
		t.Errorf("ServeTCP with a missing token file = %v, want a token file error", err)
	}
}

func TestServeTCPLoopbackWithoutToken(t *testing.T) {
	s := apitest.Serve(t, apitest.New(t), api.ServerOptions{})
	if _, err := client(t, api.ClientOptions{URL: "http://" + s.Addr}).Ping(ctxT(t)); err != nil {
		t.Fatalf("ping on loopback without a token: %v", err)
	}
}

func TestTokenAuth(t *testing.T) {
	tok := tokenFile(t, "s3cret")
	s := apitest.Serve(t, apitest.New(t), api.ServerOptions{TokenFile: tok})
	url := "http://" + s.Addr
	for _, tc := range []struct {
		name string
		opts api.ClientOptions
		want error
	}{
		{"right token", api.ClientOptions{URL: url, TokenFile: tok}, nil},
		{"wrong token", api.ClientOptions{URL: url, TokenFile: tokenFile(t, "s3cret2")}, api.ErrUnauthorized},
		{"no token", api.ClientOptions{URL: url}, api.ErrUnauthorized},
		{"unix socket needs none", api.ClientOptions{Socket: s.Socket}, nil},
		{"unix URL", api.ClientOptions{URL: "unix://" + s.Socket}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client(t, tc.opts).Snapshot(ctxT(t))
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Snapshot = %v, want %v", err, tc.want)
			}
		})
	}
	// The raw answer carries the challenge and a JSON code.
	resp, err := http.Get(url + api.PathPing)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" ||
		!strings.Contains(string(body), `"Code":"unauthorized"`) {
		t.Errorf("unauthorized answer: %d %q %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
	}
}

// closedAddr is a loopback TCP address nothing listens on (a port just
// released): connecting to it is refused.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestUnreachable(t *testing.T) {
	closed := closedAddr(t)
	for name, opts := range map[string]api.ClientOptions{
		"no socket":   {Socket: filepath.Join(t.TempDir(), "none.sock")},
		"closed port": {URL: "http://" + closed},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := client(t, opts).Ping(ctxT(t))
			if !errors.Is(err, api.ErrUnreachable) || !strings.Contains(err.Error(), "cannot reach the coordinator") {
				t.Fatalf("Ping = %v, want ErrUnreachable", err)
			}
		})
	}
}

func TestNewClientErrors(t *testing.T) {
	for _, o := range []api.ClientOptions{
		{URL: "ftp://db1"},
		{URL: "http://"},
		{URL: "db1:9991"},
		{URL: "http://127.0.0.1:1", TokenFile: filepath.Join(t.TempDir(), "missing")},
	} {
		if _, err := api.NewClient(o); err == nil {
			t.Errorf("NewClient(%+v): no error", o)
		}
	}
}

func TestServeUnixSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "mmmapi")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	srv := api.NewServer(apitest.New(t), api.ServerOptions{}, discard())

	// A stale socket (its process died) is replaced.
	stale := filepath.Join(dir, "stale.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeUnix(ctx, stale) }()
	c := client(t, api.ClientOptions{Socket: stale})
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := c.Ping(ctxT(t)); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("ping after replacing the stale socket: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	fi, err := os.Stat(stale)
	if err != nil || fi.Mode().Perm() != 0o660 {
		t.Errorf("socket mode = %v, %v; want 0660", fi.Mode().Perm(), err)
	}

	// A live socket is not taken over.
	if err := srv.ServeUnix(ctxT(t), stale); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("ServeUnix on a live socket = %v, want in use", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ServeUnix after shutdown = %v", err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left after shutdown: %v", err)
	}

	// A regular file is not removed.
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := srv.ServeUnix(ctxT(t), file); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("ServeUnix on a regular file = %v", err)
	}
}

func TestReadEndpoints(t *testing.T) {
	b := apitest.New(t)
	c := client(t, api.ClientOptions{Socket: apitest.Serve(t, b, api.ServerOptions{Version: "1.2.3"}).Socket})
	ctx := ctxT(t)

	ping, err := c.Ping(ctx)
	if err != nil || ping != (api.PingResponse{Text: api.PingText, Node: "db1", Leader: "db1", Version: "1.2.3"}) {
		t.Errorf("Ping = %+v, %v", ping, err)
	}

	snap, err := c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := b.Snapshot(ctx)
	if got, w := fsm.Show(snap.Spec, snap.State), fsm.Show(want.Spec, want.State); got != w {
		t.Errorf("show over the wire:\n%s\nwant:\n%s", got, w)
	}
	if snap.Node != "db1" || len(snap.Members) != 3 || len(snap.Hosts) != 3 || *snap.Hosts[0].SemisyncPeers != 1 {
		t.Errorf("snapshot = %+v", snap)
	}

	st, err := c.Status(ctx)
	if err != nil || st.Leader != "db1" || st.Mode != "ACTIVE" || len(st.Hosts) != 3 ||
		!st.Hosts[0].Writer || st.Hosts[0].State != "ONLINE" || st.Hosts[2].Obs == nil {
		t.Errorf("Status = %+v, %v", st, err)
	}

	hist, err := c.History(ctx, 2)
	if err != nil || len(hist) != 2 {
		t.Errorf("History(2) = %d entries, %v", len(hist), err)
	}
	all, err := c.History(ctx, 0)
	if err != nil || len(all) <= 2 || all[len(all)-1] != hist[1] {
		t.Errorf("History(0) = %d entries, %v", len(all), err)
	}
}

func TestChecksEndpoint(t *testing.T) {
	c := client(t, api.ClientOptions{Socket: apitest.Serve(t, apitest.New(t), api.ServerOptions{}).Socket})
	for _, tc := range []struct {
		host, check string
		rows        int
		text        string // prefix
		err         error
	}{
		{"", "", 12, "db1  ping         [last change: ", nil},
		{"all", "mysql", 3, "db1  mysql  [last change: ", nil},
		{"db2", "", 4, "db2  ping         [last change: ", nil},
		{"db2", "rep_backlog", 1, "db2  rep_backlog  [last change: ", nil},
		{"db9", "", 0, "ERROR: Unknown host name 'db9'!", api.ErrUnknownName},
		{"db1", "pong", 0, "ERROR: Unknown check 'pong'!", api.ErrUnknownName},
	} {
		resp, err := c.Checks(ctxT(t), tc.host, tc.check)
		switch {
		case tc.err != nil:
			if !errors.Is(err, tc.err) || err.Error() != tc.text {
				t.Errorf("checks %s %s = %v, want %q", tc.host, tc.check, err, tc.text)
			}
		case err != nil || len(resp.Checks) != tc.rows || !strings.HasPrefix(resp.Text, tc.text):
			t.Errorf("checks %s %s = %d rows %q, %v", tc.host, tc.check, len(resp.Checks), resp.Text, err)
		}
	}
}

func TestCommandEndpoint(t *testing.T) {
	b := apitest.New(t)
	c := client(t, api.ClientOptions{Socket: apitest.Serve(t, b, api.ServerOptions{}).Socket})
	for _, tc := range []struct {
		cmd  fsm.Command
		text string
		err  error
	}{
		{fsm.Command{Op: fsm.OpMode}, "ACTIVE", nil},
		{fsm.Command{Op: fsm.OpSetOffline, Host: "db3"}, "OK: State of 'db3' changed to ADMIN_OFFLINE. Now you can wait some time and check all roles!", nil},
		{fsm.Command{Op: fsm.OpSetOffline, Host: "db3"}, "OK: This host is already ADMIN_OFFLINE. Skipping command.", nil},
		{fsm.Command{Op: fsm.OpSetIP, IP: "198.18.0.101", Host: "db2"}, "ERROR: This command is only allowed in passive mode", api.ErrRefused},
		{fsm.Command{Op: fsm.OpSetOnline, Host: "db9"}, "ERROR: Unknown host name 'db9'!", api.ErrUnknownName},
		{fsm.Command{Op: fsm.OpMoveRole, Role: "wrter", Host: "db2"}, "ERROR: Unknown role name 'wrter'!", api.ErrUnknownName},
		{fsm.Command{Op: fsm.OpMoveRole, Force: true, Role: "writer", Host: "db2"}, "ERROR: Can't force move of role to host with state ONLINE.", api.ErrRefused},
	} {
		rep, err := c.Command(ctxT(t), tc.cmd)
		if rep.Text != tc.text || rep.OK != (tc.err == nil) || !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
			t.Errorf("%s = %+v, %v; want %q, %v", tc.cmd, rep, err, tc.text, tc.err)
		}
	}
	if n := len(b.Commands()); n != 7 {
		t.Errorf("backend applied %d commands, want 7", n)
	}
}

func TestBadRequests(t *testing.T) {
	b := apitest.New(t)
	s := apitest.Serve(t, b, api.ServerOptions{})
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", s.Socket)
	}}}
	for _, tc := range []struct {
		method, path, body string
		status             int
		code               string
		allow              string // the Allow header of a 405
	}{
		{"POST", api.PathCommand, `{"Command":"set_online"}`, 400, `"Code":"bad_request","Message":"Invalid command 'set_online'"`, ""},
		{"POST", api.PathCommand, `{`, 400, `"bad_request"`, ""},
		// One JSON object, nothing after it but white space, no field the
		// request does not have: what follows is not silently dropped.
		{"POST", api.PathCommand, `{"Command":"mode"}` + " \n\t\r\n", 200, `"Text":"ACTIVE"`, ""},
		{"POST", api.PathCommand, `{"Command":"mode"}{"Command":"set_offline db3"}`, 400,
			`"Message":"request body: unexpected data after the JSON object"`, ""},
		{"POST", api.PathCommand, `{"Command":"mode"} x`, 400, `unexpected data after the JSON object`, ""},
		{"POST", api.PathSwitchover, `{"To":"db2"}` + "\n" + `{"To":"db1"}`, 400, `unexpected data after the JSON object`, ""},
		{"POST", api.PathVRRP, `{"Host":"db1","State":"BACKUP"}]`, 400, `unexpected data after the JSON object`, ""},
		{"POST", api.PathCommand, `{"Command":"set_offline db3","Force":true}`, 400,
			`"Message":"request body: json: unknown field \"Force\""`, ""},
		{"POST", api.PathSwitchover, `{"Host":"db2"}`, 400, `unknown field \"Host\"`, ""},
		{"POST", api.PathVRRP, `{"Host":"db1","State":"BACKUP","Prio":1}`, 400, `unknown field \"Prio\"`, ""},
		{"POST", api.PathVRRP, `{"Host":"db1","State":"SLEEPING"}`, 400, `"bad_request"`, ""},
		{"GET", api.PathHistory + "?limit=-1", ``, 400, `"bad_request"`, ""},
		{"GET", "/v1/nothing", ``, 404, `"not_found"`, ""},
		{"POST", "/v1/nothing", ``, 404, `"not_found"`, ""},
		{"GET", api.PathMetrics, ``, 404, `"not_found"`, ""}, // no Metrics handler
		// A known endpoint asked with the wrong method.
		{"POST", api.PathShow, ``, 405, `"Code":"method_not_allowed","Message":"POST /v1/show: method not allowed; want GET, HEAD"`, "GET, HEAD"},
		{"DELETE", api.PathHistory, ``, 405, `"method_not_allowed"`, "GET, HEAD"},
		{"GET", api.PathCommand, ``, 405, `"Message":"GET /v1/command: method not allowed; want POST"`, "POST"},
		{"PUT", api.PathSwitchover, `{}`, 405, `"method_not_allowed"`, "POST"},
	} {
		req, _ := http.NewRequest(tc.method, "http://x"+tc.path, strings.NewReader(tc.body))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.code) || resp.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s %s = %d %s (Allow %q), want %d %s (Allow %q)", tc.method, tc.path, tc.body,
				resp.StatusCode, body, resp.Header.Get("Allow"), tc.status, tc.code, tc.allow)
		}
	}
	// Only the well-formed mode reached the state machine.
	if got := b.Commands(); len(got) != 1 || got[0].Op != fsm.OpMode {
		t.Errorf("applied %v, want only mode", got)
	}
	if got := b.VRRPReports(); len(got) != 0 {
		t.Errorf("recorded %v, want nothing", got)
	}
}

func TestMetricsAndVRRP(t *testing.T) {
	b := apitest.New(t)
	tok := tokenFile(t, "s3cret")
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "mmm_up 1\n") })
	s := apitest.Serve(t, b, api.ServerOptions{TokenFile: tok, Metrics: metrics})
	req, _ := http.NewRequest("GET", "http://"+s.Addr+api.PathMetrics, nil)
	for _, auth := range []string{"", "Bearer s3cret"} {
		req.Header.Set("Authorization", auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := map[string]int{"": 401, "Bearer s3cret": 200}[auth]; resp.StatusCode != want ||
			(want == 200 && string(body) != "mmm_up 1\n") {
			t.Errorf("metrics with %q = %d %q", auth, resp.StatusCode, body)
		}
	}
	c := client(t, api.ClientOptions{URL: "http://" + s.Addr, TokenFile: tok})
	if err := c.ReportVRRP(ctxT(t), api.VRRPReport{Host: "db2", Instance: "mmm_writer", State: "fault", Priority: 100}); err != nil {
		t.Fatal(err)
	}
	// Without a host, the report is about the answering node's host.
	if err := c.ReportVRRP(ctxT(t), api.VRRPReport{State: "BACKUP"}); err != nil {
		t.Fatal(err)
	}
	if got := b.VRRPReports(); len(got) != 2 || got[0].State != "FAULT" || got[0].Seen.IsZero() || got[1].Host != "db1" {
		t.Errorf("recorded %+v", got)
	}
}

func TestBackendFailure(t *testing.T) {
	b := apitest.New(t)
	c := client(t, api.ClientOptions{Socket: apitest.Serve(t, b, api.ServerOptions{}).Socket})
	b.SetError(errors.New("raft: shutdown"))
	if _, err := c.Snapshot(ctxT(t)); !errors.Is(err, api.ErrUnavailable) || !strings.Contains(err.Error(), "raft: shutdown") {
		t.Errorf("Snapshot = %v, want ErrUnavailable", err)
	}
	if _, err := c.Command(ctxT(t), fsm.Command{Op: fsm.OpMode}); !errors.Is(err, api.ErrUnavailable) {
		t.Errorf("Command = %v, want ErrUnavailable", err)
	}
}

// TestForeignAnswers: something else listens where the coordinator was
// expected (a web server, a proxy, another JSON service). Whatever it
// answers, the client says the address is not an mmm-coordinator API.
func TestForeignAnswers(t *testing.T) {
	const json = "application/json"
	for _, tc := range []struct {
		name        string
		status      int
		contentType string
		body        string
		msg         string
	}{
		{"not found", http.StatusNotFound, "text/plain", "404 page not found\n", "answered 404 Not Found: 404 page not found"},
		{"empty not found", http.StatusNotFound, "", "", "answered 404 Not Found"},
		{"proxy error", http.StatusBadGateway, "text/html", "<html>bad gateway</html>\n", "answered 502 Bad Gateway: <html>bad gateway</html>"},
		{"its own auth", http.StatusUnauthorized, "text/plain", "go away", "answered 401 Unauthorized: go away"},
		{"JSON error of another service", http.StatusNotFound, json, `{"error":"no route"}`, `answered 404 Not Found: {"error":"no route"}`},
		{"not JSON", http.StatusOK, "text/plain", "not json", "answered 200 OK: not json"},
		{"JSON labelled text", http.StatusOK, "text/html", `{"Text":"OK: Pinged successfully!"}`, "answered 200 OK"},
		{"broken JSON", http.StatusOK, json, `{"Text":`, "answered 200 OK: {\"Text\":"},
		{"another JSON service", http.StatusOK, json, `{"status":"ok"}`, `answered 200 OK: {"status":"ok"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if tc.contentType != "" {
					w.Header().Set("Content-Type", tc.contentType)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			c := client(t, api.ClientOptions{URL: srv.URL})
			_, err := c.Ping(ctxT(t))
			want := srv.URL + " does not answer like an mmm-coordinator API: " + tc.msg
			if !errors.Is(err, api.ErrNotCoordinator) || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Ping = %v, want ErrNotCoordinator %q", err, want)
			}
			if errors.Is(err, api.ErrBadRequest) || errors.Is(err, api.ErrUnauthorized) || errors.Is(err, api.ErrUnavailable) {
				t.Errorf("Ping = %v: also matches another class", err)
			}
			if c.Target() != srv.URL {
				t.Errorf("Target() = %q, want %q", c.Target(), srv.URL)
			}
		})
	}
}

func TestServeTCPShutdown(t *testing.T) {
	srv := api.NewServer(apitest.New(t), api.ServerOptions{TokenFile: tokenFile(t, "s3cret")}, discard())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := srv.ServeTCP(ctx, "127.0.0.1:0"); err != nil {
		t.Errorf("ServeTCP after its context ended = %v, want nil", err)
	}
}

func TestReloadToken(t *testing.T) {
	l, f := apitest.New(t), apitest.New(t)
	ls := apitest.Serve(t, l, api.ServerOptions{TokenFile: tokenFile(t, "new")})
	f.SetLeader("db2", "db1", ls.Addr)
	tok := tokenFile(t, "old")
	srv := api.NewServer(f, api.ServerOptions{TokenFile: tok}, discard())
	dir, err := os.MkdirTemp("", "mmmapi")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "f.sock")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeUnix(ctx, sock) }()
	t.Cleanup(func() { cancel(); <-done })
	c := client(t, api.ClientOptions{Socket: sock})
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err = c.Command(ctxT(t), fsm.Command{Op: fsm.OpMode})
		if !errors.Is(err, api.ErrUnreachable) || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond) // the socket is not up yet
	}
	if !errors.Is(err, api.ErrUnavailable) {
		t.Fatalf("forward with the old token = %v, want ErrUnavailable", err)
	}
	if err := os.WriteFile(tok, []byte("new\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := srv.ReloadToken(); err != nil {
		t.Fatal(err)
	}
	if rep, err := c.Command(ctxT(t), fsm.Command{Op: fsm.OpMode}); err != nil || rep.Text != "ACTIVE" {
		t.Errorf("forward after ReloadToken = %+v, %v", rep, err)
	}
}

// TestHealthEndpoints: /health, /writer and /reader answer without the
// token (load balancers carry none) from the answering node's own state;
// every other path still needs it. A node without a raft leader answers
// 503 to all three.
func TestHealthEndpoints(t *testing.T) {
	tok := tokenFile(t, "s3cret")
	b := apitest.New(t)
	s := apitest.Serve(t, b, api.ServerOptions{TokenFile: tok})
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + s.Addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, tc := range []struct {
		node, leader string
		path         string
		code         int
		text         string
	}{
		{"db1", "db1", api.PathWriter, 200, "OK: db1 is the writer"},
		{"db1", "db1", api.PathReader, 200, "OK: db1 is ONLINE with reader("},
		{"db1", "db1", api.PathHealth, 200, "OK: db1, raft leader db1"},
		{"db2", "db1", api.PathWriter, 503, "NO: the writer is db1, not db2"},
		{"db2", "db1", api.PathReader, 200, "OK: db2 is ONLINE with reader("},
		{"db1", "", api.PathWriter, 503, "NO: db1 has no raft leader"},
		{"db1", "", api.PathReader, 503, "NO: db1 has no raft leader"},
		{"db1", "", api.PathHealth, 503, "NO: db1 has no raft leader"},
	} {
		b.SetLeader(tc.node, tc.leader, "")
		code, text := get(tc.path)
		if code != tc.code || !strings.HasPrefix(text, tc.text) {
			t.Errorf("%s on %s (leader %q): %d %q, want %d %q", tc.path, tc.node, tc.leader, code, text, tc.code, tc.text)
		}
	}
	b.SetLeader("db1", "db1", "")
	b.FailActions("promote db1", "read_only=0 refused") // the coordinator cannot open it again
	b.Step(fsm.Writable{Host: "db1", Writable: false})
	if code, text := get(api.PathWriter); code != 503 || !strings.Contains(text, "not writable") {
		t.Errorf("writer read-only: %d %q", code, text)
	}
	if code, _ := get(api.PathShow); code != http.StatusUnauthorized {
		t.Errorf("show without a token: %d, want 401", code)
	}
}

// TestReadOnlyToken: the read-only token reads (show, /metrics) and is
// refused every write with a message naming the other token; the admin
// token still does everything.
func TestReadOnlyToken(t *testing.T) {
	tok, readTok := tokenFile(t, "s3cret"), tokenFile(t, "r3ad")
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "mmm_up 1\n") })
	s := apitest.Serve(t, apitest.New(t), api.ServerOptions{TokenFile: tok, ReadTokenFile: readTok, Metrics: metrics})
	url := "http://" + s.Addr
	reader := client(t, api.ClientOptions{URL: url, TokenFile: readTok})
	if _, err := reader.Snapshot(ctxT(t)); err != nil {
		t.Errorf("show with the read-only token: %v", err)
	}
	offline, err := fsm.ParseCommand("set_offline db3")
	if err != nil {
		t.Fatal(err)
	}
	_, err = reader.Command(ctxT(t), offline)
	if !errors.Is(err, api.ErrUnauthorized) || !strings.Contains(err.Error(), "read-only token") {
		t.Errorf("a write with the read-only token: %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, url+api.PathMetrics, nil)
	req.Header.Set("Authorization", "Bearer r3ad")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "mmm_up 1") {
		t.Errorf("/metrics with the read-only token: %d %q", resp.StatusCode, body)
	}
	admin := client(t, api.ClientOptions{URL: url, TokenFile: tok})
	if r, err := admin.Command(ctxT(t), offline); err != nil || !r.OK {
		t.Errorf("a write with the admin token: %+v, %v", r, err)
	}
}
