package coordinator

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// Metrics are the coordinator's Prometheus collectors on their own
// registry (with the Go and process collectors). Mount Handler on
// /metrics; Registry accepts more collectors (the API server's).
type Metrics struct {
	Registry *prometheus.Registry

	checkDur       *prometheus.HistogramVec
	actions        *prometheus.CounterVec
	failovers      prometheus.Counter
	leaseOK        prometheus.Gauge
	writerEligible prometheus.Gauge
	c              atomic.Pointer[Coordinator]
}

// NewMetrics returns the collectors, registered on a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		checkDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mmm_check_duration_seconds", Help: "Duration of the leader's MMM checks.",
			Buckets: []float64{.001, .005, .01, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"host", "check"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mmm_actions_total", Help: "Executions of the state machine's actions by outcome.",
		}, []string{"kind", "outcome"}),
		failovers: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mmm_failovers_total", Help: "Times the writer moved to another host.",
		}),
		leaseOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mmm_lease_ok", Help: "1 while this node has heard from a raft leader within the lease.",
		}),
		writerEligible: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mmm_writer_eligible", Help: "1 while this host's track_file makes it eligible for the writer VIP.",
		}),
	}
	m.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.checkDur, m.actions, m.failovers, m.leaseOK, m.writerEligible, stateCollector{m},
		obsCollector{obs: func() map[string]api.HostObs {
			// A former leader keeps its last inspections: not exported.
			if c := m.c.Load(); c != nil && c.node != nil && c.node.isLeader() {
				return c.observations()
			}
			return nil
		}})
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// attach makes the state collector read c.
func (m *Metrics) attach(c *Coordinator) { m.c.Store(c) }

func (m *Metrics) observeCheck(host string, c fsm.Check, d time.Duration) {
	m.checkDur.WithLabelValues(host, c.String()).Observe(d.Seconds())
}

func (m *Metrics) countAction(kind string, o Outcome) {
	m.actions.WithLabelValues(kind, o.String()).Inc()
}

func (m *Metrics) countFailover() { m.failovers.Inc() }

func (m *Metrics) setLease(ok, eligible bool) {
	m.leaseOK.Set(b2f(ok))
	m.writerEligible.Set(b2f(eligible))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

var (
	descHostState = prometheus.NewDesc("mmm_host_state", "1 for the host's current MMM state, 0 for the others.", []string{"host", "state"}, nil)
	descHostRole  = prometheus.NewDesc("mmm_host_role", "1 for each role IP assigned to the host.", []string{"host", "role", "ip"}, nil)
	descLeader    = prometheus.NewDesc("mmm_raft_leader", "1 while this node is the raft leader.", nil, nil)
	descHasLeader = prometheus.NewDesc("mmm_raft_has_leader", "1 while a raft leader is known.", nil, nil)
	descTerm      = prometheus.NewDesc("mmm_raft_term", "The raft term.", nil, nil)
	descApplied   = prometheus.NewDesc("mmm_raft_applied_index", "The last raft index applied to the state.", nil, nil)
	descPending   = prometheus.NewDesc("mmm_pending_actions", "Actions the state machine emitted that are not finished.", nil, nil)
)

// stateCollector reads the replicated state at scrape time.
type stateCollector struct{ m *Metrics }

func (s stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descHostState, descHostRole, descLeader, descHasLeader, descTerm, descApplied, descPending} {
		ch <- d
	}
}

func (s stateCollector) Collect(ch chan<- prometheus.Metric) {
	c := s.m.c.Load()
	if c == nil || c.node == nil {
		return
	}
	v := c.replica.View()
	for _, h := range v.State.Hosts {
		for st := fsm.StateUnknown; st <= fsm.StateReplicationFail; st++ {
			ch <- prometheus.MustNewConstMetric(descHostState, prometheus.GaugeValue, b2f(h.State == st), h.Name, st.String())
		}
		for _, r := range v.State.HostRoles(h.Name) {
			ch <- prometheus.MustNewConstMetric(descHostRole, prometheus.GaugeValue, 1, h.Name, r.Role, r.IP.String())
		}
	}
	ch <- prometheus.MustNewConstMetric(descLeader, prometheus.GaugeValue, b2f(c.node.isLeader()))
	ch <- prometheus.MustNewConstMetric(descHasLeader, prometheus.GaugeValue, b2f(c.Leader() != ""))
	ch <- prometheus.MustNewConstMetric(descTerm, prometheus.GaugeValue, float64(c.node.raft.CurrentTerm()))
	ch <- prometheus.MustNewConstMetric(descApplied, prometheus.GaugeValue, float64(v.Applied))
	ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(len(v.Pending)))
}
