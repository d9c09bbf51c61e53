package app

import (
	"testing"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
)

func TestSemisyncColumn(t *testing.T) {
	b := func(v bool) *bool { return &v }
	two := 2
	for _, tc := range []struct {
		obs  api.HostObs
		want string
	}{
		{api.HostObs{}, "-"},
		{api.HostObs{SemisyncOn: b(true), SemisyncPeers: &two}, "ON (2)"}, // an older coordinator
		{api.HostObs{SemisyncMaster: b(true), SemisyncOn: b(true), SemisyncPeers: &two, SemisyncReplica: b(false)}, "master ON (2)"},
		{api.HostObs{SemisyncMaster: b(true), SemisyncOn: b(false), SemisyncPeers: &two, SemisyncReplica: b(false)}, "master OFF"},
		{api.HostObs{SemisyncMaster: b(false), SemisyncOn: b(false), SemisyncReplica: b(true), SemisyncReplicaOn: b(true)}, "replica ON"},
		{api.HostObs{SemisyncMaster: b(true), SemisyncOn: b(true), SemisyncPeers: &two, SemisyncReplica: b(true), SemisyncReplicaOn: b(false)},
			"master ON (2), replica OFF"},
		{api.HostObs{SemisyncMaster: b(false), SemisyncReplica: b(false)}, "off"},
	} {
		if got := semisync(&tc.obs); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.obs, got, tc.want)
		}
	}
}
