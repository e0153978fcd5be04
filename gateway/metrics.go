package gateway

import (
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"

	"tollgate/gateway/wsproxy"
)

// Metrics are the gateway's Prometheus metrics, on their own registry.
type Metrics struct {
	Registry *prometheus.Registry

	ActiveConns       *prometheus.GaugeVec     // api
	Handshakes        *prometheus.CounterVec   // api, outcome
	HandshakeDuration *prometheus.HistogramVec // api, outcome
	PolicyDuration    *prometheus.HistogramVec // api, section
	Messages          *prometheus.CounterVec   // api, direction
	Bytes             *prometheus.CounterVec   // api, direction
	PolicyErrors      *prometheus.CounterVec   // api, reason
	Closes            *prometheus.CounterVec   // api, closed_by, code
	Requests          *prometheus.CounterVec   // api, code (HTTP APIs)
	RequestDuration   *prometheus.HistogramVec // api
	Reloads           *prometheus.CounterVec   // result
	LastReloadSuccess prometheus.Gauge
	ReloadEventToSwap prometheus.Histogram
	ConfigInfo        *prometheus.GaugeVec // hash
	StoreErrors       *prometheus.CounterVec
	// Backend entities (backends.go).
	BackendRequests *prometheus.CounterVec
	BackendBreaker  *prometheus.GaugeVec
	BackendTrips    *prometheus.CounterVec
	Drained         *prometheus.CounterVec // api
	LoopHeld        *prometheus.CounterVec // api: requests moved off their event loop by its watchdog (loop.go)
	GRPCCalls       *prometheus.CounterVec // api, grpc_status: gRPC calls by the status they ended with (grpc.go)

	custom policyCounters // emit-metric and other policy counters (policy_metrics.go)
}

// NewMetrics registers every metric on a new registry (plus Go and process
// collectors).
func NewMetrics() *Metrics {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	lat := []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	m := &Metrics{
		Registry: r,
		ActiveConns: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tollgate_websocket_connections_active",
			Help: "Open proxied WebSocket connections."}, []string{"api"}),
		Handshakes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_websocket_handshakes_total",
			Help: "WebSocket handshakes by outcome: upgraded, rejected (a policy answered), backend_rejected, backend_error, limited, bad_request, error."},
			[]string{"api", "outcome"}),
		HandshakeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tollgate_websocket_handshake_duration_seconds",
			Help: "Time from the upgrade request to the outcome (policies and backend dial included).", Buckets: lat},
			[]string{"api", "outcome"}),
		PolicyDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tollgate_policy_duration_seconds",
			Help: "Time spent running a policy section.", Buckets: lat}, []string{"api", "section"}),
		Messages: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_websocket_messages_total",
			Help: "Proxied WebSocket messages by direction (client_to_backend, backend_to_client)."}, []string{"api", "direction"}),
		Bytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_websocket_bytes_total",
			Help: "Proxied WebSocket payload bytes by direction."}, []string{"api", "direction"}),
		PolicyErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_policy_errors_total",
			Help: "Policy failures (on-error runs) by reason."}, []string{"api", "reason"}),
		Closes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_websocket_closes_total",
			Help: "Finished WebSocket sessions by who ended them and the close code."}, []string{"api", "closed_by", "code"}),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_http_requests_total",
			Help: "HTTP API requests by response status."}, []string{"api", "code"}),
		RequestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tollgate_http_request_duration_seconds",
			Help: "HTTP API request duration.", Buckets: lat}, []string{"api"}),
		Reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_config_reloads_total",
			Help: "Configuration reloads by result: success, failure, unchanged."}, []string{"result"}),
		LastReloadSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tollgate_config_last_reload_success_timestamp_seconds",
			Help: "Unix time of the last successful configuration load."}),
		ReloadEventToSwap: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tollgate_config_reload_event_to_swap_seconds",
			Help:    "Time from the first file event of a burst to the reload's decision (debounce included).",
			Buckets: []float64{.01, .025, .05, .075, .1, .15, .25, .5, 1, 2.5}}),
		ConfigInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tollgate_config_info",
			Help: "The hash of the configuration being served (value 1)."}, []string{"hash"}),
		StoreErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_store_errors_total",
			Help: "Failed store calls (limits, caches) by policy."}, []string{"policy"}),
		Drained: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_websocket_drained_total",
			Help: "Sessions closed with 1012 because their API changed (drain-on-change)."}, []string{"api"}),
		LoopHeld: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_event_loop_held_total",
			Help: "REST requests and WebSocket handshakes the event-loop front moved off their loop after 2 ms on it (a policy that blocks or works long on the CPU; a few in ten thousand on a saturated machine whatever the policy)."}, []string{"api"}),
		GRPCCalls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_grpc_calls_total",
			Help: "Calls to gRPC APIs by the gRPC status they ended with (0 OK, 14 UNAVAILABLE, ...)."}, []string{"api", "grpc_status"}),
	}
	m.BackendRequests, m.BackendBreaker, m.BackendTrips = newBackendMetrics()
	r.MustRegister(m.BackendRequests, m.BackendBreaker, m.BackendTrips)
	r.MustRegister(m.ActiveConns, m.Handshakes, m.HandshakeDuration, m.PolicyDuration, m.Messages, m.Bytes,
		m.PolicyErrors, m.Closes, m.Requests, m.RequestDuration, m.Reloads, m.LastReloadSuccess, m.ReloadEventToSwap, m.ConfigInfo,
		m.StoreErrors, m.Drained, m.LoopHeld, m.GRPCCalls)
	return m
}

// apiMetrics are one API's pre-bound series, so the per-message path does
// no label lookups. Handshake and close series are bound on first use (so
// /metrics shows only outcomes that happened) and then looked up in a
// sync.Map, which costs a fraction of WithLabelValues (label hashing, a
// lock and a map under it) on every handshake.
type apiMetrics struct {
	m                 *Metrics
	name              string
	active            prometheus.Gauge
	msgsIn, msgsOut   prometheus.Counter
	bytesIn, bytesOut prometheus.Counter
	inbound, backend  prometheus.Observer
	outbound          prometheus.Observer

	handshakes sync.Map // outcome -> *handshakeSeries
	closes     sync.Map // closeKey -> prometheus.Counter
	// upgraded is the "upgraded" handshake series, bound on first use,
	// found without a lookup in handshakes.
	upgraded atomic.Pointer[handshakeSeries]
	// closesBySide are the close series of the usual sessions' ends, bound
	// on first use: closed by the client or the backend (0, 1) with a code
	// from 1000 to 1015, found without hashing a closeKey for closes.
	closesBySide [2][16]atomic.Pointer[prometheus.Counter]

	requests        [500]atomic.Pointer[prometheus.Counter] // by HTTP status - 100
	requestDuration prometheus.Observer
}

// requestCount is how many HTTP API requests and WebSocket handshakes
// were counted (the duration histogram's samples and the handshake
// counters; 0 for what cannot be read): a handshake may run on the event
// loop too (HandshakeInline), and heldLoop's ratio is over both. Not for
// a hot path.
func (a *apiMetrics) requestCount() int64 {
	var n int64
	var m dto.Metric
	if h, ok := a.requestDuration.(prometheus.Metric); ok && h.Write(&m) == nil && m.Histogram != nil {
		n = int64(m.Histogram.GetSampleCount())
	}
	a.handshakes.Range(func(_, v any) bool {
		var m dto.Metric
		if v.(*handshakeSeries).count.Write(&m) == nil && m.Counter != nil {
			n += int64(m.Counter.GetValue())
		}
		return true
	})
	return n
}

// request counts one HTTP API request answered with status that took
// seconds, without a label lookup once the status has been seen.
func (a *apiMetrics) request(status int, seconds float64) {
	a.requestDuration.Observe(seconds)
	if status < 100 || status > 599 {
		a.m.Requests.WithLabelValues(a.name, strconv.Itoa(status)).Inc()
		return
	}
	slot := &a.requests[status-100]
	c := slot.Load()
	if c == nil {
		v := a.m.Requests.WithLabelValues(a.name, strconv.Itoa(status))
		slot.CompareAndSwap(nil, &v)
		c = slot.Load()
	}
	(*c).Inc()
}

type handshakeSeries struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

type closeKey struct {
	by   string
	code int
}

// handshake counts one handshake with outcome o that took seconds.
func (a *apiMetrics) handshake(o string, seconds float64) {
	var hs *handshakeSeries
	if o == outcomeUpgraded {
		if hs = a.upgraded.Load(); hs == nil {
			a.upgraded.CompareAndSwap(nil, a.handshakeSeries(o))
			hs = a.upgraded.Load()
		}
	} else {
		hs = a.handshakeSeries(o)
	}
	hs.count.Inc()
	hs.duration.Observe(seconds)
}

// outcomeUpgraded is the outcome of a handshake whose session started.
const outcomeUpgraded = "upgraded"

// handshakeSeries is the series of outcome o, bound on first use.
func (a *apiMetrics) handshakeSeries(o string) *handshakeSeries {
	v, ok := a.handshakes.Load(o)
	if !ok {
		v, _ = a.handshakes.LoadOrStore(o, &handshakeSeries{
			count:    a.m.Handshakes.WithLabelValues(a.name, o),
			duration: a.m.HandshakeDuration.WithLabelValues(a.name, o),
		})
	}
	return v.(*handshakeSeries)
}

// closed counts one finished session.
func (a *apiMetrics) closed(by string, code int) {
	side := -1
	switch by {
	case wsproxy.ClosedByClient:
		side = 0
	case wsproxy.ClosedByBackend:
		side = 1
	}
	if i := code - 1000; side >= 0 && i >= 0 && i < len(a.closesBySide[side]) {
		slot := &a.closesBySide[side][i]
		c := slot.Load()
		if c == nil {
			v := a.closeCounter(by, code)
			slot.CompareAndSwap(nil, &v)
			c = slot.Load()
		}
		(*c).Inc()
		return
	}
	a.closeCounter(by, code).Inc()
}

// closeCounter is the close series of by and code, bound on first use.
func (a *apiMetrics) closeCounter(by string, code int) prometheus.Counter {
	k := closeKey{by, code}
	v, ok := a.closes.Load(k)
	if !ok {
		v, _ = a.closes.LoadOrStore(k, a.m.Closes.WithLabelValues(a.name, by, strconv.Itoa(code)))
	}
	return v.(prometheus.Counter)
}

func (m *Metrics) forAPI(name string) *apiMetrics {
	return &apiMetrics{
		m:        m,
		name:     name,
		active:   m.ActiveConns.WithLabelValues(name),
		msgsIn:   m.Messages.WithLabelValues(name, wsproxy.ClientToBackend.String()),
		msgsOut:  m.Messages.WithLabelValues(name, wsproxy.BackendToClient.String()),
		bytesIn:  m.Bytes.WithLabelValues(name, wsproxy.ClientToBackend.String()),
		bytesOut: m.Bytes.WithLabelValues(name, wsproxy.BackendToClient.String()),
		inbound:  m.PolicyDuration.WithLabelValues(name, "inbound"),
		backend:  m.PolicyDuration.WithLabelValues(name, "backend"),
		outbound: m.PolicyDuration.WithLabelValues(name, "outbound"),

		requestDuration: m.RequestDuration.WithLabelValues(name),
	}
}

// OnMessages implements wsproxy.Observer: msgs messages of bytes bytes in
// all (the relay calls it once per write).
func (a *apiMetrics) OnMessages(dir wsproxy.Direction, msgs, bytes int64) {
	if dir == wsproxy.ClientToBackend {
		a.msgsIn.Add(float64(msgs))
		a.bytesIn.Add(float64(bytes))
	} else {
		a.msgsOut.Add(float64(msgs))
		a.bytesOut.Add(float64(bytes))
	}
}
