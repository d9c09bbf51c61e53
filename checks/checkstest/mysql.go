// Package checkstest is a fake MySQL server for tests of the checks, of
// mmm-check and of whatever else talks to mysqld. It speaks just enough of
// the protocol for go-sql-driver (greeting, login, text queries answered
// from a table) and misbehaves on demand: never answer (a frozen mysqld),
// refuse connections (1040), refuse logins (1045), hang in a query. It
// listens on 127.0.0.1 or a unix socket only.
//
// Silent, which accepts connections and never sends a byte, is the tests'
// one silent listener: a frozen server of any protocol (mmmctl's tests use
// it as a coordinator that never answers).
package checkstest

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// Answer is the server's reply to one query: a result set, or Err, or
// nothing at all (Hang).
type Answer struct {
	Columns []string
	Rows    [][]any // each value nil (NULL) or printed with %v
	Err     *mysql.MySQLError
	Hang    bool
}

// Options say how the fake behaves.
type Options struct {
	// Socket, when set, is a unix socket path to listen on instead of
	// 127.0.0.1:0.
	Socket string
	// Silent accepts connections and never sends a byte.
	Silent bool
	// RejectConnect is sent instead of the greeting (MariaDB does this
	// with 1040 when max_connections is reached).
	RejectConnect *mysql.MySQLError
	// RejectLogin answers the login (1045 for a wrong password).
	RejectLogin *mysql.MySQLError
	// Answers maps a query's exact text to its answer; any other query
	// gets error 1064.
	Answers map[string]Answer
}

// Server is a running fake.
type Server struct {
	opts Options
	ln   net.Listener
	wg   sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	conns   []net.Conn
	queries []string
}

// Start listens and serves until the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	network, addr := "tcp", "127.0.0.1:0"
	if o.Socket != "" {
		network, addr = "unix", o.Socket
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatalf("checkstest: %v", err)
	}
	s := &Server{opts: o, ln: ln}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(s.Close)
	return s
}

// Addr is the listening address: host:port, or the socket path.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Port is the TCP port (0 on a unix socket).
func (s *Server) Port() int {
	if a, ok := s.ln.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}

// Queries lists the queries received so far, in order.
func (s *Server) Queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queries...)
}

// Close stops listening, drops every connection and waits for the
// handlers.
func (s *Server) Close() {
	s.ln.Close()
	s.mu.Lock()
	s.closed = true
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			_ = s.session(&packetConn{r: bufio.NewReader(c), w: c})
		}()
	}
}

// Capabilities of the greeting: PROTOCOL_41, SECURE_CONNECTION,
// PLUGIN_AUTH, TRANSACTIONS, CONNECT_WITH_DB, LONG_FLAG; bit 0 clear says
// MariaDB. No DEPRECATE_EOF: result sets end with EOF packets.
const (
	capsLow  = 0x0200 | 0x8000 | 0x2000 | 0x0008 | 0x0004
	capsHigh = 0x0008 // PLUGIN_AUTH >> 16
)

func (s *Server) session(pc *packetConn) error {
	if s.opts.Silent {
		_, err := io.Copy(io.Discard, pc.r) // read until the client leaves
		return err
	}
	if e := s.opts.RejectConnect; e != nil {
		return pc.write(0, errPacket(e))
	}
	if err := pc.write(0, greeting()); err != nil {
		return err
	}
	if _, _, err := pc.read(); err != nil { // the login; any password will do
		return err
	}
	if e := s.opts.RejectLogin; e != nil {
		return pc.write(2, errPacket(e))
	}
	if err := pc.write(2, okPacket()); err != nil {
		return err
	}
	for {
		data, _, err := pc.read()
		if err != nil {
			return err
		}
		switch data[0] {
		case 0x01: // COM_QUIT
			return nil
		case 0x0e: // COM_PING
			if err := pc.write(1, okPacket()); err != nil {
				return err
			}
		case 0x03: // COM_QUERY
			q := string(data[1:])
			s.mu.Lock()
			s.queries = append(s.queries, q)
			s.mu.Unlock()
			if err := s.answer(pc, q); err != nil {
				return err
			}
		default:
			if err := pc.write(1, errPacket(&mysql.MySQLError{Number: 1047, SQLState: [5]byte{'0', '8', 'S', '0', '1'}, Message: "Unknown command"})); err != nil {
				return err
			}
		}
	}
}

func (s *Server) answer(pc *packetConn, q string) error {
	a, ok := s.opts.Answers[q]
	switch {
	case !ok:
		return pc.write(1, errPacket(&mysql.MySQLError{Number: 1064, SQLState: [5]byte{'4', '2', '0', '0', '0'},
			Message: fmt.Sprintf("checkstest: no answer for %q", q)}))
	case a.Hang:
		_, err := io.Copy(io.Discard, pc.r)
		return err
	case a.Err != nil:
		return pc.write(1, errPacket(a.Err))
	}
	seq := byte(1)
	next := func(p []byte) error { err := pc.write(seq, p); seq++; return err }
	if err := next(lenenc(nil, uint64(len(a.Columns)))); err != nil {
		return err
	}
	for _, c := range a.Columns {
		if err := next(columnDef(c)); err != nil {
			return err
		}
	}
	if err := next(eofPacket()); err != nil {
		return err
	}
	for _, row := range a.Rows {
		var p []byte
		for _, v := range row {
			if v == nil {
				p = append(p, 0xfb)
				continue
			}
			p = lenencString(p, fmt.Sprint(v))
		}
		if err := next(p); err != nil {
			return err
		}
	}
	return next(eofPacket())
}

// packetConn frames MySQL packets: 3-byte length, 1-byte sequence.
type packetConn struct {
	r *bufio.Reader
	w io.Writer
}

func (pc *packetConn) read() ([]byte, byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(pc.r, h[:]); err != nil {
		return nil, 0, err
	}
	n := int(h[0]) | int(h[1])<<8 | int(h[2])<<16
	data := make([]byte, n)
	if _, err := io.ReadFull(pc.r, data); err != nil {
		return nil, 0, err
	}
	if n == 0 {
		return nil, 0, errors.New("checkstest: empty packet")
	}
	return data, h[3], nil
}

func (pc *packetConn) write(seq byte, data []byte) error {
	h := []byte{byte(len(data)), byte(len(data) >> 8), byte(len(data) >> 16), seq}
	_, err := pc.w.Write(append(h, data...))
	return err
}

func greeting() []byte {
	p := []byte{10}
	p = append(p, "10.11.19-MariaDB-checkstest"...)
	p = append(p, 0)
	p = binary.LittleEndian.AppendUint32(p, 7) // connection id
	p = append(p, "abcdefgh"...)               // scramble, part 1
	p = append(p, 0)
	p = binary.LittleEndian.AppendUint16(p, capsLow)
	p = append(p, 45)                               // utf8mb4_general_ci
	p = binary.LittleEndian.AppendUint16(p, 0x0002) // autocommit
	p = binary.LittleEndian.AppendUint16(p, capsHigh)
	p = append(p, 21)                  // scramble length
	p = append(p, make([]byte, 10)...) // reserved; MariaDB's extended capabilities: none
	p = append(p, "ijklmnopqrst"...)   // scramble, part 2
	p = append(p, 0)
	p = append(p, "mysql_native_password"...)
	return append(p, 0)
}

func okPacket() []byte { return []byte{0x00, 0, 0, 0x02, 0, 0, 0} }

func eofPacket() []byte { return []byte{0xfe, 0, 0, 0x02, 0} }

func errPacket(e *mysql.MySQLError) []byte {
	p := []byte{0xff}
	p = binary.LittleEndian.AppendUint16(p, e.Number)
	state := e.SQLState
	if state == [5]byte{} {
		state = [5]byte{'H', 'Y', '0', '0', '0'}
	}
	p = append(p, '#')
	p = append(p, state[:]...)
	return append(p, e.Message...)
}

func columnDef(name string) []byte {
	var p []byte
	for _, s := range []string{"def", "", "", "", name, name} {
		p = lenencString(p, s)
	}
	p = append(p, 0x0c)
	p = binary.LittleEndian.AppendUint16(p, 45)
	p = binary.LittleEndian.AppendUint32(p, 1024)
	p = append(p, 0xfd) // VAR_STRING
	p = binary.LittleEndian.AppendUint16(p, 0)
	p = append(p, 0) // decimals
	return append(p, 0, 0)
}

func lenenc(p []byte, n uint64) []byte {
	switch {
	case n < 251:
		return append(p, byte(n))
	case n < 1<<16:
		return binary.LittleEndian.AppendUint16(append(p, 0xfc), uint16(n))
	case n < 1<<24:
		return append(p, 0xfd, byte(n), byte(n>>8), byte(n>>16))
	}
	return binary.LittleEndian.AppendUint64(append(p, 0xfe), n)
}

func lenencString(p []byte, s string) []byte { return append(lenenc(p, uint64(len(s))), s...) }
