package config

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Value parsers. Their errors say what was expected and quote what was
// found; the caller adds file, line, section and key.

// maxSeconds keeps seconds·1e9 inside time.Duration.
const maxSeconds = float64(math.MaxInt64) / float64(time.Second)

// parseBool accepts MMM's spellings, case-insensitively.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "on", "yes", "1":
		return true, nil
	case "false", "off", "no", "0":
		return false, nil
	}
	return false, fmt.Errorf("expected true/on/yes/1 or false/off/no/0, got %q", v)
}

func parseInt(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("expected a whole number, got %q", v)
	}
	return n, nil
}

// parseDuration takes MMM's seconds (fractions allowed: 0.5) or a Go
// duration ("800ms", "2s", "1m30s").
func parseDuration(v string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > maxSeconds {
			return 0, fmt.Errorf("expected seconds (e.g. 5 or 0.5) or a duration (e.g. 800ms), got %q", v)
		}
		return time.Duration(math.Round(f * float64(time.Second))), nil
	}
	if d, err := time.ParseDuration(v); err == nil {
		return d, nil
	}
	return 0, fmt.Errorf("expected seconds (e.g. 5 or 0.5) or a duration (e.g. 800ms), got %q", v)
}

// parseList splits MMM's comma lists; whitespace around commas is allowed,
// an empty item (a doubled or trailing comma) is not. An empty value is
// an empty list.
func parseList(v string) ([]string, error) {
	if v == "" {
		return nil, nil
	}
	items := strings.Split(v, ",")
	for i, it := range items {
		it = strings.TrimSpace(it)
		if it == "" {
			return nil, fmt.Errorf("expected a comma-separated list without empty items, got %q", v)
		}
		items[i] = it
	}
	return items, nil
}

// parseWord takes a single name (a host, a role): no blanks, no commas.
func parseWord(v string) (string, error) {
	if strings.ContainsAny(v, " \t,") {
		return "", fmt.Errorf("expected one name, got %q", v)
	}
	return v, nil
}

// parseIP takes one IPv4 or IPv6 address; an empty value leaves the
// address unset (Validate reports it where it is required).
func parseIP(v string) (netip.Addr, error) {
	if v == "" {
		return netip.Addr{}, nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("expected an IP address, got %q", v)
	}
	return a.Unmap(), nil
}

func parseIPList(v string) ([]netip.Addr, error) {
	items, err := parseList(v)
	if err != nil {
		return nil, err
	}
	ips := make([]netip.Addr, 0, len(items))
	for _, it := range items {
		a, err := parseIP(it)
		if err != nil {
			return nil, err
		}
		ips = append(ips, a)
	}
	return ips, nil
}

// Field setters, so that the key tables read as a list of key → field.

type setter[T any] func(dst *T, value string) error

func setString[T any](field func(*T) *string) setter[T] {
	return func(t *T, v string) error { *field(t) = v; return nil }
}

func setWord[T any](field func(*T) *string) setter[T] {
	return func(t *T, v string) (err error) { *field(t), err = parseWord(v); return err }
}

func setInt[T any](field func(*T) *int) setter[T] {
	return func(t *T, v string) (err error) { *field(t), err = parseInt(v); return err }
}

func setBool[T any](field func(*T) *bool) setter[T] {
	return func(t *T, v string) (err error) { *field(t), err = parseBool(v); return err }
}

func setDuration[T any](field func(*T) *time.Duration) setter[T] {
	return func(t *T, v string) (err error) { *field(t), err = parseDuration(v); return err }
}

func setList[T any](field func(*T) *[]string) setter[T] {
	return func(t *T, v string) (err error) { *field(t), err = parseList(v); return err }
}

func setIPs[T any](field func(*T) *[]netip.Addr) setter[T] {
	return func(t *T, v string) (err error) { *field(t), err = parseIPList(v); return err }
}
