package console

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Per-minute numbers for the APIs list, taken from the gateway's own
// Prometheus counters (the console adds no counting to the request path):
// the sampler reads them every few seconds and adds the increase to the
// current minute.

// historyMinutes is how many minutes of history are kept per API.
const historyMinutes = 30

// Minute is one minute of an API's traffic.
type Minute struct {
	Start      time.Time `json:"start"`
	Handshakes float64   `json:"handshakes"` // WebSocket handshakes (any outcome)
	Requests   float64   `json:"requests"`   // HTTP API requests
	Errors     float64   `json:"errors"`     // failed handshakes, 5xx answers
}

// failedHandshake: the handshake outcomes that count as errors (a policy's
// own rejection, such as a 401 or 429, is the API working as written).
var failedHandshake = map[string]bool{"backend_error": true, "backend_rejected": true, "error": true}

type rates struct {
	g prometheus.Gatherer

	mu     sync.Mutex
	last   map[string]float64 // series key -> last counter value
	hist   map[string][]Minute
	active map[string]float64
	now    func() time.Time
	primed bool // a first sample has set the baselines
}

func newRates(g prometheus.Gatherer) *rates {
	return &rates{g: g, last: map[string]float64{}, hist: map[string][]Minute{}, active: map[string]float64{}, now: time.Now}
}

func (r *rates) run(stop <-chan struct{}, every time.Duration) {
	r.sample() // the baseline: what came before the console has no minute
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			r.sample()
		}
	}
}

// sample reads the counters and books their increase since the last
// sample in the current minute.
func (r *rates) sample() {
	mfs, err := r.g.Gather()
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	minute := r.now().Truncate(time.Minute)
	first := !r.primed
	r.primed = true
	for _, mf := range mfs {
		name := mf.GetName()
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			api := labels["api"]
			if api == "" {
				continue
			}
			switch name {
			case "tollgate_websocket_connections_active":
				r.active[api] = m.GetGauge().GetValue()
				continue
			case "tollgate_websocket_handshakes_total", "tollgate_http_requests_total":
			default:
				continue
			}
			key := name + "\x00" + api + "\x00" + labels["outcome"] + "\x00" + labels["code"]
			v := m.GetCounter().GetValue()
			prev, seen := r.last[key]
			r.last[key] = v
			d := v - prev
			if !seen && first {
				d = 0 // what happened before the console started has no minute
			}
			if d <= 0 {
				continue
			}
			b := r.bucket(api, minute)
			if name == "tollgate_websocket_handshakes_total" {
				b.Handshakes += d
				if failedHandshake[labels["outcome"]] {
					b.Errors += d
				}
			} else {
				b.Requests += d
				if code, _ := strconv.Atoi(labels["code"]); code >= 500 {
					b.Errors += d
				}
			}
		}
	}
}

// bucket returns the API's bucket for minute, making it (and dropping
// minutes older than the history) as needed.
func (r *rates) bucket(api string, minute time.Time) *Minute {
	h := r.hist[api]
	if n := len(h); n == 0 || !h[n-1].Start.Equal(minute) {
		h = append(h, Minute{Start: minute})
		if len(h) > historyMinutes {
			h = h[len(h)-historyMinutes:]
		}
		r.hist[api] = h
	}
	return &r.hist[api][len(r.hist[api])-1]
}

// series returns the API's open connections and its last historyMinutes
// minutes, oldest first, with empty minutes filled in.
func (r *rates) series(api string) (float64, []Minute) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now().Truncate(time.Minute)
	out := make([]Minute, historyMinutes)
	for i := range out {
		out[i].Start = now.Add(time.Duration(i-historyMinutes+1) * time.Minute)
	}
	for _, m := range r.hist[api] {
		i := historyMinutes - 1 - int(now.Sub(m.Start)/time.Minute)
		if i >= 0 && i < historyMinutes {
			out[i] = m
		}
	}
	return r.active[api], out
}
