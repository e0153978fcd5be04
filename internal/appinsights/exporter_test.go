package appinsights

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"tollgate/internal/appinsights/aitest"
)

// newExporter is an exporter sending to srv at once (a short batch delay,
// a short backoff), running until the test ends.
func newExporter(t *testing.T, srv *aitest.Server, tune func(*Options)) *Exporter {
	t.Helper()
	ep, err := ParseConnectionString(srv.ConnectionString(key))
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Endpoint: ep, Role: Role{Name: "contoso-apim", Instance: "gw-1", SDKVersion: "tollgate:test"},
		BatchDelay: 5 * time.Millisecond, Backoff: time.Millisecond, Client: func() *http.Client { return srv.Client() }}
	if tune != nil {
		tune(&o)
	}
	e := New(o)
	go e.Run()
	t.Cleanup(func() {
		e.Stop()
		e.Abort()
		<-e.Done()
	})
	return e
}

func request(name string) *Item {
	return &Item{Time: time.Now(), Tags: Tags{OperationID: TraceID(), OperationName: "orders;rev=1 - get"},
		Data: &RequestData{ID: SpanID(), Name: name, Duration: Duration(1500 * time.Microsecond), ResponseCode: "200", Success: true,
			URL: "http://gw/orders/1", Properties: map[string]string{"API Name": "orders"}}}
}

// stop ends e and waits for its worker.
func stop(e *Exporter) {
	e.Stop()
	<-e.Done()
}

// Every kind of item, as the endpoint receives it: gzipped
// newline-delimited envelopes on /v2.1/track, with the key and the tags.
func TestExporterSends(t *testing.T) {
	srv := aitest.New(t)
	e := newExporter(t, srv, nil)
	op := TraceID()
	items := []*Item{
		request("GET /orders/1"),
		{Time: time.Now(), Tags: Tags{OperationID: op, ParentID: "00f067aa0ba902b7"}, Data: &RemoteDependencyData{ID: SpanID(), Name: "GET /1",
			ResultCode: "200", Duration: Duration(time.Millisecond), Success: true, Data: "http://backend/1", Target: "backend", Type: "HTTP"}},
		{Time: time.Now(), Tags: Tags{OperationID: op}, Data: &MessageData{Message: "hello", SeverityLevel: Information}},
		{Time: time.Now(), Tags: Tags{OperationID: op}, Data: &ExceptionData{Exceptions: []ExceptionDetails{{TypeName: "BackendConnectionFailure", Message: "refused"}}, SeverityLevel: Error}},
	}
	for _, it := range items {
		if !e.Track(it) {
			t.Fatal("dropped")
		}
	}
	got := srv.WaitFor(10*time.Second, "four items", func(it []aitest.Envelope) bool { return len(it) == 4 })
	r := srv.Requests()[0]
	if r.Path != "/v2.1/track" || r.ContentEncoding != "gzip" || r.ContentType != "application/x-json-stream" || r.Authorization != "" {
		t.Fatalf("request %+v", r)
	}
	for i, want := range []string{"RequestData", "RemoteDependencyData", "MessageData", "ExceptionData"} {
		g := got[i]
		if g.Data.BaseType != want || g.IKey != key || g.Tags["ai.cloud.role"] != "contoso-apim" ||
			g.Tags["ai.cloud.roleInstance"] != "gw-1" || g.Tags["ai.internal.sdkVersion"] != "tollgate:test" {
			t.Fatalf("item %d: %+v", i, g)
		}
	}
	if g := got[0]; g.Str("duration") != "0.00:00:00.0015000" || g.Str("responseCode") != "200" || g.Prop("API Name") != "orders" ||
		g.Tags["ai.operation.name"] != "orders;rev=1 - get" {
		t.Fatalf("request %+v", g)
	}
	if g := got[1]; g.Tags["ai.operation.id"] != op || g.Tags["ai.operation.parentId"] != "00f067aa0ba902b7" || g.Str("target") != "backend" {
		t.Fatalf("dependency %+v", g)
	}
	stop(e) // the counts are updated once the answer is read
	if e.Sent() != 4 || e.Dropped() != 0 {
		t.Fatalf("sent %d dropped %d", e.Sent(), e.Dropped())
	}
}

// What the endpoint answers decides what is sent again: only the
// retriable items of a partial success; a whole batch on 408, 429 or 5xx
// (bounded); nothing on another refusal.
func TestExporterRetries(t *testing.T) {
	for _, tc := range []struct {
		name     string
		answers  []aitest.Answer
		def      aitest.Answer
		posts    []int // items per POST
		sent     int64
		dropped  int64
		attempts int
	}{
		{name: "partial success: the 500 and 429 items again, not the 400 one",
			answers: []aitest.Answer{{Items: map[int]int{0: 500, 1: 400, 3: 429}}},
			posts:   []int{4, 2}, sent: 3, dropped: 1},
		{name: "partial success twice, then accepted",
			answers: []aitest.Answer{{Items: map[int]int{1: 503, 2: 503}}, {Items: map[int]int{0: 408}}},
			posts:   []int{4, 2, 1}, sent: 4},
		{name: "a partial success past the attempts",
			def: aitest.Answer{Items: map[int]int{0: 500}}, attempts: 3,
			posts: []int{4, 1, 1}, sent: 3, dropped: 1},
		{name: "503 with Retry-After, then accepted",
			answers: []aitest.Answer{{Status: 503, RetryAfter: "0"}},
			posts:   []int{4, 4}, sent: 4},
		{name: "429 with an HTTP date, then accepted",
			answers: []aitest.Answer{{Status: 429, RetryAfter: "Wed, 21 Oct 2015 07:28:00 GMT"}},
			posts:   []int{4, 4}, sent: 4},
		{name: "500 every time: given up after the attempts",
			def: aitest.Answer{Status: 500}, attempts: 2,
			posts: []int{4, 4}, dropped: 4},
		{name: "400: not sent again",
			answers: []aitest.Answer{{Status: 400}},
			posts:   []int{4}, dropped: 4},
		{name: "401: the credentials refused, not sent again",
			answers: []aitest.Answer{{Status: 401}},
			posts:   []int{4}, dropped: 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := aitest.New(t)
			srv.Answer(tc.answers...)
			srv.Default = tc.def
			e := newExporter(t, srv, func(o *Options) {
				o.BatchDelay = time.Hour // one batch, sent at Stop
				if tc.attempts > 0 {
					o.Attempts = tc.attempts
				}
			})
			for i := range 4 {
				e.Track(request("GET /" + string(rune('a'+i))))
			}
			stop(e)
			var posts []int
			for _, r := range srv.Requests() {
				posts = append(posts, len(r.Items))
			}
			if !equal(posts, tc.posts) || e.Sent() != tc.sent || e.Dropped() != tc.dropped {
				t.Fatalf("posts %v sent %d dropped %d; want %v, %d, %d", posts, e.Sent(), e.Dropped(), tc.posts, tc.sent, tc.dropped)
			}
		})
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Items sent again are the ones asked for, in order.
func TestExporterRetriesTheRightItems(t *testing.T) {
	srv := aitest.New(t)
	srv.Answer(aitest.Answer{Items: map[int]int{2: 500, 0: 503}})
	e := newExporter(t, srv, func(o *Options) { o.BatchDelay = time.Hour })
	for _, n := range []string{"a", "b", "c", "d"} {
		e.Track(request(n))
	}
	stop(e)
	rs := srv.Requests()
	if len(rs) != 2 || len(rs[1].Items) != 2 || rs[1].Items[0].Str("name") != "a" || rs[1].Items[1].Str("name") != "c" {
		t.Fatalf("%+v", rs)
	}
}

// A full queue drops and counts; Track never waits, even while the
// endpoint holds a POST.
func TestExporterQueueFull(t *testing.T) {
	srv := aitest.New(t)
	block := make(chan struct{})
	srv.Answer(aitest.Answer{Block: block})
	var mu sync.Mutex
	dropped := 0
	e := newExporter(t, srv, func(o *Options) {
		o.QueueSize, o.BatchSize = 2, 1
		o.Dropped = func(n int) { mu.Lock(); dropped += n; mu.Unlock() }
	})
	e.Track(request("first"))
	srv.WaitFor(10*time.Second, "the first POST", func(it []aitest.Envelope) bool { return len(it) == 1 })
	// The worker is held by the endpoint: two fit in the queue.
	got := []bool{e.Track(request("2")), e.Track(request("3")), e.Track(request("4")), e.Track(request("5"))}
	if !got[0] || !got[1] || got[2] || got[3] {
		t.Fatalf("tracked %v", got)
	}
	close(block)
	stop(e)
	mu.Lock()
	defer mu.Unlock()
	if dropped != 2 || e.Dropped() != 2 || e.Sent() != 3 || len(srv.Items()) != 3 {
		t.Fatalf("dropped %d/%d sent %d received %d", dropped, e.Dropped(), e.Sent(), len(srv.Items()))
	}
}

// Stop sends what is queued; a stopped exporter takes nothing more.
func TestExporterStopFlushes(t *testing.T) {
	srv := aitest.New(t)
	e := newExporter(t, srv, func(o *Options) { o.BatchDelay = time.Hour; o.BatchSize = 2 })
	for range 5 {
		e.Track(request("x"))
	}
	stop(e)
	if n := len(srv.Items()); n != 5 || len(srv.Requests()) != 3 {
		t.Fatalf("received %d in %d POSTs", n, len(srv.Requests()))
	}
	if e.Track(request("late")) || e.TrackMetric("ns", "m", 1, nil) || e.Dropped() != 2 {
		t.Fatalf("a stopped exporter took an item (dropped %d)", e.Dropped())
	}
}

// An endpoint that never answers: Abort ends the flush at once, and what
// was not sent is counted as dropped.
func TestExporterAbort(t *testing.T) {
	srv := aitest.New(t)
	block := make(chan struct{})
	defer close(block)
	srv.Default = aitest.Answer{Block: block}
	e := newExporter(t, srv, func(o *Options) { o.BatchDelay = time.Hour; o.Timeout = time.Hour; o.FlushTimeout = time.Hour })
	for range 3 {
		e.Track(request("x"))
	}
	e.Stop()
	srv.WaitFor(10*time.Second, "the flush's POST", func(it []aitest.Envelope) bool { return len(it) == 3 })
	e.Abort()
	<-e.Done()
	if e.Sent() != 0 || e.Dropped() != 3 {
		t.Fatalf("sent %d dropped %d", e.Sent(), e.Dropped())
	}
}

// Metrics are aggregated per series and sent once per interval (and at
// Stop).
func TestExporterMetrics(t *testing.T) {
	srv := aitest.New(t)
	e := newExporter(t, srv, func(o *Options) { o.MetricInterval = time.Hour; o.MaxSeries = 2 })
	for _, v := range []float64{1, 2, 3} {
		e.TrackMetric("my-metrics", "Request", v, map[string]string{"API ID": "orders", "Client IP": "10.0.0.1"})
	}
	e.TrackMetric("my-metrics", "Request", 5, map[string]string{"API ID": "users"})
	if e.TrackMetric("my-metrics", "Request", 1, map[string]string{"API ID": "third"}) {
		t.Fatal("a third series past MaxSeries was kept")
	}
	stop(e)
	got := aitest.Of(srv.Items(), "MetricData")
	if len(got) != 2 {
		t.Fatalf("%d metric items", len(got))
	}
	m := got[0]
	pt := m.Data.BaseData["metrics"].([]any)[0].(map[string]any)
	if pt["name"] != "Request" || pt["ns"] != "my-metrics" || pt["value"].(json.Number).String() != "6" || pt["count"].(json.Number).String() != "3" ||
		pt["min"].(json.Number).String() != "1" || pt["max"].(json.Number).String() != "3" || pt["kind"].(json.Number).String() != "1" ||
		m.Prop("API ID") != "orders" || m.Prop("Client IP") != "10.0.0.1" || m.Prop("_MS.AggregationIntervalMs") == "" {
		t.Fatalf("%+v", m)
	}
	if e.Dropped() != 1 {
		t.Fatalf("dropped %d", e.Dropped())
	}
}

// With a token source, each POST carries a bearer token asked for the
// ingestion API's scope.
func TestExporterEntraToken(t *testing.T) {
	srv := aitest.New(t)
	var scopes []string
	var mu sync.Mutex
	e := newExporter(t, srv, func(o *Options) {
		o.Token = func(_ context.Context, scope string) (string, error) {
			mu.Lock()
			scopes = append(scopes, scope)
			mu.Unlock()
			return "tok-123", nil
		}
	})
	e.Track(request("x"))
	srv.WaitFor(10*time.Second, "one item", func(it []aitest.Envelope) bool { return len(it) == 1 })
	if a := srv.Requests()[0].Authorization; a != "Bearer tok-123" {
		t.Fatal(a)
	}
	mu.Lock()
	defer mu.Unlock()
	if scopes[0] != "https://monitor.azure.com//.default" {
		t.Fatal(scopes)
	}
}

// What the exporter reports of a failure never carries the
// instrumentation key, even when the endpoint echoes it.
func TestExporterFailureHidesTheKey(t *testing.T) {
	srv := aitest.New(t)
	srv.Answer(aitest.Answer{Items: map[int]int{0: 400}, Message: "Invalid instrumentation key " + key + " (" + strings.ToUpper(key) + ")"})
	var reasons []string
	var mu sync.Mutex
	e := newExporter(t, srv, func(o *Options) {
		o.BatchDelay = time.Hour
		o.Failed = func(r string, _ int) { mu.Lock(); reasons = append(reasons, r); mu.Unlock() }
	})
	e.Track(request("x"))
	stop(e)
	mu.Lock()
	defer mu.Unlock()
	if len(reasons) != 1 || strings.Contains(strings.ToLower(reasons[0]), key) || !strings.Contains(reasons[0], "REDACTED") {
		t.Fatalf("%q", reasons)
	}
}
