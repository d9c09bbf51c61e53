package coordinator

import (
	"maps"
	"runtime"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/internal/version"
)

var (
	descBehind = prometheus.NewDesc("mmm_replication_seconds_behind",
		"Seconds_Behind_Master of the host's replication, as the leader last read it.", []string{"host"}, nil)
	descIO = prometheus.NewDesc("mmm_replication_io_running",
		"1 while the host's replication IO thread runs (Slave_IO_Running Yes), as the leader last read it.", []string{"host"}, nil)
	descSQL = prometheus.NewDesc("mmm_replication_sql_running",
		"1 while the host's replication SQL thread runs, as the leader last read it.", []string{"host"}, nil)
	descSemiMaster = prometheus.NewDesc("mmm_semisync_master_status",
		"1 while the host's semisync master side is active (Rpl_semi_sync_master_status): only on the writer.", []string{"host"}, nil)
	descSemiClients = prometheus.NewDesc("mmm_semisync_master_clients",
		"Semisync replicas connected to the host's master side (Rpl_semi_sync_master_clients).", []string{"host"}, nil)
	descSemiReplica = prometheus.NewDesc("mmm_semisync_replica_status",
		"1 while the host's semisync replica side is active (Rpl_semi_sync_slave_status).", []string{"host"}, nil)
	descBuild = prometheus.NewDesc("mmm_build_info",
		"1, labelled with the coordinator's version and the Go version it was built with.", []string{"version", "goversion"}, nil)
)

// obsCollector exports the leader's latest inspection of every host
// (replication threads and lag, semisync), the figures `mmmctl status`
// shows; on a follower it has none. A figure the inspection could not
// read is left out, not reported as 0.
type obsCollector struct {
	obs func() map[string]api.HostObs
}

func (o obsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descBehind, descIO, descSQL, descSemiMaster, descSemiClients, descSemiReplica, descBuild} {
		ch <- d
	}
}

func (o obsCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descBuild, prometheus.GaugeValue, 1, version.Version, runtime.Version())
	if o.obs == nil {
		return
	}
	all := o.obs()
	for _, host := range slices.Sorted(maps.Keys(all)) {
		h := all[host]
		gauge := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, host)
		}
		if h.SecondsBehind != nil {
			gauge(descBehind, float64(*h.SecondsBehind))
		}
		if h.Master != "" {
			gauge(descIO, b2f(h.IORunning == "Yes"))
			gauge(descSQL, b2f(h.SQLRunning == "Yes"))
		}
		if h.SemisyncOn != nil {
			gauge(descSemiMaster, b2f(*h.SemisyncOn))
		}
		if h.SemisyncPeers != nil {
			gauge(descSemiClients, float64(*h.SemisyncPeers))
		}
		if h.SemisyncReplicaOn != nil {
			gauge(descSemiReplica, b2f(*h.SemisyncReplicaOn))
		}
	}
}
