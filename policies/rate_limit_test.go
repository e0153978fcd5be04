package policies

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"tollgate/engine"
	"tollgate/store"
)

// apiRequest is request() for another API name.
func apiRequest(api string, hdr ...string) *engine.State {
	u, _ := url.Parse("http://gw/x")
	h := http.Header{}
	for i := 0; i+1 < len(hdr); i += 2 {
		h.Add(hdr[i], hdr[i+1])
	}
	s := engine.AcquireState(&engine.Api{Name: api, Type: "http", Path: "/x", ServiceUrl: "http://127.0.0.1:1/"})
	s.SetRequest(http.MethodGet, u.Scheme, u.Host, u, h, "10.1.2.3")
	return s
}

// admit runs inbound and fails the test if it ended the pipeline.
func admit(t *testing.T, plan *engine.Plan, s *engine.State, what string) {
	t.Helper()
	if runInbound(plan, s) {
		t.Fatalf("%s: rejected: %d %+v", what, s.Response().StatusCode, s.LastError())
	}
}

// reject runs inbound and checks the status and reason of the rejection;
// it returns the body and the Retry-After seconds (0 when absent).
func reject(t *testing.T, plan *engine.Plan, s *engine.State, status int, reason, what string) (string, int) {
	t.Helper()
	if !runInbound(plan, s) {
		t.Fatalf("%s: admitted, want %d", what, status)
	}
	r := s.Response()
	if r.StatusCode != status || s.LastError() == nil || s.LastError().Reason != reason {
		t.Fatalf("%s: got %d %+v, want %d %s", what, r.StatusCode, s.LastError(), status, reason)
	}
	body, _ := r.Body.AsString()
	ra := 0
	if v := r.Headers.GetValueOrDefault("Retry-After", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s: Retry-After = %q", what, v)
		}
		ra = n
	}
	return body, ra
}

var rateBody = regexp.MustCompile(`^\{"statusCode":429,"message":"Rate limit is exceeded\. Try again in (\d+) seconds\."\}$`)

func TestRateLimit(t *testing.T) {
	const src = `<policies><inbound>
<rate-limit calls="3" renewal-period="60" remaining-calls-variable-name="left" retry-after-variable-name="wait"
  remaining-calls-header-name="X-Left" total-calls-header-name="X-Total"/>
</inbound><backend/><outbound/>
<on-error><set-header name="X-Err" exists-action="override"><value>@(context.LastError.Reason)</value></set-header></on-error>
</policies>`
	d := testDeps()
	plan := compile(t, d, src)
	for i := range 3 {
		s := request("ws://gw/chat")
		admit(t, plan, s, fmt.Sprintf("call %d", i+1))
		if got := s.Variables()["left"]; got != 2-i {
			t.Errorf("call %d: left = %#v, want %d", i+1, got, 2-i)
		}
		h := s.ResponseHeaders()
		if h.GetValueOrDefault("X-Left", "") != strconv.Itoa(2-i) || h.GetValueOrDefault("X-Total", "") != "3" {
			t.Errorf("call %d: response headers = %v", i+1, h)
		}
		s.Release()
	}
	s := request("ws://gw/chat")
	body, ra := reject(t, plan, s, 429, engine.ReasonRateLimitExceeded, "call 4")
	m := rateBody.FindStringSubmatch(body)
	if m == nil || m[1] != strconv.Itoa(ra) || ra < 1 || ra > 120 { // a sliding window may ask for up to two windows
		t.Errorf("body = %s, Retry-After = %d", body, ra)
	}
	if s.Variables()["wait"] != ra || s.Variables()["left"] != 0 {
		t.Errorf("variables = %v", s.Variables())
	}
	if s.Response().Headers.GetValueOrDefault("X-Err", "") != engine.ReasonRateLimitExceeded {
		t.Errorf("on-error did not see LastError: %v", s.Response().Headers)
	}
	if s.ResponseHeaders().GetValueOrDefault("X-Left", "") != "0" {
		t.Errorf("response headers = %v", s.ResponseHeaders())
	}
	s.Release()

	// Another API has its own counter.
	s = apiRequest("other")
	admit(t, plan, s, "other API")
	s.Release()

	// A reload compiles the same document again: the counters carry over.
	plan2 := compile(t, d, src)
	s = request("ws://gw/chat")
	reject(t, plan2, s, 429, engine.ReasonRateLimitExceeded, "after reload")
	s.Release()
	for i := range 2 {
		s = apiRequest("other")
		admit(t, plan2, s, fmt.Sprintf("other API after reload %d", i))
		s.Release()
	}
	s = apiRequest("other")
	reject(t, plan2, s, 429, engine.ReasonRateLimitExceeded, "other API, 4th")
	s.Release()
}

func TestRateLimitKeys(t *testing.T) {
	d := testDeps()
	// Two rate-limits in one document count separately; an id keeps the
	// counter when the element moves.
	a := compile(t, d, `<rate-limit calls="1" renewal-period="60"/><rate-limit id="b" calls="2" renewal-period="60"/>`)
	s := request("ws://gw/chat")
	admit(t, a, s, "first")
	s.Release()
	s = request("ws://gw/chat")
	reject(t, a, s, 429, engine.ReasonRateLimitExceeded, "second")
	if le := s.LastError(); le.Path != "inbound/rate-limit[1]" {
		t.Errorf("LastError.Path = %q", le.Path)
	}
	s.Release()
	moved := compile(t, d, `<rate-limit id="b" calls="2" renewal-period="60"/>`)
	s = request("ws://gw/chat")
	admit(t, moved, s, "moved element, second call")
	s.Release()
	s = request("ws://gw/chat")
	reject(t, moved, s, 429, engine.ReasonRateLimitExceeded, "moved element with its id")
	s.Release()
}

func TestRateLimitByKey(t *testing.T) {
	d := testDeps()
	plan := compile(t, d, `<rate-limit-by-key calls="@(1 + 1)" renewal-period="60" counter-key="@(context.Request.Headers.GetValueOrDefault("X-Key", "anon"))" remaining-calls-variable-name="left"/>`)
	for _, tc := range []struct {
		api, key string
		ok       bool
		left     int
	}{
		{"test", "a", true, 1},
		{"test", "a", true, 0},
		{"test", "a", false, 0},
		{"test", "b", true, 1},
		{"other", "b", true, 0}, // one counter per key across APIs, as APIM
		{"test", "b", false, 0},
		{"other", "c", true, 1},
	} {
		s := apiRequest(tc.api, "X-Key", tc.key)
		what := tc.api + "/" + tc.key
		if tc.ok {
			admit(t, plan, s, what)
		} else {
			body, ra := reject(t, plan, s, 429, engine.ReasonRateLimitExceeded, what)
			if !rateBody.MatchString(body) || ra < 1 {
				t.Errorf("%s: body %s, Retry-After %d", what, body, ra)
			}
		}
		if s.Variables()["left"] != tc.left {
			t.Errorf("%s: left = %#v, want %d", what, s.Variables()["left"], tc.left)
		}
		s.Release()
	}
}

// With an increment-condition, inbound only checks and the count happens
// at the end: requests admitted before the first one finishes all pass, so
// the 429 comes one call late, as in APIM.
func TestRateLimitByKeyIncrementCondition(t *testing.T) {
	ctx := context.Background()
	plan := compile(t, testDeps(), `<rate-limit-by-key calls="1" renewal-period="60" counter-key="@(context.Request.Headers.GetValueOrDefault("X-Key", ""))" increment-condition="@(context.Response.StatusCode == 200)"/>`)
	finish := func(s *engine.State, status int) {
		s.SetResponse(engine.NewResponse(status))
		s.Finish(ctx)
		s.Release()
	}
	s1, s2 := request("ws://gw/chat", "X-Key", "a"), request("ws://gw/chat", "X-Key", "a")
	admit(t, plan, s1, "first")
	admit(t, plan, s2, "second, before the first is counted")
	finish(s1, 200)
	finish(s2, 200)
	s := request("ws://gw/chat", "X-Key", "a")
	reject(t, plan, s, 429, engine.ReasonRateLimitExceeded, "third")
	s.Release()

	// Responses that fail the condition are not counted.
	for i := range 3 {
		s := request("ws://gw/chat", "X-Key", "b")
		admit(t, plan, s, fmt.Sprintf("failed call %d", i))
		finish(s, 500)
	}

	// An expression increment-count is counted at the end as well: with 3
	// calls and 2 per request, the second request is still admitted.
	plan = compile(t, testDeps(), `<rate-limit-by-key calls="3" renewal-period="60" counter-key="k" increment-count="@(2)"/>`)
	for i := range 2 {
		s := request("ws://gw/chat")
		admit(t, plan, s, fmt.Sprintf("weighted %d", i))
		finish(s, 200)
	}
	s = request("ws://gw/chat")
	reject(t, plan, s, 429, engine.ReasonRateLimitExceeded, "weighted 3")
	s.Release()

	// A constant increment-count counts in inbound: the second is rejected.
	plan = compile(t, testDeps(), `<rate-limit-by-key calls="3" renewal-period="60" counter-key="k" increment-count="2"/>`)
	s = request("ws://gw/chat")
	admit(t, plan, s, "constant weight 1")
	s.Release()
	s = request("ws://gw/chat")
	reject(t, plan, s, 429, engine.ReasonRateLimitExceeded, "constant weight 2")
	s.Release()
}

func TestLimitLoadErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`<rate-limit renewal-period="60"/>`,
			`policy.xml:1:20: inbound/rate-limit[1]: <rate-limit> needs the attribute "calls"`},
		{`<rate-limit calls="x" renewal-period="60"/>`,
			`policy.xml:1:39: inbound/rate-limit[1]: attribute "calls" must be a whole number, not "x"`},
		{`<rate-limit calls="5" renewal-period="301"/>`,
			`policy.xml:1:58: inbound/rate-limit[1]: attribute "renewal-period" must be between 1 and 300, not 301`},
		{`<rate-limit calls="5" renewal-period="@(60)"/>`,
			`policy.xml:1:58: inbound/rate-limit[1]: attribute "renewal-period" does not take expressions`},
		{`<rate-limit calls="5" renewal-period="60"><api calls="1" renewal-period="1"/></rate-limit>`,
			`policy.xml:1:62: inbound/rate-limit[1]/api[1]: <api> needs the attribute "name" or "id" (the API it limits)`},
		{`<rate-limit calls="5" renewal-period="60"><api name="a" renewal-period="1"/></rate-limit>`,
			`policy.xml:1:62: inbound/rate-limit[1]/api[1]: <api> needs the attribute "calls"`},
		{`<rate-limit calls="5" renewal-period="60"><api name="a" calls="1" renewal-period="301"/></rate-limit>`,
			`policy.xml:1:102: inbound/rate-limit[1]/api[1]: attribute "renewal-period" must be between 1 and 300, not 301`},
		{`<rate-limit calls="5" renewal-period="60"><operation name="a" calls="1" renewal-period="1"/></rate-limit>`,
			`policy.xml:1:62: inbound/rate-limit[1]: <operation> inside <rate-limit> goes inside the <api> of its API: <api name="…"><operation name="…" …/></api>`},
		{`<rate-limit calls="5" renewal-period="60"><api name="a" calls="1" renewal-period="1"/><api name="a" calls="2" renewal-period="1"/></rate-limit>`,
			`policy.xml:1:106: inbound/rate-limit[1]/api[2]: a second <api> for the API name "a": give each API one <api>`},
		{`<rate-limit calls="5" renewal-period="60"><api id="a" calls="1" renewal-period="1"><operation id="o" calls="1" renewal-period="1"/><operation id="o" name="x" calls="1" renewal-period="1"/></api></rate-limit>`,
			`policy.xml:1:151: inbound/rate-limit[1]/api[1]/operation[2]: a second <operation> for the operation id "o" in this <api>`},
		{`<rate-limit calls="5" renewal-period="60"><api id="a" calls="1" renewal-period="1"><set-header name="x"/></api></rate-limit>`,
			`policy.xml:1:103: inbound/rate-limit[1]/api[1]: unexpected element <set-header> inside <api>`},
		{`<rate-limit calls="5" renewal-period="60"><api id="a" calls="1" renewal-period="1" bandwidth="2"/></rate-limit>`,
			`policy.xml:1:103: inbound/rate-limit[1]/api[1]: <api> has no attribute "bandwidth" (known: calls, id, name, renewal-period)`},
		{`<quota calls="5" renewal-period="60"><api name="a" renewal-period="60"/></quota>`,
			`policy.xml:1:57: inbound/quota[1]/api[1]: <api> needs the attribute "calls" or "bandwidth" (or both)`},
		{`<quota calls="5" renewal-period="60"><api name="a" calls="1"><operation name="b" bandwidth="1" renewal-period="0"/></api></quota>`,
			`policy.xml:1:57: inbound/quota[1]/api[1]: <api> needs the attribute "renewal-period"`},
		{`<quota-by-key calls="5" renewal-period="60" counter-key="k"><api name="a" calls="1" renewal-period="60"/></quota-by-key>`,
			`policy.xml:1:80: inbound/quota-by-key[1]: unexpected element <api> inside <quota-by-key>`},
		{`<rate-limit-by-key calls="5" renewal-period="60" counter-key="k"><api name="a" calls="1" renewal-period="60"/></rate-limit-by-key>`,
			`policy.xml:1:85: inbound/rate-limit-by-key[1]: unexpected element <api> inside <rate-limit-by-key>`},
		{`<rate-limit calls="5" renewal-period="60" fail-open="maybe"/>`,
			`policy.xml:1:73: inbound/rate-limit[1]: attribute "fail-open" must be true or false, not "maybe"`},
		{`<rate-limit calls="5" renewal-period="60" remaining-calls-header-name="bad name"/>`,
			`policy.xml:1:91: inbound/rate-limit[1]: attribute "remaining-calls-header-name" must be a header name, not "bad name"`},
		{`<rate-limit calls="5" renewal-period="60" counter-key="k"/>`,
			`policy.xml:1:62: inbound/rate-limit[1]: <rate-limit> has no attribute "counter-key" (known: calls, fail-open, remaining-calls-header-name, remaining-calls-variable-name, renewal-period, retry-after-header-name, retry-after-variable-name, total-calls-header-name)`},
		{`<policies><inbound/><backend/><outbound><rate-limit calls="5" renewal-period="60"/></outbound></policies>`,
			`policy.xml:1:41: outbound/rate-limit[1]: <rate-limit> is not allowed in outbound (allowed in: inbound)`},
		{`<rate-limit-by-key calls="5" renewal-period="60"/>`,
			`policy.xml:1:20: inbound/rate-limit-by-key[1]: <rate-limit-by-key> needs the attribute "counter-key"`},
		{`<rate-limit-by-key calls="5" renewal-period="60" counter-key=""/>`,
			`policy.xml:1:82: inbound/rate-limit-by-key[1]: attribute "counter-key" must not be empty`},
		{`<rate-limit-by-key calls="5" renewal-period="600" counter-key="k"/>`,
			`policy.xml:1:65: inbound/rate-limit-by-key[1]: attribute "renewal-period" must be between 1 and 300, not 600`},
		{`<rate-limit-by-key calls="5" renewal-period="60" counter-key="k" increment-condition="@(1)"/>`,
			`policy.xml:1:106: inbound/rate-limit-by-key[1]: expression yields int, but this value must be a bool`},
		{`<quota renewal-period="60"/>`,
			`policy.xml:1:20: inbound/quota[1]: <quota> needs the attribute "calls" or "bandwidth" (or both)`},
		{`<quota calls="5"/>`,
			`policy.xml:1:20: inbound/quota[1]: <quota> needs the attribute "renewal-period"`},
		{`<quota calls="0" renewal-period="60"/>`,
			`policy.xml:1:34: inbound/quota[1]: attribute "calls" must be at least 1, not 0`},
		{`<quota calls="@(5)" renewal-period="60"/>`,
			`policy.xml:1:34: inbound/quota[1]: attribute "calls" does not take expressions`},
		{`<quota-by-key calls="5" renewal-period="60"/>`,
			`policy.xml:1:20: inbound/quota-by-key[1]: <quota-by-key> needs the attribute "counter-key"`},
		{`<quota-by-key calls="5" renewal-period="60" counter-key="k" first-period-start="yesterday"/>`,
			`policy.xml:1:100: inbound/quota-by-key[1]: attribute "first-period-start" must be a time such as 2024-01-01T00:00:00Z, not "yesterday"`},
		{`<limit-concurrency counter-key="k"/>`,
			`policy.xml:1:20: inbound/limit-concurrency[1]: <limit-concurrency> needs the attribute "max-count"`},
		{`<limit-concurrency counter-key="k" max-count="0"/>`,
			`policy.xml:1:66: inbound/limit-concurrency[1]: attribute "max-count" must be between 1 and 2147483647, not 0`},
		{`<limit-concurrency counter-key="k" max-count="2" lease-seconds="0"/>`,
			`policy.xml:1:84: inbound/limit-concurrency[1]: attribute "lease-seconds" must be between 1 and 86400, not 0`},
		{`<limit-concurrency counter-key="k" max-count="2" failed-httpcode="200"/>`,
			`policy.xml:1:86: inbound/limit-concurrency[1]: attribute "failed-httpcode" must be between 400 and 599, not 200`},
	} {
		_, errs := compileErrs(testDeps(), tc.src)
		var got []string
		for _, e := range errs {
			got = append(got, e.Error())
		}
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s:\n got  %q\n want %q", tc.src, got, tc.want)
		}
	}
}

// failingStore fails every call as an unreachable store does.
type failingStore struct{}

func (failingStore) err(op string) error { return fmt.Errorf("fake %s: %w", op, store.ErrUnavailable) }
func (f failingStore) RateLimit(context.Context, string, int64, time.Duration, int64) (store.Decision, error) {
	return store.Decision{}, f.err("ratelimit")
}
func (f failingStore) Quota(context.Context, string, int64, time.Duration, time.Time, int64) (store.Decision, error) {
	return store.Decision{}, f.err("quota")
}
func (f failingStore) Acquire(context.Context, string, int64, time.Duration) (store.Lease, store.Decision, error) {
	return nil, store.Decision{}, f.err("acquire")
}
func (f failingStore) CacheGet(context.Context, string) ([]byte, bool, error) {
	return nil, false, f.err("get")
}
func (f failingStore) CacheSet(context.Context, string, []byte, time.Duration) error {
	return f.err("set")
}
func (f failingStore) CacheDelete(context.Context, string) error { return f.err("delete") }
func (f failingStore) CacheTake(context.Context, string) ([]byte, bool, error) {
	return nil, false, f.err("take")
}
func (f failingStore) CacheListPush(context.Context, string, []byte, time.Duration, int) error {
	return f.err("list push")
}
func (f failingStore) CacheList(context.Context, string) ([][]byte, error) {
	return nil, f.err("list")
}
func (failingStore) Close() error { return nil }

// blockingStore hangs on every call, as a stalled Redis does, until its own
// per-call deadline ends it: the store, not the policy, bounds its calls.
type blockingStore struct{ failingStore }

func wait(ctx context.Context, op string) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	<-ctx.Done()
	return fmt.Errorf("blocked %s: %w: %w", op, store.ErrUnavailable, ctx.Err())
}
func (blockingStore) RateLimit(ctx context.Context, _ string, _ int64, _ time.Duration, _ int64) (store.Decision, error) {
	return store.Decision{}, wait(ctx, "ratelimit")
}
func (blockingStore) Quota(ctx context.Context, _ string, _ int64, _ time.Duration, _ time.Time, _ int64) (store.Decision, error) {
	return store.Decision{}, wait(ctx, "quota")
}
func (blockingStore) Acquire(ctx context.Context, _ string, _ int64, _ time.Duration) (store.Lease, store.Decision, error) {
	return nil, store.Decision{}, wait(ctx, "acquire")
}

func TestLimitStoreFailures(t *testing.T) {
	policies := map[string]string{
		"rate-limit":        `<rate-limit calls="5" renewal-period="60" %s/>`,
		"rate-limit-by-key": `<rate-limit-by-key calls="5" renewal-period="60" counter-key="k" %s/>`,
		"quota":             `<quota calls="5" bandwidth="10" renewal-period="60" %s/>`,
		"quota-by-key":      `<quota-by-key calls="5" renewal-period="60" counter-key="k" %s/>`,
		"limit-concurrency": `<limit-concurrency counter-key="k" max-count="5" %s/>`,
	}
	stores := map[string]store.Store{"failing": failingStore{}, "blocking": blockingStore{}}
	for name, tmpl := range policies {
		for sname, st := range stores {
			for _, failOpen := range []bool{true, false} {
				attr := ""
				if !failOpen {
					attr = `fail-open="false"`
				}
				t.Run(fmt.Sprintf("%s/%s/fail-open=%v", name, sname, failOpen), func(t *testing.T) {
					core, logs := observer.New(zapcore.WarnLevel)
					var mu sync.Mutex
					var reported []string
					d := Deps{Store: st, Log: zap.New(core),
						OnStoreError: func(policy string, err error) {
							mu.Lock()
							reported = append(reported, policy)
							mu.Unlock()
						}}
					plan := compile(t, d, fmt.Sprintf(tmpl, attr))
					s := request("ws://gw/chat")
					defer s.Release()
					start := time.Now()
					stopped := runInbound(plan, s)
					if el := time.Since(start); el > 5*time.Second {
						t.Fatalf("the store's deadline did not end the call: %v", el)
					}
					if failOpen {
						if stopped {
							t.Fatalf("fail-open rejected: %d %+v", s.Response().StatusCode, s.LastError())
						}
					} else {
						r := s.Response()
						body, _ := r.Body.AsString()
						if !stopped || r.StatusCode != 503 || s.LastError().Reason != engine.ReasonStoreUnavailable || !strings.Contains(body, "Service unavailable") {
							t.Fatalf("fail-closed: stopped=%v %d %+v %s", stopped, r.StatusCode, s.LastError(), body)
						}
					}
					mu.Lock()
					defer mu.Unlock()
					if len(reported) == 0 || reported[0] != name {
						t.Errorf("OnStoreError calls: %v", reported)
					}
					entries := logs.FilterField(zap.String("policy", name)).All()
					if len(entries) == 0 || entries[0].Level != zapcore.WarnLevel {
						t.Errorf("no warning logged: %v", logs.All())
					} else if e := entries[0].ContextMap()["error"]; e == nil || !strings.Contains(fmt.Sprint(e), "store unavailable") {
						t.Errorf("warning without the error: %v", entries[0].ContextMap())
					}
				})
			}
		}
	}
}

// BenchmarkRateLimitByKey measures one admitted rate-limit-by-key step with
// an expression key against the memory store.
func BenchmarkRateLimitByKey(b *testing.B) {
	plan := compile(b, testDeps(), `<rate-limit-by-key calls="1000000000" renewal-period="60" counter-key="@(context.Request.IpAddress)" remaining-calls-variable-name="left"/>`)
	b.Run("serial", func(b *testing.B) {
		s := request("ws://gw/chat")
		defer s.Release()
		b.ReportAllocs()
		for b.Loop() {
			if runInbound(plan, s) {
				b.Fatal(s.LastError())
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		var n sync.Mutex
		i := 0
		b.RunParallel(func(pb *testing.PB) {
			n.Lock()
			i++
			ip := fmt.Sprintf("10.0.%d.%d", i/256, i%256)
			n.Unlock()
			u, _ := url.Parse("ws://gw/chat")
			s := engine.AcquireState(&engine.Api{Name: "test"})
			s.SetRequest(http.MethodGet, "ws", "gw", u, http.Header{}, ip)
			defer s.Release()
			for pb.Next() {
				if runInbound(plan, s) {
					b.Error(s.LastError())
					return
				}
			}
		})
	})
}
