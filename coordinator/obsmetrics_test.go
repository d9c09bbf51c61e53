package coordinator

import (
	"fmt"
	"maps"
	"runtime"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/internal/version"
)

// TestObsCollector: the leader's inspections become replication and
// semisync gauges per host; what the inspection could not read is left
// out (db3's lag, db2 unreachable), not reported as 0; build_info always.
func TestObsCollector(t *testing.T) {
	yes, no, two, lag := true, false, 2, int64(3)
	obs := map[string]api.HostObs{
		"db1": {Host: "db1", Master: "db2", IORunning: "Yes", SQLRunning: "Yes", SecondsBehind: new(int64),
			SemisyncOn: &yes, SemisyncPeers: &two, SemisyncReplicaOn: &no},
		"db3": {Host: "db3", Master: "db1", IORunning: "Connecting", SQLRunning: "Yes", SemisyncReplicaOn: &yes},
		"db4": {Host: "db4", Master: "db1", IORunning: "Yes", SQLRunning: "No", SecondsBehind: &lag},
		"db2": {Host: "db2"},
	}
	want := map[string]float64{
		`mmm_build_info{goversion="` + runtime.Version() + `",version="` + version.Version + `"}`: 1,
		`mmm_replication_io_running{host="db1"}`:                                                  1,
		`mmm_replication_io_running{host="db3"}`:                                                  0,
		`mmm_replication_io_running{host="db4"}`:                                                  1,
		`mmm_replication_seconds_behind{host="db1"}`:                                              0,
		`mmm_replication_seconds_behind{host="db4"}`:                                              3,
		`mmm_replication_sql_running{host="db1"}`:                                                 1,
		`mmm_replication_sql_running{host="db3"}`:                                                 1,
		`mmm_replication_sql_running{host="db4"}`:                                                 0,
		`mmm_semisync_master_clients{host="db1"}`:                                                 2,
		`mmm_semisync_master_status{host="db1"}`:                                                  1,
		`mmm_semisync_replica_status{host="db1"}`:                                                 0,
		`mmm_semisync_replica_status{host="db3"}`:                                                 1,
	}
	if got := gather(t, obsCollector{obs: func() map[string]api.HostObs { return obs }}); !maps.Equal(got, want) {
		t.Errorf("metrics:\n got %v\nwant %v", got, want)
	}
	// A follower has no inspections: build_info alone.
	if got := gather(t, obsCollector{}); len(got) != 1 {
		t.Errorf("no inspections: %v, want build_info alone", got)
	}
}

// gather collects c's metrics as name{label="value",...} → value.
func gather(t *testing.T, c prometheus.Collector) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			out[f.GetName()+"{"+strings.Join(labels, ",")+"}"] = m.GetGauge().GetValue()
		}
	}
	return out
}
