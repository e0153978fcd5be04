package appinsights

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var errUnknownItem = errors.New("unknown telemetry item")

// Role is what the exporter says of the sender in every item's tags:
// ai.cloud.role, ai.cloud.roleInstance and ai.internal.sdkVersion.
type Role struct {
	Name, Instance, SDKVersion string
}

// Options configure an Exporter. Only Endpoint is required.
type Options struct {
	Endpoint Endpoint
	Role     Role
	// Client sends the batches (default: a client with Timeout per
	// request). It is asked for each batch, so a caller may change it.
	Client func() *http.Client
	// Token, when set, authenticates with Microsoft Entra ID: each POST
	// carries Authorization: Bearer with a token for Endpoint.Scope().
	Token func(ctx context.Context, scope string) (string, error)
	// QueueSize bounds the items waiting to be sent (default 10000);
	// Track drops (and counts) items past it.
	QueueSize int
	// BatchSize is the most items in one POST (default 512).
	BatchSize int
	// BatchDelay is the longest an item waits for its batch to fill
	// (default 5 s).
	BatchDelay time.Duration
	// MetricInterval is the aggregation interval of TrackMetric (default
	// 60 s); MaxSeries bounds the metric series of one interval (default
	// 1000): values of more are dropped and counted.
	MetricInterval time.Duration
	MaxSeries      int
	// Attempts is how many times a batch (or the items of a partial
	// success the endpoint asks to have again) is sent at most (default
	// 3), waiting Backoff, then twice that, and so on (or what the
	// endpoint's Retry-After says, at most MaxRetryAfter) in between.
	Attempts      int
	Backoff       time.Duration // default 1 s
	MaxRetryAfter time.Duration // default 30 s
	// Timeout bounds each POST (default 10 s).
	Timeout time.Duration
	// FlushTimeout bounds what Run sends once stopped (default 10 s).
	FlushTimeout time.Duration
	// Dropped is told of items dropped (queue full, stopped, refused by
	// the endpoint, out of attempts); Failed of each batch that failed,
	// with the reason (never the instrumentation key). Both may be nil.
	Dropped func(n int)
	Failed  func(reason string, items int)
	Now     func() time.Time
}

// Exporter queues telemetry items and sends them in batches from one
// worker (Run). Its methods are safe for concurrent use; Track and
// TrackMetric never block.
type Exporter struct {
	o     Options
	queue chan *Item
	stop  chan struct{} // closed by Stop: accept nothing more
	once  sync.Once
	done  chan struct{} // closed when Run returns

	abortCtx context.Context // cancelled by Abort: in-flight sends end now
	abort    context.CancelFunc

	mu      sync.Mutex // guards metrics
	metrics map[string]*aggregate
	since   time.Time // the start of the metric interval

	sent, dropped atomic.Int64
	gz            *gzip.Writer
	buf           bytes.Buffer
}

// New returns an exporter; Run sends what it queues.
func New(o Options) *Exporter {
	if o.QueueSize <= 0 {
		o.QueueSize = 10000
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 512
	}
	if o.BatchDelay <= 0 {
		o.BatchDelay = 5 * time.Second
	}
	if o.MetricInterval <= 0 {
		o.MetricInterval = time.Minute
	}
	if o.MaxSeries <= 0 {
		o.MaxSeries = 1000
	}
	if o.Attempts <= 0 {
		o.Attempts = 3
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = 30 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.FlushTimeout <= 0 {
		o.FlushTimeout = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Client == nil {
		c := &http.Client{Timeout: o.Timeout}
		o.Client = func() *http.Client { return c }
	}
	e := &Exporter{o: o, queue: make(chan *Item, o.QueueSize), stop: make(chan struct{}), done: make(chan struct{}),
		metrics: map[string]*aggregate{}}
	e.abortCtx, e.abort = context.WithCancel(context.Background())
	e.since = o.Now()
	return e
}

// Track queues it; false when it was dropped (a full queue, or a stopped
// exporter), which is counted.
func (e *Exporter) Track(it *Item) bool {
	select {
	case <-e.stop:
		e.drop(1)
		return false
	default:
	}
	select {
	case e.queue <- it:
		return true
	default:
		e.drop(1)
		return false
	}
}

// aggregate is one metric series of the current interval.
type aggregate struct {
	ns, name             string
	props                map[string]string
	count                int
	sum, sumSq, min, max float64
}

// TrackMetric adds value to the series of namespace, name and props (its
// dimensions): each series is sent once per MetricInterval as one
// aggregated data point (count, sum, min, max, standard deviation). false
// when the value was dropped (too many series this interval, a value that
// is not a number, a stopped exporter).
func (e *Exporter) TrackMetric(namespace, name string, value float64, props map[string]string) bool {
	if math.IsNaN(value) || math.IsInf(value, 0) {
		e.drop(1)
		return false
	}
	select {
	case <-e.stop:
		e.drop(1)
		return false
	default:
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var kb strings.Builder
	kb.WriteString(namespace + "\x00" + name)
	for _, k := range keys {
		kb.WriteString("\x00" + k + "\x01" + props[k])
	}
	key := kb.String()
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.metrics[key]
	if a == nil {
		if len(e.metrics) >= e.o.MaxSeries {
			e.drop(1)
			return false
		}
		a = &aggregate{ns: namespace, name: name, props: props, min: value, max: value}
		e.metrics[key] = a
	}
	a.count++
	a.sum += value
	a.sumSq += value * value
	a.min = min(a.min, value)
	a.max = max(a.max, value)
	return true
}

// takeMetrics empties the interval's aggregates into items.
func (e *Exporter) takeMetrics() []*Item {
	e.mu.Lock()
	aggs := e.metrics
	start := e.since
	e.metrics = map[string]*aggregate{}
	e.since = e.o.Now()
	e.mu.Unlock()
	if len(aggs) == 0 {
		return nil
	}
	interval := strconv.FormatInt(e.since.Sub(start).Milliseconds(), 10)
	out := make([]*Item, 0, len(aggs))
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range aggs {
			if !yield(k) {
				return
			}
		}
	}) {
		a := aggs[k]
		mean := a.sum / float64(a.count)
		std := math.Sqrt(max(a.sumSq/float64(a.count)-mean*mean, 0))
		mn, mx := a.min, a.max
		props := make(map[string]string, len(a.props)+1)
		for pk, pv := range a.props {
			props[pk] = pv
		}
		props["_MS.AggregationIntervalMs"] = interval
		out = append(out, &Item{Time: start, Data: &MetricData{
			Metrics: []DataPoint{{Namespace: a.ns, Name: a.name, Kind: Aggregation, Value: a.sum, Count: a.count,
				Min: &mn, Max: &mx, StdDev: &std}},
			Properties: props,
		}})
	}
	return out
}

func (e *Exporter) drop(n int) {
	if n <= 0 {
		return
	}
	e.dropped.Add(int64(n))
	if e.o.Dropped != nil {
		e.o.Dropped(n)
	}
}

// Sent and Dropped count the items sent (accepted by the endpoint) and
// dropped so far.
func (e *Exporter) Sent() int64    { return e.sent.Load() }
func (e *Exporter) Dropped() int64 { return e.dropped.Load() }

// Stop makes the exporter accept nothing more: Run sends what is queued
// (within FlushTimeout) and returns. It does not wait: Done does.
func (e *Exporter) Stop() { e.once.Do(func() { close(e.stop) }) }

// Abort ends the sends in flight and the waits between attempts at once:
// what is left is dropped (and counted). For a shutdown whose deadline
// has passed.
func (e *Exporter) Abort() { e.abort() }

// Done is closed once Run has returned.
func (e *Exporter) Done() <-chan struct{} { return e.done }

// Run sends batches until Stop, then what is queued and the metrics
// aggregated so far, within FlushTimeout (the rest is dropped).
func (e *Exporter) Run() {
	defer close(e.done)
	batch := make([]*Item, 0, e.o.BatchSize)
	tick := time.NewTicker(e.o.BatchDelay)
	defer tick.Stop()
	mtick := time.NewTicker(e.o.MetricInterval)
	defer mtick.Stop()
	for {
		select {
		case it := <-e.queue:
			batch = append(batch, it)
			if len(batch) >= e.o.BatchSize {
				e.send(e.abortCtx, batch)
				batch = batch[:0]
			}
		case <-tick.C:
			if len(batch) > 0 {
				e.send(e.abortCtx, batch)
				batch = batch[:0]
			}
		case <-mtick.C:
			batch = e.sendAll(e.abortCtx, append(batch, e.takeMetrics()...))
		case <-e.stop:
			ctx, cancel := context.WithTimeout(e.abortCtx, e.o.FlushTimeout)
			defer cancel()
			for {
				select {
				case it := <-e.queue:
					batch = append(batch, it)
					continue
				default:
				}
				break
			}
			batch = append(batch, e.takeMetrics()...)
			e.sendAll(ctx, batch)
			// Items queued by a Track that raced with Stop.
			for {
				select {
				case <-e.queue:
					e.drop(1)
					continue
				default:
				}
				return
			}
		}
	}
}

// sendAll sends items in batches of BatchSize; once ctx is done the rest
// is dropped. It returns items emptied, for reuse.
func (e *Exporter) sendAll(ctx context.Context, items []*Item) []*Item {
	for len(items) > 0 {
		n := min(len(items), e.o.BatchSize)
		if ctx.Err() != nil {
			e.drop(len(items))
			break
		}
		e.send(ctx, items[:n])
		items = items[n:]
	}
	return items[:0]
}

// line is one encoded item of a batch.
type line struct {
	data []byte
}

// send posts batch, and again what the endpoint asks to be sent again,
// at most Attempts times; what is not accepted in the end is dropped.
func (e *Exporter) send(ctx context.Context, batch []*Item) {
	lines := make([]line, 0, len(batch))
	for _, it := range batch {
		b, err := it.encode(e.o.Endpoint.InstrumentationKey, e.o.Role)
		if err != nil {
			e.drop(1)
			continue
		}
		lines = append(lines, line{data: b})
	}
	wait := e.o.Backoff
	for attempt := 1; len(lines) > 0; attempt++ {
		r := e.post(ctx, lines)
		e.sent.Add(int64(r.accepted))
		refused := len(lines) - r.accepted - len(r.retry)
		e.drop(refused)
		if refused > 0 && e.o.Failed != nil {
			e.o.Failed(r.reason, refused)
		}
		if len(r.retry) == 0 {
			return
		}
		if attempt >= e.o.Attempts || ctx.Err() != nil {
			e.drop(len(r.retry))
			if e.o.Failed != nil {
				e.o.Failed(r.reason+" (given up after "+strconv.Itoa(attempt)+" attempts)", len(r.retry))
			}
			return
		}
		d := wait
		if r.retryAfter > 0 {
			d = min(r.retryAfter, e.o.MaxRetryAfter)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			e.drop(len(r.retry))
			return
		case <-t.C:
		}
		wait *= 2
		next := make([]line, 0, len(r.retry))
		for _, i := range r.retry {
			next = append(next, lines[i])
		}
		lines = next
	}
}

// result is what one POST came to: how many items were accepted, the
// indexes of those to send again, and why the others were not.
type result struct {
	accepted   int
	retry      []int
	retryAfter time.Duration
	reason     string
}

// track is the ingestion API's answer: 200 (all accepted) or 206 (some
// not, each with its own status).
type track struct {
	ItemsReceived int `json:"itemsReceived"`
	ItemsAccepted int `json:"itemsAccepted"`
	Errors        []struct {
		Index      int    `json:"index"`
		StatusCode int    `json:"statusCode"`
		Message    string `json:"message"`
	} `json:"errors"`
}

// Retriable reports whether a status (of a whole answer, or of one item
// of a partial success) may pass if the items are sent again: 408, 429,
// 439 (too many requests over an extended time), 500, 502, 503 and 504.
func Retriable(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, 439,
		http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func all(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// post sends lines as one gzipped request of newline-delimited JSON.
func (e *Exporter) post(ctx context.Context, lines []line) result {
	e.buf.Reset()
	if e.gz == nil {
		e.gz = gzip.NewWriter(&e.buf)
	} else {
		e.gz.Reset(&e.buf)
	}
	for i, l := range lines {
		if i > 0 {
			_, _ = e.gz.Write([]byte{'\n'})
		}
		_, _ = e.gz.Write(l.data)
	}
	if err := e.gz.Close(); err != nil {
		return result{reason: "cannot compress: " + err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, e.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.o.Endpoint.Ingestion+"/v2.1/track", bytes.NewReader(e.buf.Bytes()))
	if err != nil {
		return result{reason: "bad ingestion endpoint"}
	}
	req.Header.Set("Content-Type", "application/x-json-stream")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Accept", "application/json")
	if e.o.Token != nil {
		tok, err := e.o.Token(ctx, e.o.Endpoint.Scope())
		if err != nil {
			return result{retry: all(len(lines)), reason: "no Microsoft Entra ID token for the ingestion endpoint: " + e.mask(err.Error())}
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := e.o.Client().Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return result{retry: all(len(lines)), reason: "the ingestion endpoint did not answer: " + e.mask(err.Error())}
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	switch code := res.StatusCode; {
	case code == http.StatusOK || code == http.StatusPartialContent:
		var t track
		if json.Unmarshal(body, &t) != nil || len(t.Errors) == 0 {
			return result{accepted: len(lines)}
		}
		r := result{accepted: len(lines)}
		seen := make(map[int]bool, len(t.Errors))
		for _, er := range t.Errors {
			if er.Index < 0 || er.Index >= len(lines) || seen[er.Index] {
				continue
			}
			seen[er.Index] = true
			r.accepted--
			if Retriable(er.StatusCode) {
				r.retry = append(r.retry, er.Index)
			} else if r.reason == "" {
				r.reason = "the ingestion endpoint refused an item (" + strconv.Itoa(er.StatusCode) + "): " + e.mask(truncate(er.Message, 200))
			}
		}
		slices.Sort(r.retry)
		if r.reason == "" {
			r.reason = "the ingestion endpoint asked for items again"
		}
		return r
	case Retriable(code):
		return result{retry: all(len(lines)), retryAfter: retryAfter(res.Header.Get("Retry-After"), e.o.Now()),
			reason: fmt.Sprintf("the ingestion endpoint answered %d", code)}
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return result{reason: fmt.Sprintf("the ingestion endpoint refused the logger's credentials (%d)", code)}
	default:
		return result{reason: fmt.Sprintf("the ingestion endpoint answered %d", code)}
	}
}

// mask hides the instrumentation key in a text from the endpoint.
func (e *Exporter) mask(s string) string {
	k := e.o.Endpoint.InstrumentationKey
	if k == "" {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if i+len(k) <= len(s) && strings.EqualFold(s[i:i+len(k)], k) {
			b.WriteString("REDACTED")
			i += len(k)
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(min(s, 3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
