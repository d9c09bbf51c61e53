package dbctl

import "testing"

func TestQuote(t *testing.T) {
	tests := []struct {
		in            string
		backslash, no string // with and without backslash escapes
	}{
		{"", `''`, `''`},
		{"plain", `'plain'`, `'plain'`},
		{"it's", `'it\'s'`, `'it''s'`},
		{`a\b`, `'a\\b'`, `'a\b'`},
		{`\'`, `'\\\''`, `'\'''`},
		{"x' OR '1'='1", `'x\' OR \'1\'=\'1'`, `'x'' OR ''1''=''1'`},
		{"'; DROP TABLE t; --", `'\'; DROP TABLE t; --'`, `'''; DROP TABLE t; --'`},
		{"\x00\n\r\x1a\"", `'\0\n\r\Z\"'`, "'\x00\n\r\x1a\"'"},
		{"pässwörd", `'pässwörd'`, `'pässwörd'`},
	}
	for _, tt := range tests {
		if got := quote(tt.in, true); got != tt.backslash {
			t.Errorf("quote(%q, true) = %s, want %s", tt.in, got, tt.backslash)
		}
		if got := quote(tt.in, false); got != tt.no {
			t.Errorf("quote(%q, false) = %s, want %s", tt.in, got, tt.no)
		}
	}
}

// lexLiteral reads an SQL string literal at the start of sql the way the
// server's lexer does and returns its value and length.
func lexLiteral(sql string, backslashEscapes bool) (string, int, bool) {
	if sql == "" || sql[0] != '\'' {
		return "", 0, false
	}
	var v []byte
	for i := 1; i < len(sql); i++ {
		c := sql[i]
		switch {
		case c == '\\' && backslashEscapes && i+1 < len(sql):
			i++
			switch sql[i] {
			case '0':
				v = append(v, 0)
			case 'n':
				v = append(v, '\n')
			case 'r':
				v = append(v, '\r')
			case 'Z':
				v = append(v, 0x1a)
			case 't':
				v = append(v, '\t')
			case 'b':
				v = append(v, '\b')
			default:
				v = append(v, sql[i])
			}
		case c == '\'' && i+1 < len(sql) && sql[i+1] == '\'':
			v = append(v, '\'')
			i++
		case c == '\'':
			return string(v), i + 1, true
		default:
			v = append(v, c)
		}
	}
	return "", 0, false
}

// FuzzQuote: whatever the input, the literal ends exactly where quote
// says and reads back as the input, in both sql_modes: nothing can break
// out of it.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "'", `\`, `\'`, "''", "a'b\\c\x00", "x' OR 1=1 -- "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, bs := range []bool{true, false} {
			q := quote(s, bs) + " , MASTER_PORT=1"
			v, n, ok := lexLiteral(q, bs)
			if !ok || v != s || q[n:] != " , MASTER_PORT=1" {
				t.Fatalf("quote(%q, %v) = %s reads back as %q, rest %q", s, bs, q, v, q[n:])
			}
		}
	})
}
