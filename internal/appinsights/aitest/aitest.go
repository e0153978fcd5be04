// Package aitest is a fake Application Insights ingestion endpoint for
// tests: an httptest server that takes POST /v2.1/track (and /v2/track)
// as the real one does (gzip or plain, newline-delimited or a JSON array
// of envelopes), checks each envelope's shape, keeps them, and answers
// 200 with {"itemsReceived", "itemsAccepted", "errors"} unless a test
// asks for something else.
package aitest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Envelope is a received telemetry item.
type Envelope struct {
	Name string            `json:"name"`
	Time string            `json:"time"`
	IKey string            `json:"iKey"`
	Tags map[string]string `json:"tags"`
	Data struct {
		BaseType string         `json:"baseType"`
		BaseData map[string]any `json:"baseData"`
	} `json:"data"`
}

// Prop is the baseData property (customDimension) k, or "".
func (e Envelope) Prop(k string) string {
	p, _ := e.Data.BaseData["properties"].(map[string]any)
	s, _ := p[k].(string)
	return s
}

// Str is the baseData field k as a string ("" when absent).
func (e Envelope) Str(k string) string {
	switch v := e.Data.BaseData[k].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// Request is one POST as received.
type Request struct {
	Path, ContentType, ContentEncoding, Authorization string
	Items                                             []Envelope
}

// Answer is what the server answers one POST: Status (default 200), a
// Retry-After header, and per-item statuses (index → status; a 206 lists
// them as errors). Block, when set, holds the answer until it is closed.
// Message is each item error's message (default "rejected by the test").
type Answer struct {
	Status     int
	RetryAfter string
	Items      map[int]int
	Message    string
	Block      chan struct{}
}

// Server is the fake endpoint.
type Server struct {
	*httptest.Server
	t testing.TB

	mu       sync.Mutex
	requests []Request
	answers  []Answer // consumed in order; then Default
	Default  Answer
	arrived  chan struct{}
}

var (
	timeRE     = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?Z$`)
	durationRE = regexp.MustCompile(`^\d+\.\d\d:\d\d:\d\d\.\d{7}$`)
	hexRE      = regexp.MustCompile(`^[0-9a-f]+$`)
)

// New starts a fake endpoint, closed when the test ends.
func New(t testing.TB) *Server {
	s := &Server{t: t, arrived: make(chan struct{}, 1)}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// ConnectionString is a connection string naming this server with key.
func (s *Server) ConnectionString(key string) string {
	return "InstrumentationKey=" + key + ";IngestionEndpoint=" + s.URL + "/;LiveEndpoint=https://live.invalid/"
}

// Answer queues the answers of the next POSTs.
func (s *Server) Answer(a ...Answer) {
	s.mu.Lock()
	s.answers = append(s.answers, a...)
	s.mu.Unlock()
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || (r.URL.Path != "/v2.1/track" && r.URL.Path != "/v2/track") {
		http.Error(w, "not the track API", http.StatusNotFound)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			s.t.Errorf("aitest: bad gzip: %v", err)
			http.Error(w, "bad gzip", http.StatusBadRequest)
			return
		}
		body = zr
	}
	data, err := io.ReadAll(body)
	if err != nil {
		s.t.Errorf("aitest: reading the body: %v", err)
		return
	}
	items, err := decode(data)
	if err != nil {
		s.t.Errorf("aitest: %v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for i, e := range items {
		if msg := check(e); msg != "" {
			s.t.Errorf("aitest: item %d (%s): %s", i, e.Name, msg)
		}
	}
	s.mu.Lock()
	a := s.Default
	if len(s.answers) > 0 {
		a, s.answers = s.answers[0], s.answers[1:]
	}
	s.requests = append(s.requests, Request{Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"),
		ContentEncoding: r.Header.Get("Content-Encoding"), Authorization: r.Header.Get("Authorization"), Items: items})
	s.mu.Unlock()
	select {
	case s.arrived <- struct{}{}:
	default:
	}
	if a.Block != nil {
		select {
		case <-a.Block:
		case <-r.Context().Done():
			return
		}
	}
	if a.RetryAfter != "" {
		w.Header().Set("Retry-After", a.RetryAfter)
	}
	status := a.Status
	if status == 0 {
		status = http.StatusOK
		if len(a.Items) > 0 {
			status = http.StatusPartialContent
		}
	}
	type itemError struct {
		Index      int    `json:"index"`
		StatusCode int    `json:"statusCode"`
		Message    string `json:"message"`
	}
	resp := struct {
		ItemsReceived int         `json:"itemsReceived"`
		ItemsAccepted int         `json:"itemsAccepted"`
		Errors        []itemError `json:"errors"`
	}{ItemsReceived: len(items), ItemsAccepted: len(items), Errors: []itemError{}}
	for i := range items {
		if code, ok := a.Items[i]; ok {
			resp.ItemsAccepted--
			msg := a.Message
			if msg == "" {
				msg = "rejected by the test"
			}
			resp.Errors = append(resp.Errors, itemError{Index: i, StatusCode: code, Message: msg})
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(resp)
}

// decode reads a JSON array of envelopes, or newline-delimited ones.
func decode(data []byte) ([]Envelope, error) {
	data = bytes.TrimSpace(data)
	var out []Envelope
	if len(data) > 0 && data[0] == '[' {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&out); err != nil {
			return nil, fmt.Errorf("not a JSON array of envelopes: %v", err)
		}
		return out, nil
	}
	for ln := range bytes.SplitSeq(data, []byte("\n")) {
		if len(bytes.TrimSpace(ln)) == 0 {
			continue
		}
		var e Envelope
		dec := json.NewDecoder(bytes.NewReader(ln))
		dec.UseNumber()
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("not an envelope per line: %v", err)
		}
		out = append(out, e)
	}
	return out, nil
}

// check is what the ingestion endpoint requires of an envelope (the data
// contracts' required fields), "" when it is well formed.
func check(e Envelope) string {
	if !timeRE.MatchString(e.Time) {
		return "time " + e.Time + " is not ISO 8601 UTC"
	}
	if len(e.IKey) != 36 {
		return "no iKey"
	}
	bd := e.Data.BaseData
	if v, ok := bd["ver"].(json.Number); !ok || v.String() != "2" {
		return "ver is not 2"
	}
	req := func(keys ...string) string {
		for _, k := range keys {
			if _, ok := bd[k]; !ok {
				return "no " + k
			}
		}
		return ""
	}
	want := map[string]string{"RequestData": "Microsoft.ApplicationInsights.Request",
		"RemoteDependencyData": "Microsoft.ApplicationInsights.RemoteDependency", "MessageData": "Microsoft.ApplicationInsights.Message",
		"ExceptionData": "Microsoft.ApplicationInsights.Exception", "MetricData": "Microsoft.ApplicationInsights.Metric"}
	if n, ok := want[e.Data.BaseType]; !ok || n != e.Name {
		return "baseType " + e.Data.BaseType + " with name " + e.Name
	}
	if id := e.Tags["ai.operation.id"]; id != "" && (len(id) != 32 || !hexRE.MatchString(id)) {
		return "ai.operation.id " + id + " is not a W3C trace id"
	}
	switch e.Data.BaseType {
	case "RequestData":
		if m := req("id", "name", "duration", "responseCode", "success"); m != "" {
			return m
		}
		if d, _ := bd["duration"].(string); !durationRE.MatchString(d) {
			return "duration " + d + " is not d.hh:mm:ss.fffffff"
		}
		if _, ok := bd["responseCode"].(string); !ok {
			return "responseCode is not a string"
		}
	case "RemoteDependencyData":
		if m := req("name", "duration", "success"); m != "" {
			return m
		}
		if d, _ := bd["duration"].(string); !durationRE.MatchString(d) {
			return "duration " + d + " is not d.hh:mm:ss.fffffff"
		}
	case "MessageData":
		return req("message", "severityLevel")
	case "ExceptionData":
		ex, _ := bd["exceptions"].([]any)
		if len(ex) == 0 {
			return "no exceptions"
		}
		for _, x := range ex {
			m, _ := x.(map[string]any)
			if m["typeName"] == nil || m["message"] == nil {
				return "an exception without typeName or message"
			}
		}
	case "MetricData":
		ms, _ := bd["metrics"].([]any)
		if len(ms) == 0 {
			return "no metrics"
		}
	}
	return ""
}

// Requests are the POSTs received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Items are the envelopes received so far, in order.
func (s *Server) Items() []Envelope {
	var out []Envelope
	for _, r := range s.Requests() {
		out = append(out, r.Items...)
	}
	return out
}

// WaitFor waits until ok holds for the envelopes received (checking as
// each POST arrives) and returns them; it fails the test after within
// passes.
func (s *Server) WaitFor(within time.Duration, what string, ok func([]Envelope) bool) []Envelope {
	s.t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		items := s.Items()
		if ok(items) {
			return items
		}
		select {
		case <-s.arrived:
		case <-time.After(20 * time.Millisecond):
		case <-deadline.C:
			s.t.Fatalf("aitest: no %s after %s; received %d item(s): %s", what, within, len(items), Summary(items))
			return nil
		}
	}
}

// Of are the envelopes of baseType t.
func Of(items []Envelope, t string) []Envelope {
	var out []Envelope
	for _, e := range items {
		if e.Data.BaseType == t {
			out = append(out, e)
		}
	}
	return out
}

// Summary lists items briefly, for failure messages.
func Summary(items []Envelope) string {
	var b strings.Builder
	for _, e := range items {
		fmt.Fprintf(&b, "\n  %s %v", e.Data.BaseType, e.Data.BaseData["name"])
	}
	return b.String()
}
