package dbctl

import (
	"context"
	"database/sql"
	"strings"
)

// quote renders s as an SQL string literal, for the statements that take
// no placeholders (CHANGE MASTER TO). With backslashEscapes (the default
// sql_mode) it escapes \ ' " NUL LF CR and ^Z with a backslash, as
// mysql_real_escape_string does; under sql_mode NO_BACKSLASH_ESCAPES a
// backslash is an ordinary character and only ' is doubled. Either way
// the literal ends where the quote function says. This holds for the
// driver's utf8mb4 connection character set; multi-byte sets whose
// trailing bytes can be 0x5c (GBK, SJIS) are not supported.
func quote(s string, backslashEscapes bool) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !backslashEscapes {
			if c == '\'' {
				b.WriteByte('\'')
			}
			b.WriteByte(c)
			continue
		}
		switch c {
		case 0:
			b.WriteString(`\0`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case 0x1a:
			b.WriteString(`\Z`)
		case '\\', '\'', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// backslashEscapes reports whether the connection's sql_mode lets
// backslashes escape in string literals (no NO_BACKSLASH_ESCAPES).
func backslashEscapes(ctx context.Context, c *sql.Conn) (bool, error) {
	var mode string
	if err := c.QueryRowContext(ctx, "SELECT @@SESSION.sql_mode").Scan(&mode); err != nil {
		return false, err
	}
	for _, m := range strings.Split(mode, ",") {
		if strings.EqualFold(m, "NO_BACKSLASH_ESCAPES") {
			return false, nil
		}
	}
	return true, nil
}
