package main

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseDefaults(t *testing.T) {
	o, err := parse(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.Faults != 100 || o.prefix != "mmmx" || o.Attempt != 10*time.Second || o.Interval != 10*time.Millisecond ||
		o.Sample != 100*time.Millisecond || o.Converge != time.Minute || o.json != "bench/chaos.json" || !o.PauseAtFault {
		t.Fatalf("defaults: %+v", o)
	}
	if o.Seed == 0 {
		t.Fatal("no seed drawn")
	}
	if o, _ := parse([]string{"-seed", "42", "-faults", "30"}, io.Discard); o.Seed != 42 || o.Faults != 30 {
		t.Fatalf("-seed 42 -faults 30: %+v", o)
	}
}

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-faults", "0"}, "-faults 0"},
		{[]string{"-prefix", "MMM"}, "-prefix"},
		{[]string{"-sample", "5s"}, "-sample 5s"},
		{[]string{"-attempt", "1ms"}, "-attempt 1ms"},
		{[]string{"-converge", "1s"}, "-converge 1s"},
		{[]string{"-writer-share", "120"}, "-writer-share 120"},
		{[]string{"-max-hold", "0s"}, "-max-hold 0s"},
		{[]string{"now"}, "unexpected argument"},
		{[]string{"-skip", "cut-off,meteor"}, "meteor"},
	} {
		_, err := parse(tc.args, io.Discard)
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want a usage error naming %q", tc.args, err, tc.want)
		}
	}
	if _, err := parse([]string{"-help"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-help: %v", err)
	}
}
