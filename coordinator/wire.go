package coordinator

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// entryVersion is the format of the raft log entries this build writes.
// An entry of another version is refused (every replica refuses it alike).
const entryVersion = 1

// entry is one raft log entry. The leader replicates INPUTS, never derived
// state: every replica steps its own fsm.Machine with the same inputs at
// the same (leader's) time, so all compute the same state and actions.
// An entry carries either inputs (a monitor round, a report, a command)
// or the results of executed actions, or both.
type entry struct {
	V       int            `json:"v"`
	Time    time.Time      `json:"t"` // the leader's clock when it proposed the entry
	Inputs  []wireInput    `json:"in,omitempty"`
	Results []ActionResult `json:"res,omitempty"`
}

// wireInput is an fsm.Input tagged with its kind.
type wireInput struct {
	Kind string          `json:"k"`
	Data json.RawMessage `json:"d,omitempty"`
}

// wireAction is an fsm.Action tagged with its kind.
type wireAction struct {
	Kind string          `json:"k"`
	Data json.RawMessage `json:"d,omitempty"`
}

// kinds maps wire tags to the types they stand for and back. The tags are
// part of the log format: never rename one.
type kinds[T any] struct {
	byName map[string]reflect.Type
	byType map[reflect.Type]string
}

func newKinds[T any](vals map[string]T) kinds[T] {
	k := kinds[T]{byName: map[string]reflect.Type{}, byType: map[reflect.Type]string{}}
	for name, v := range vals {
		t := reflect.TypeOf(v)
		k.byName[name], k.byType[t] = t, name
	}
	return k
}

// name returns v's tag, "" for a type that is not registered.
func (k kinds[T]) name(v T) string { return k.byType[reflect.TypeOf(v)] }

// decode unmarshals data into a new value of the type tagged name.
func (k kinds[T]) decode(name string, data json.RawMessage) (T, error) {
	var zero T
	t, ok := k.byName[name]
	if !ok {
		return zero, fmt.Errorf("%w: unknown kind %q", ErrEncoding, name)
	}
	p := reflect.New(t)
	if len(data) > 0 {
		if err := json.Unmarshal(data, p.Interface()); err != nil {
			return zero, fmt.Errorf("%w: %s: %v", ErrEncoding, name, err)
		}
	}
	return p.Elem().Interface().(T), nil
}

func (k kinds[T]) encode(v T) (string, json.RawMessage, error) {
	name := k.name(v)
	if name == "" {
		return "", nil, fmt.Errorf("%w: unregistered type %T", ErrEncoding, v)
	}
	d, err := json.Marshal(v)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %s: %v", ErrEncoding, name, err)
	}
	return name, d, nil
}

var inputKinds = newKinds(map[string]fsm.Input{
	"probe":        fsm.Probe{},
	"evidence":     fsm.Evidence{},
	"reachability": fsm.Reachability{},
	"uptime":       fsm.Uptime{},
	"follows":      fsm.Follows{},
	"vrrp":         fsm.VRRP{},
	"writable":     fsm.Writable{},
	"vips":         fsm.VIPs{},
	"gtid":         fsm.GTID{},
	"tick":         fsm.Tick{},
	"refusal":      fsm.Refusal{},
	"start":        fsm.Start{},
	"command":      fsm.Command{},
})

var actionKinds = newKinds(map[string]fsm.Action{
	KindCloseWriter:      fsm.CloseWriter{},
	KindFence:            fsm.Fence{},
	KindKillHost:         fsm.KillHost{},
	KindReaderVIPs:       fsm.SetReaderVIPs{},
	KindCatchUp:          fsm.CatchUp{},
	KindPromote:          fsm.Promote{},
	KindOpenWriter:       fsm.OpenWriter{},
	KindRepoint:          fsm.Repoint{},
	KindStartReplication: fsm.StartReplication{},
	KindStopReplication:  fsm.StopReplication{},
})

// Action kinds: the names executors are registered under, the label of
// the actions metric, and the wire tags of pending actions.
const (
	KindCloseWriter      = "close-writer"
	KindFence            = "fence"
	KindKillHost         = "kill-host"
	KindReaderVIPs       = "reader-vips"
	KindCatchUp          = "catch-up"
	KindPromote          = "promote"
	KindOpenWriter       = "open-writer"
	KindRepoint          = "repoint"
	KindStartReplication = "start-replication"
	KindStopReplication  = "stop-replication"
)

// ActionKind returns the kind of an action ("" for an unknown type).
func ActionKind(a fsm.Action) string { return actionKinds.name(a) }

func encodeInput(in fsm.Input) (wireInput, error) {
	k, d, err := inputKinds.encode(in)
	return wireInput{Kind: k, Data: d}, err
}

func (w wireInput) decode() (fsm.Input, error) { return inputKinds.decode(w.Kind, w.Data) }

func encodeAction(a fsm.Action) (wireAction, error) {
	k, d, err := actionKinds.encode(a)
	return wireAction{Kind: k, Data: d}, err
}

func (w wireAction) decode() (fsm.Action, error) { return actionKinds.decode(w.Kind, w.Data) }

// newEntry encodes inputs and results into one log entry at time now.
func newEntry(now time.Time, inputs []fsm.Input, results []ActionResult) ([]byte, error) {
	e := entry{V: entryVersion, Time: now.UTC(), Results: results}
	for _, in := range inputs {
		w, err := encodeInput(in)
		if err != nil {
			return nil, err
		}
		e.Inputs = append(e.Inputs, w)
	}
	return json.Marshal(e)
}

func decodeEntry(b []byte) (entry, error) {
	var e entry
	if err := json.Unmarshal(b, &e); err != nil {
		return entry{}, fmt.Errorf("%w: %v", ErrEncoding, err)
	}
	if e.V != entryVersion {
		return entry{}, fmt.Errorf("%w: entry version %d, this build reads %d", ErrEncoding, e.V, entryVersion)
	}
	return e, nil
}
