package policies

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tollgate/engine"
	"tollgate/store"
)

func TestCacheStoreLookupTypes(t *testing.T) {
	d := testDeps()
	store := compile(t, d, `
<cache-store-value key="s" value="abc" duration="60"/>
<cache-store-value key="i" value="@(40 + 2)" duration="60"/>
<cache-store-value key="f" value="@(1.5)" duration="60"/>
<cache-store-value key="b" value="@(true)" duration="60"/>
<cache-store-value key="m" value="@({"a": 1, "b": "x", "l": [1, "two"]})" duration="60"/>
<cache-store-value key="l" value="@(["x", "y"])" duration="60"/>
<cache-store-value key="n" value="@(nil)" duration="60"/>
<cache-store-value key="@("k-" + context.Request.Url.Query.GetValueOrDefault("u", ""))" value="@(context.Request.Url.Query.GetValueOrDefault("u", ""))" duration="60" caching-type="internal"/>`)
	s := request("ws://gw/chat?u=alice")
	if runInbound(store, s) {
		t.Fatalf("store: %+v", s.LastError())
	}
	s.Release()

	lookup := compile(t, d, `
<cache-lookup-value key="s" variable-name="s"/>
<cache-lookup-value key="i" variable-name="i"/>
<cache-lookup-value key="f" variable-name="f"/>
<cache-lookup-value key="b" variable-name="b"/>
<cache-lookup-value key="m" variable-name="m"/>
<cache-lookup-value key="l" variable-name="l"/>
<cache-lookup-value key="n" variable-name="n" default-value="not nil"/>
<cache-lookup-value key="k-alice" variable-name="user" caching-type="external"/>
<set-variable name="sum" value="@(context.Variables["i"] + 1)"/>`)
	s = request("ws://gw/chat")
	defer s.Release()
	if runInbound(lookup, s) {
		t.Fatalf("lookup: %+v", s.LastError())
	}
	want := map[string]any{
		"s": "abc", "i": 42, "f": 1.5, "b": true,
		"m": map[string]any{"a": 1.0, "b": "x", "l": []any{1.0, "two"}},
		"l": []any{"x", "y"}, "n": nil, "user": "alice", "sum": 43,
	}
	for k, w := range want {
		got, ok := s.Variables()[k]
		if !ok || !reflect.DeepEqual(got, w) {
			t.Errorf("%s = %#v (set %v), want %#v", k, got, ok, w)
		}
	}
}

func TestCacheMissDefaultRemove(t *testing.T) {
	d := testDeps()
	plan := compile(t, d, `
<cache-lookup-value key="absent" variable-name="none"/>
<cache-lookup-value key="absent" variable-name="dflt" default-value="@(7)"/>
<cache-store-value key="gone" value="x" duration="60"/>
<cache-remove-value key="gone"/>
<cache-lookup-value key="gone" variable-name="gone"/>
<set-variable name="has" value="@(context.Variables.ContainsKey("none"))"/>`)
	s := request("ws://gw/chat")
	defer s.Release()
	if runInbound(plan, s) {
		t.Fatalf("%+v", s.LastError())
	}
	v := s.Variables()
	if _, ok := v["none"]; ok {
		t.Errorf("a miss without default-value set the variable: %v", v)
	}
	if _, ok := v["gone"]; ok {
		t.Errorf("removed value still found: %v", v)
	}
	if v["dflt"] != 7 || v["has"] != false {
		t.Errorf("variables = %v", v)
	}
}

// remove="true": a single-use value. The first lookup takes it, the next
// one misses; of many concurrent requests exactly one gets it; a plain
// lookup leaves the value in place.
func TestCacheLookupRemove(t *testing.T) {
	d := testDeps()
	put := compile(t, d, `<cache-store-value key="@("once-" + context.Request.Url.Query.GetValueOrDefault("k", ""))" value="@({"backend": "ws://svc/?id=1"})" duration="60"/>`)
	take := compile(t, d, `
<cache-lookup-value key="@("once-" + context.Request.Url.Query.GetValueOrDefault("k", ""))" variable-name="v" remove="true"/>
<set-variable name="hit" value="@(context.Variables.ContainsKey("v"))"/>`)
	peek := compile(t, d, `<cache-lookup-value key="@("once-" + context.Request.Url.Query.GetValueOrDefault("k", ""))" variable-name="v"/>`)
	run := func(plan *engine.Plan, url string) map[string]any {
		s := request(url)
		defer s.Release()
		if runInbound(plan, s) {
			t.Fatalf("%+v", s.LastError())
		}
		return maps.Clone(s.Variables())
	}
	run(put, "ws://gw/chat?k=a")
	if v := run(peek, "ws://gw/chat?k=a"); v["v"] == nil {
		t.Fatalf("plain lookup missed: %v", v)
	}
	v := run(take, "ws://gw/chat?k=a")
	if !reflect.DeepEqual(v["v"], map[string]any{"backend": "ws://svc/?id=1"}) || v["hit"] != true {
		t.Fatalf("first take: %v", v)
	}
	if v := run(take, "ws://gw/chat?k=a"); v["hit"] != false {
		t.Fatalf("second take: %v, want a miss", v)
	}
	if v := run(peek, "ws://gw/chat?k=a"); v["v"] != nil {
		t.Fatalf("the taken value is still there: %v", v)
	}

	run(put, "ws://gw/chat?k=b")
	var hits atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			s := request("ws://gw/chat?k=b")
			defer s.Release()
			if runInbound(take, s) {
				t.Errorf("%+v", s.LastError())
			}
			if s.Variables()["hit"] == true {
				hits.Add(1)
			}
		})
	}
	wg.Wait()
	if n := hits.Load(); n != 1 {
		t.Fatalf("%d concurrent takes hit, want exactly 1", n)
	}
}

func TestCacheTTLAndRecompile(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	d := Deps{Store: store.NewMemory(store.WithClock(clock))}
	doc := `
<cache-lookup-value key="c" variable-name="c" default-value="@(0)"/>
<cache-store-value key="c" value="@(context.Variables["c"] + 1)" duration="10"/>`
	run := func() any {
		plan := compile(t, d, doc) // recompiled each time: a config reload
		s := request("ws://gw/chat")
		defer s.Release()
		if runInbound(plan, s) {
			t.Fatalf("%+v", s.LastError())
		}
		return s.Variables()["c"]
	}
	for i, want := range []int{0, 1, 2} {
		if got := run(); got != want {
			t.Fatalf("run %d: c = %v, want %d", i, got, want)
		}
	}
	now.Add(int64(11 * time.Second))
	if got := run(); got != 0 {
		t.Errorf("after the ttl: c = %v, want 0 (expired)", got)
	}
}

// cacheDownStore fails every cache call, as a Redis that is down would.
type cacheDownStore struct {
	store.Store
	calls atomic.Int64
}

var errCacheDown = fmt.Errorf("redis down: %w", store.ErrUnavailable)

func (f *cacheDownStore) CacheGet(context.Context, string) ([]byte, bool, error) {
	f.calls.Add(1)
	return nil, false, errCacheDown
}
func (f *cacheDownStore) CacheSet(context.Context, string, []byte, time.Duration) error {
	f.calls.Add(1)
	return errCacheDown
}
func (f *cacheDownStore) CacheDelete(context.Context, string) error {
	f.calls.Add(1)
	return errCacheDown
}
func (f *cacheDownStore) CacheTake(context.Context, string) ([]byte, bool, error) {
	f.calls.Add(1)
	return nil, false, errCacheDown
}

func TestCacheStoreFailureIsAMiss(t *testing.T) {
	fs := &cacheDownStore{}
	var mu sync.Mutex
	var reported []string
	d := Deps{Store: fs, OnStoreError: func(policy string, err error) {
		mu.Lock()
		defer mu.Unlock()
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("reported error %v", err)
		}
		reported = append(reported, policy)
	}}
	plan := compile(t, d, `
<cache-lookup-value key="k" variable-name="v"/>
<cache-lookup-value key="k" variable-name="w" default-value="fallback"/>
<cache-lookup-value key="k" variable-name="t" remove="true" default-value="taken-fallback"/>
<cache-store-value key="k" value="x" duration="5"/>
<cache-remove-value key="k"/>
<set-variable name="after" value="ok"/>`)
	s := request("ws://gw/chat")
	defer s.Release()
	if runInbound(plan, s) {
		t.Fatalf("a store failure failed the request: %+v", s.LastError())
	}
	v := s.Variables()
	if _, ok := v["v"]; ok || v["w"] != "fallback" || v["t"] != "taken-fallback" || v["after"] != "ok" {
		t.Errorf("variables = %v", v)
	}
	if got := strings.Join(reported, ","); got != "cache-lookup-value,cache-lookup-value,cache-lookup-value,cache-store-value,cache-remove-value" || fs.calls.Load() != 5 {
		t.Errorf("reported %q, calls %d", got, fs.calls.Load())
	}
}

func TestCacheUnencodableValue(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	plan := compile(t, testDeps(), fmt.Sprintf(`
<send-request response-variable-name="r"><set-url>%s</set-url></send-request>
<cache-store-value key="k" value="@(context.Variables["r"])" duration="5"/>`, srv.URL))
	s := request("ws://gw/chat")
	defer s.Release()
	if !runInbound(plan, s) || s.LastError().Reason != engine.ReasonExpression {
		t.Fatalf("want an ExpressionValueEvaluationFailure, got %+v", s.LastError())
	}
}

// The APIM snippet "Backend OAuth2 Authentication With Cache", end to end.
func TestCacheOAuthSnippet(t *testing.T) {
	var tokenCalls atomic.Int64
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tokenCalls.Add(1)
		_ = r.ParseForm()
		if r.Method != http.MethodPost || r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("client_secret") != "s3cr3t" {
			http.Error(w, "bad request", 400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":3600}`, tokenCalls.Load())
	}))
	defer tokenSrv.Close()
	d := testDeps()
	plan := compile(t, d, fmt.Sprintf(`<policies>
<inbound>
  <cache-lookup-value key="@("bearerToken-" + context.Api.Name)" variable-name="bearerToken"/>
  <choose>
    <when condition="@(!context.Variables.ContainsKey("bearerToken"))">
      <send-request mode="new" response-variable-name="oauthResponse" timeout="5" ignore-error="false">
        <set-url>%s/oauth2/token</set-url>
        <set-method>POST</set-method>
        <set-header name="Content-Type" exists-action="override"><value>application/x-www-form-urlencoded</value></set-header>
        <set-body>@("grant_type=client_credentials&client_id=app&client_secret=" + urlEncode("{{secret}}"))</set-body>
      </send-request>
      <set-variable name="bearerToken" value="@(context.Variables["oauthResponse"].Body.AsJSON().access_token)"/>
      <cache-store-value key="@("bearerToken-" + context.Api.Name)" value="@(context.Variables["bearerToken"])"
          duration="@(int(context.Variables["oauthResponse"].Body.AsJSON().expires_in) - 60)"/>
    </when>
  </choose>
  <set-header name="Authorization" exists-action="override"><value>@("Bearer " + context.Variables["bearerToken"])</value></set-header>
</inbound>
<backend/><outbound/>
<on-error><cache-remove-value key="@("bearerToken-" + context.Api.Name)"/></on-error>
</policies>`, tokenSrv.URL))
	for i := 0; i < 3; i++ {
		s := request("ws://gw/chat")
		if runInbound(plan, s) {
			t.Fatalf("run %d: %+v", i, s.LastError())
		}
		if got := s.Context().Request.Headers.GetValueOrDefault("Authorization", ""); got != "Bearer tok-1" {
			t.Errorf("run %d: Authorization = %q", i, got)
		}
		s.Release()
	}
	if n := tokenCalls.Load(); n != 1 {
		t.Errorf("token endpoint called %d times, want 1", n)
	}
}

// TestCacheStoreDurationOutOfRange: a computed duration out of range fails
// the policy with its own value in the message, whether it is a whole
// number too large for the range or a number past what an int64 holds
// (converted unchecked, 1e19 read as -9223372036854775808).
func TestCacheStoreDurationOutOfRange(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{"@(2147483648)", "result 2147483648 is out of range [1, 2147483647]"},
		{"@(1e19)", "result 1e+19 is out of range [1, 2147483647]"},
		{"@(-1e19)", "result -1e+19 is out of range [1, 2147483647]"},
	} {
		plan := compile(t, testDeps(), `<cache-store-value key="k" value="v" duration="`+tc.expr+`"/>`)
		s := request("ws://gw/chat")
		if !runInbound(plan, s) || s.LastError() == nil || !strings.Contains(s.LastError().Message, tc.want) {
			t.Errorf("duration %s: %+v, want an error saying %q", tc.expr, s.LastError(), tc.want)
		}
		s.Release()
	}
}

// TestCacheJTokens: a JObject or JArray a C# expression built comes back
// from the cache as one, with its Date tokens: APIM's "smart load balancing"
// policy for Azure OpenAI keeps its backends' state as a cached JArray and
// casts the looked-up variable back with (JArray)context.Variables[...].
func TestCacheJTokens(t *testing.T) {
	d := testDeps()
	store := compile(t, d, `
<set-variable name="list" value="@{
    var a = new JArray();
    a.Add(new JObject { { "name", "b1" }, { "priority", 1 }, { "isThrottling", true }, { "retryAfter", new DateTime(2030, 1, 2, 3, 4, 5, DateTimeKind.Utc) } });
    return a;
}"/>
<cache-store-value key="list" value="@((JArray)context.Variables["list"])" duration="60"/>
<cache-store-value key="obj" value="@(new JObject { { "k", "v" } })" duration="60"/>`)
	s := request("ws://gw/chat")
	if runInbound(store, s) {
		t.Fatalf("store: %+v", s.LastError())
	}
	s.Release()
	lookup := compile(t, d, `
<cache-lookup-value key="list" variable-name="list"/>
<cache-lookup-value key="obj" variable-name="obj"/>
<set-variable name="out" value="@{
    JArray backends = (JArray)context.Variables["list"];
    JObject backend = (JObject)backends[0];
    var until = backend.Value<DateTime>("retryAfter");
    return backend.Value<string>("name") + " " + backend.Value<int>("priority") + " " + backend.Value<bool>("isThrottling") + " " +
        until.ToString("o") + " " + (DateTime.Now >= until) + " " + ((JObject)context.Variables["obj"]).ToString(Newtonsoft.Json.Formatting.None);
}"/>`)
	s = request("ws://gw/chat")
	defer s.Release()
	if runInbound(lookup, s) {
		t.Fatalf("lookup: %+v", s.LastError())
	}
	want := `b1 1 True 2030-01-02T03:04:05.0000000Z False {"k":"v"}`
	if got := s.Variables()["out"]; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// TestCacheDates: a C# DateTime comes back from the cache with its kind, a
// DateTimeOffset as a DateTimeOffset at its offset (they are kept as
// round-trip text), and a time cached as RFC 3339 before that still reads.
func TestCacheDates(t *testing.T) {
	d := testDeps()
	store := compile(t, d, `
<cache-store-value key="u" value="@(new DateTime(2030, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1))" duration="60"/>
<cache-store-value key="l" value="@(DateTime.SpecifyKind(new DateTime(2030, 1, 2, 3, 4, 5), DateTimeKind.Local))" duration="60"/>
<cache-store-value key="n" value="@(new DateTime(2030, 1, 2, 3, 4, 5))" duration="60"/>
<cache-store-value key="o" value="@(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.FromMinutes(-150)))" duration="60"/>`)
	s := request("ws://gw/chat")
	if runInbound(store, s) {
		t.Fatalf("store: %+v", s.LastError())
	}
	s.Release()
	if err := d.Store.CacheSet(context.Background(), cacheKeyPrefix+"old", []byte(`t:"2030-01-02T03:04:05Z"`), time.Minute); err != nil {
		t.Fatal(err)
	}
	lookup := compile(t, d, `
<cache-lookup-value key="u" variable-name="u"/>
<cache-lookup-value key="l" variable-name="l"/>
<cache-lookup-value key="n" variable-name="n"/>
<cache-lookup-value key="o" variable-name="o"/>
<cache-lookup-value key="old" variable-name="old"/>
<set-variable name="out" value="@{
    var u = (DateTime)context.Variables["u"];
    var l = (DateTime)context.Variables["l"];
    var n = (DateTime)context.Variables["n"];
    var o = (DateTimeOffset)context.Variables["o"];
    var old = (DateTime)context.Variables["old"];
    return u.ToString("o") + " " + l.Kind + " " + l.ToString("o") + " " + n.Kind + " " + n.ToString("o") + " " + o.ToString("o") + " " + old.Kind + old.Hour;
}"/>`)
	s = request("ws://gw/chat")
	defer s.Release()
	if runInbound(lookup, s) {
		t.Fatalf("lookup: %+v", s.LastError())
	}
	want := `2030-01-02T03:04:05.0000001Z Local 2030-01-02T03:04:05.0000000+00:00 Unspecified 2030-01-02T03:04:05.0000000 2030-01-02T03:04:05.0000000-02:30 Utc3`
	if got := s.Variables()["out"]; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
