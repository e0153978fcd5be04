package gateway

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"tollgate/engine"
	"tollgate/gateway/h1"
)

// Request tracing on demand, as APIM's trace header does it: the admin API
// mints a short-lived token bound to one API (MintTraceToken); a request to
// that API carrying it in TraceTokenHeader is traced step by step, answered
// with TraceIDHeader, and its trace is kept in a bounded ring of recent
// traces (Traces, Trace), masked like the logs. A token that is expired,
// forged (another process's key, a changed byte) or minted for another API
// traces nothing, and the header is dropped before policies or the backend
// see it in every case.

const (
	// TraceTokenHeader carries a trace token minted by the admin API.
	TraceTokenHeader = "Tollgate-Trace-Token"
	// TraceIDHeader answers a traced request with its trace's id (the
	// request id), to fetch from the admin API.
	TraceIDHeader = "Tollgate-Trace-Id"
	// APIMDebugHeader carries a trace token too, in the header APIM's
	// clients send the token of its listDebugCredentials in; such a
	// request is answered with APIMTraceIDHeader besides TraceIDHeader.
	APIMDebugHeader   = "Apim-Debug-Authorization"
	APIMTraceIDHeader = "Apim-Trace-Id"

	// MaxTraceTokenTTL bounds a trace token's life.
	MaxTraceTokenTTL = time.Hour
	// traceRingSize is how many recent traces are kept.
	traceRingSize = 200
	// maxTraceSteps bounds the steps kept per trace (a retry loop could
	// otherwise record thousands).
	maxTraceSteps = 500
	// maxTraceText bounds one note, variable value or outcome, and
	// maxTraceBytes all of a trace's text: the ring holds at most
	// traceRingSize × maxTraceBytes of it.
	maxTraceText  = 2048
	maxTraceBytes = 64 << 10
)

// traceTokens signs trace tokens with a key made for this process, so a
// token dies with the process that minted it.
type traceTokens struct {
	key [32]byte
}

func newTraceTokens() *traceTokens {
	t := &traceTokens{}
	_, _ = rand.Read(t.key[:])
	return t
}

var b64 = base64.RawURLEncoding

// mint returns a token for api valid until exp: "v1.PAYLOAD.MAC" where
// PAYLOAD is base64url("api|unix-expiry") and MAC its HMAC-SHA256.
func (t *traceTokens) mint(api string, exp time.Time) string {
	payload := b64.EncodeToString([]byte(api + "|" + strconv.FormatInt(exp.Unix(), 10)))
	return "v1." + payload + "." + b64.EncodeToString(t.mac(payload))
}

func (t *traceTokens) mac(payload string) []byte {
	m := hmac.New(sha256.New, t.key[:])
	m.Write([]byte("tollgate trace token\x00"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// check reports whether tok is a token this process minted for api that
// has not expired at now.
func (t *traceTokens) check(tok, api string, now time.Time) bool {
	if len(tok) > 512 {
		return false
	}
	v, rest, ok := strings.Cut(tok, ".")
	if !ok || v != "v1" {
		return false
	}
	payload, sig, ok := strings.Cut(rest, ".")
	if !ok {
		return false
	}
	got, err := b64.DecodeString(sig)
	if err != nil || subtle.ConstantTimeCompare(got, t.mac(payload)) != 1 {
		return false
	}
	raw, err := b64.DecodeString(payload)
	if err != nil {
		return false
	}
	name, exp, ok := strings.Cut(string(raw), "|")
	if !ok || name != api {
		return false
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	return err == nil && now.Before(time.Unix(unix, 0))
}

// MintTraceToken returns a token that traces requests to the API called
// api for ttl (at most MaxTraceTokenTTL), and when it expires.
func (s *Server) MintTraceToken(api string, ttl time.Duration) (string, time.Time, error) {
	if s.Current().API(api) == nil {
		return "", time.Time{}, errors.New("no API called " + strconv.Quote(api))
	}
	if ttl <= 0 || ttl > MaxTraceTokenTTL {
		return "", time.Time{}, errors.New("a trace token lives between 1s and " + MaxTraceTokenTTL.String())
	}
	exp := time.Now().Add(ttl).Truncate(time.Second)
	return s.tokens.mint(api, exp), exp, nil
}

type traceKey struct{}

// frontFields are the request fields gateway/h1 notes as it parses a head
// (Server.NotedFields): the two trace-token fields (notedTrace),
// which ServeHTTP must find and strip, Connection (notedConnection),
// whose list beginWith strips, and the default subscription-key header
// (notedKey), which checkSubscription looks for on every request. A request without them, the usual one, is
// known to have none without a lookup each in its header map.
var frontFields = h1.NewFieldSet(TraceTokenHeader, APIMDebugHeader, "Connection", defaultSubscriptionSettings.Header)

// The bits h1.Noted reports for frontFields' names.
const (
	notedTrace      = 1<<0 | 1<<1
	notedConnection = 1 << 2
	notedKey        = 1 << 3
)

// NotedFields is the set of request fields a front server should note
// while it parses a head (h1.Server takes it from its Handler).
func (s *Server) NotedFields() *h1.FieldSet { return frontFields }

// tracedRequest marks a request whose trace token checked out.
type tracedRequest struct {
	id string // its request id, announced in TraceIDHeader
}

// traceRequested handles a request's trace token: it always removes the
// header (policies and backends never see it), and when the token is valid
// for api it answers with TraceIDHeader and returns r marked for tracing.
func (s *Server) traceRequested(w http.ResponseWriter, r *http.Request, api *API) *http.Request {
	tok := r.Header.Get(TraceTokenHeader)
	apim := false
	if tok == "" {
		tok, apim = r.Header.Get(APIMDebugHeader), true
	}
	r.Header.Del(TraceTokenHeader)
	r.Header.Del(APIMDebugHeader)
	if tok == "" || !s.tokens.check(tok, api.Name, time.Now()) {
		return r
	}
	tr := &tracedRequest{id: s.newID()}
	w.Header().Set(TraceIDHeader, tr.id)
	if apim {
		w.Header().Set(APIMTraceIDHeader, tr.id)
	}
	return r.WithContext(context.WithValue(r.Context(), traceKey{}, tr))
}

// tracedBy returns the request's trace mark, or nil.
func tracedBy(r *http.Request) *tracedRequest {
	tr, _ := r.Context().Value(traceKey{}).(*tracedRequest)
	return tr
}

// RequestTrace is one traced handshake or request, as the admin API and
// the console show it. Every string in it is masked like the logs.
type RequestTrace struct {
	ID       string        `json:"id"`
	API      string        `json:"api"`
	Type     string        `json:"type"`
	Time     time.Time     `json:"time"`
	Method   string        `json:"method"`
	URL      string        `json:"url"` // path and query, secret query values redacted
	Status   int           `json:"status"`
	Duration time.Duration `json:"duration_ns"`
	// Source says why it was traced: "token" (a trace token) or "api"
	// (api.xml trace="true").
	Source    string       `json:"source"`
	Steps     []TracedStep `json:"steps"`
	Truncated bool         `json:"truncated,omitempty"` // more than 500 steps ran, or more than 64 KiB of text
	LastError string       `json:"last_error,omitempty"`
}

// TracedStep is one executed policy step.
type TracedStep struct {
	Path     string          `json:"path"`
	Policy   string          `json:"policy"`
	ID       string          `json:"id,omitempty"`
	Section  string          `json:"section"`
	File     string          `json:"file,omitempty"`
	Line     int             `json:"line,omitempty"`
	Col      int             `json:"col,omitempty"`
	Start    time.Duration   `json:"start_ns"`
	Duration time.Duration   `json:"duration_ns"`
	Outcome  string          `json:"outcome"`
	Branch   string          `json:"branch,omitempty"`
	Vars     []TracedVar     `json:"vars,omitempty"`
	Callouts []TracedCallout `json:"callouts,omitempty"`
	Notes    []string        `json:"notes,omitempty"`
}

// TracedVar is a variable a step set.
type TracedVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// TracedCallout is an HTTP call a step made.
type TracedCallout struct {
	Method   string        `json:"method"`
	URL      string        `json:"url"`
	Status   int           `json:"status"`
	Duration time.Duration `json:"duration_ns"`
	Error    string        `json:"error,omitempty"`
}

// traceRing keeps the most recent traces.
type traceRing struct {
	mu    sync.Mutex
	buf   []*RequestTrace
	next  int
	total int
}

func (r *traceRing) add(t *RequestTrace) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.buf == nil {
		r.buf = make([]*RequestTrace, traceRingSize)
	}
	r.buf[r.next] = t
	r.next = (r.next + 1) % len(r.buf)
	r.total++
}

// list returns the kept traces, newest first.
func (r *traceRing) list() []*RequestTrace {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*RequestTrace
	for i := 1; i <= len(r.buf); i++ {
		t := r.buf[(r.next-i+len(r.buf))%len(r.buf)]
		if t == nil {
			break
		}
		out = append(out, t)
	}
	return out
}

// Traces returns the recent traces, newest first (at most 200).
func (s *Server) Traces() []*RequestTrace { return s.traces.list() }

// Trace returns the recent trace with this id, or nil.
func (s *Server) Trace(id string) *RequestTrace {
	for _, t := range s.traces.list() {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// recordTrace keeps st's trace in the ring, masked: the served
// configuration's secret named values and the request's credentials
// become REDACTED, and secret query values were redacted when recorded.
func (s *Server) recordTrace(api *API, st *engine.State, source string) {
	tr := st.Trace()
	if tr == nil {
		return
	}
	c := st.Context()
	secrets := append(requestCredentials(c.Request), s.secretValues()...)
	// Values a policy obtained at run time and kept under a credential's
	// name (an access token from a negotiate call) are credentials too.
	for _, t := range tr.Steps {
		for _, v := range t.Vars {
			if credentialName(v.Name) {
				secrets = append(secrets, v.Value)
			}
		}
	}
	rt := &RequestTrace{
		ID: c.RequestId, API: api.Name, Type: api.Type, Time: st.Start(), Source: source,
		Duration: time.Since(st.Start()),
	}
	budget := maxTraceBytes
	mask := func(v string) string {
		if budget <= 0 {
			rt.Truncated = true
			return "…"
		}
		v = maskAll(v, secrets)
		v = jwtLike.ReplaceAllString(v, "REDACTED")
		if len(v) > maxTraceText {
			v = strings.ToValidUTF8(v[:maxTraceText], "") + "…"
		}
		budget -= len(v)
		return v
	}
	if req := c.Request; req != nil {
		rt.Method = req.Method
		if u := req.OriginalUrl; u != nil {
			rt.URL = mask(u.Path + engine.RedactQuery(u.QueryString))
		}
	}
	if c.Response != nil {
		rt.Status = c.Response.StatusCode
	}
	if le := c.LastError; le != nil {
		rt.LastError = mask(le.Reason + ": " + le.Message)
	}
	steps := tr.Steps
	if len(steps) > maxTraceSteps {
		steps, rt.Truncated = steps[:maxTraceSteps], true
	}
	rt.Steps = make([]TracedStep, len(steps))
	for i, t := range steps {
		ts := TracedStep{Path: t.Path, Policy: t.Policy, ID: t.ID, Section: t.Section,
			File: s.relFile(t.Pos.File), Line: t.Pos.Line, Col: t.Pos.Col, Start: t.Start, Duration: t.Duration,
			Outcome: mask(t.Outcome), Branch: t.Branch}
		for _, v := range t.Vars {
			ts.Vars = append(ts.Vars, TracedVar{Name: v.Name, Value: mask(v.Value)})
		}
		for _, co := range t.Callouts {
			ts.Callouts = append(ts.Callouts, TracedCallout{Method: co.Method, URL: mask(co.URL),
				Status: co.Status, Duration: co.Duration, Error: mask(co.Error)})
		}
		for _, n := range t.Notes {
			ts.Notes = append(ts.Notes, mask(n))
		}
		rt.Steps[i] = ts
	}
	s.traces.add(rt)
}

// MaskSecrets replaces the served configuration's secret named values in
// text with REDACTED, as the logs do (for the admin API's file view).
func (s *Server) MaskSecrets(text string) string { return maskAll(text, s.secretValues()) }

// Metrics returns the gateway's metrics (the console charts them).
func (s *Server) Metrics() *Metrics { return s.metrics }

// Dir returns the apis folder the gateway serves.
func (s *Server) Dir() string { return s.opt.Dir }

// jwtLike matches a JSON Web Token (header.payload.signature, the header
// starting with {"): a bearer credential wherever it shows up.
var jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)

// credentialName reports whether a variable's name says it holds a
// credential (accessToken, api_key, password, secret, ...).
func credentialName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"token", "secret", "password", "passwd", "apikey", "api_key", "api-key", "credential", "authorization", "signature"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// relFile returns a policy file's path relative to the apis folder, with
// forward slashes (as the admin API's file view takes it).
func (s *Server) relFile(f string) string {
	if f == "" {
		return ""
	}
	if rel, err := filepath.Rel(s.opt.Dir, f); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(f)
}
