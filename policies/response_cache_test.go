package policies

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"tollgate/engine"
)

// cacheRig runs a whole pipeline (inbound, then a fake backend, then
// outbound) for GET requests to an http API, counting backend calls.
type cacheRig struct {
	t       *testing.T
	plan    *engine.Plan
	calls   int
	status  int
	respHdr http.Header
	user    string // the subscription owner's id ("": no subscription)
}

func newCacheRig(t *testing.T, d Deps, inbound, outbound string) *cacheRig {
	return &cacheRig{t: t, status: 200, plan: compile(t, d, "<policies><inbound>"+inbound+"</inbound><backend/><outbound>"+outbound+"</outbound><on-error/></policies>")}
}

// get returns the body, the Cache-Control header for the client and
// whether the backend was called.
func (r *cacheRig) do(method, rawURL string, hdr ...string) (string, string, bool) {
	r.t.Helper()
	u, _ := url.Parse(rawURL)
	h := http.Header{}
	for i := 0; i+1 < len(hdr); i += 2 {
		h.Add(hdr[i], hdr[i+1])
	}
	s := engine.AcquireState(&engine.Api{Name: "orders", Type: "http", Path: "/orders", ServiceUrl: "http://backend/"})
	defer s.Release()
	s.SetRequest(method, u.Scheme, u.Host, u, h, "10.0.0.1")
	if r.user != "" {
		s.Context().User = &engine.User{Id: r.user}
	}
	called := false
	if !r.plan.Run(context.Background(), engine.Inbound, s) {
		r.calls++
		called = true
		resp := engine.NewResponse(r.status)
		resp.Body = engine.NewBody([]byte("response " + strconv.Itoa(r.calls)))
		resp.Headers["Content-Type"] = []string{"text/plain"}
		for k, v := range r.respHdr {
			resp.Headers[k] = v
		}
		s.SetResponse(resp)
		r.plan.Run(context.Background(), engine.Outbound, s)
	}
	if le := s.Context().LastError; le != nil {
		r.t.Fatalf("failed: %+v", le)
	}
	b, _ := s.Response().Body.AsString()
	return b, s.ResponseHeaders().GetValueOrDefault("Cache-Control", ""), called
}

// APIM's first example as written has duration="seconds", a placeholder:
// tollgate refuses it where it stands. With a number it works as shown.
func TestResponseCacheDocExample(t *testing.T) {
	const doc = `<policies>
    <inbound>
        <base />
        <cache-lookup vary-by-developer="false" vary-by-developer-groups="false" downstream-caching-type="none" must-revalidate="true" caching-type="internal" >
            <vary-by-query-parameter>version</vary-by-query-parameter>
        </cache-lookup>
    </inbound>
    <outbound>
        <cache-store duration="seconds" />
        <base />
    </outbound>
</policies>`
	_, errs := compileErrs(testDeps(), doc)
	if len(errs) != 1 || !strings.Contains(errs.Error(), `policy.xml:9:32`) || !strings.Contains(errs.Error(), "duration") {
		t.Fatalf("errors: %v", errs)
	}
	r := &cacheRig{t: t, status: 200, plan: compile(t, testDeps(), strings.Replace(doc, `duration="seconds"`, `duration="300"`, 1))}
	cases := []struct {
		url    string
		body   string
		called bool
	}{
		{"http://gw/orders/1?version=1", "response 1", true},
		{"http://gw/orders/1?version=1", "response 1", false},
		{"http://gw/orders/1?version=1&other=x", "response 1", false}, // not a vary parameter
		{"http://gw/orders/1?version=2", "response 2", true},
		{"http://gw/orders/2?version=1", "response 3", true}, // another path
		{"http://gw/orders/1", "response 4", true},           // version absent is its own key
		{"http://gw/orders/1?version=2", "response 2", false},
	}
	for i, c := range cases {
		body, cc, called := r.do(http.MethodGet, c.url)
		if body != c.body || called != c.called || cc != "no-store" {
			t.Errorf("%d %s: body %q called %v Cache-Control %q; want %q %v no-store", i, c.url, body, called, cc, c.body, c.called)
		}
	}
}

// APIM's second example: vary by Accept and Accept-Charset, public
// downstream caching, duration from the backend's max-age (the C#
// expression written in expr).
func TestResponseCacheDocExampleExpressions(t *testing.T) {
	r := newCacheRig(t, testDeps(), `<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" downstream-caching-type="public" must-revalidate="true" >
  <vary-by-header>Accept</vary-by-header>
  <vary-by-header>Accept-Charset</vary-by-header>
</cache-lookup>`, `<cache-store duration="@(let h = context.Response.Headers.GetValueOrDefault("Cache-Control", ""); h matches "max-age=[0-9]+" ? int(split(split(h, "max-age=")[1], ",")[0]) : 300)" />`)
	r.respHdr = http.Header{"Cache-Control": {"max-age=120"}}
	body, cc, called := r.do(http.MethodGet, "http://gw/orders/1", "Accept", "text/plain")
	if !called || cc != "public, max-age=120, must-revalidate" {
		t.Fatalf("miss: %q %q %v", body, cc, called)
	}
	body, cc, called = r.do(http.MethodGet, "http://gw/orders/1", "Accept", "text/plain")
	if called || body != "response 1" || !strings.HasPrefix(cc, "public, max-age=1") || !strings.HasSuffix(cc, ", must-revalidate") {
		t.Fatalf("hit: %q %q %v", body, cc, called)
	}
	if _, _, called = r.do(http.MethodGet, "http://gw/orders/1", "Accept", "application/json"); !called {
		t.Fatal("another Accept was served from the cache")
	}
	if _, _, called = r.do(http.MethodGet, "http://gw/orders/1", "Accept", "text/plain", "Accept-Charset", "utf-8"); !called {
		t.Fatal("another Accept-Charset was served from the cache")
	}
	r.respHdr = nil
	if _, cc, _ = r.do(http.MethodGet, "http://gw/orders/9"); cc != "public, max-age=300, must-revalidate" {
		t.Fatalf("default duration: %q", cc)
	}
}

func TestResponseCacheRules(t *testing.T) {
	r := newCacheRig(t, testDeps(), `<cache-lookup downstream-caching-type="private" must-revalidate="false"/>`, `<cache-store duration="60"/>`)
	// Only GET is looked up and stored.
	for range 2 {
		if _, _, called := r.do(http.MethodPost, "http://gw/orders/p"); !called {
			t.Fatal("POST served from the cache")
		}
	}
	// A request with Authorization is neither looked up nor stored.
	r.do(http.MethodGet, "http://gw/orders/a", "Authorization", "Bearer x")
	if _, _, called := r.do(http.MethodGet, "http://gw/orders/a", "Authorization", "Bearer x"); !called {
		t.Fatal("a private response was cached")
	}
	// Only 200 is stored without cache-response.
	r.status = 404
	r.do(http.MethodGet, "http://gw/orders/404")
	if _, _, called := r.do(http.MethodGet, "http://gw/orders/404"); !called {
		t.Fatal("a 404 was cached")
	}
	// A response that sets a cookie is not stored.
	r.status = 200
	r.respHdr = http.Header{"Set-Cookie": {"id=1"}}
	r.do(http.MethodGet, "http://gw/orders/cookie")
	if _, _, called := r.do(http.MethodGet, "http://gw/orders/cookie"); !called {
		t.Fatal("a response with Set-Cookie was cached")
	}
	r.respHdr = nil
	if _, cc, _ := r.do(http.MethodGet, "http://gw/orders/ok"); cc != "private, max-age=60" {
		t.Fatalf("Cache-Control %q", cc)
	}

	r2 := newCacheRig(t, testDeps(), `<cache-lookup allow-private-response-caching="true"><vary-by-header>Authorization</vary-by-header></cache-lookup>`, `<cache-store duration="60" cache-response="@(true)"/>`)
	r2.status = 404
	r2.do(http.MethodGet, "http://gw/orders/a", "Authorization", "Bearer x")
	if _, _, called := r2.do(http.MethodGet, "http://gw/orders/a", "Authorization", "Bearer x"); called {
		t.Fatal("allowed private 404 with cache-response=true was not cached")
	}
	if _, _, called := r2.do(http.MethodGet, "http://gw/orders/a", "Authorization", "Bearer y"); !called {
		t.Fatal("another user's response was served")
	}
}

// On a miss the request's cache headers go, so the backend answers in full.
func TestResponseCacheMissRemovesCacheHeaders(t *testing.T) {
	plan := compile(t, testDeps(), `<cache-lookup/>`)
	u, _ := url.Parse("http://gw/orders/1")
	s := engine.AcquireState(&engine.Api{Name: "orders", Type: "http", Path: "/orders"})
	defer s.Release()
	s.SetRequest(http.MethodGet, "http", "gw", u, http.Header{"Cache-Control": {"max-age=10"}, "If-None-Match": {`"v1"`}, "Accept": {"text/plain"}}, "10.0.0.1")
	runInbound(plan, s)
	h := s.Context().Request.Headers
	if h.ContainsKey("Cache-Control") || h.ContainsKey("If-None-Match") || !h.ContainsKey("Accept") {
		t.Fatalf("headers after a miss: %v", h)
	}
}

func TestResponseLRU(t *testing.T) {
	now := time.Unix(1000, 0)
	one := entryCost("a", []byte("aaaa")) // 165: the key, the value and lruEntryCost
	c := newResponseLRU(2*one + 2)
	c.now = func() time.Time { return now }
	c.set("a", []byte("aaaa"), time.Minute)
	c.set("b", []byte("bbbb"), time.Minute)
	if _, ok := c.get("a"); !ok { // a is now the most recent
		t.Fatal("a missing")
	}
	c.set("c", []byte("cccc"), time.Minute) // three entries > max: evicts b, the least recently used
	if _, ok := c.get("b"); ok {
		t.Error("b not evicted")
	}
	for _, k := range []string{"a", "c"} {
		if _, ok := c.get(k); !ok {
			t.Errorf("%s evicted", k)
		}
	}
	if n, size := c.len(); n != 2 || size != 2*one {
		t.Errorf("len %d size %d, want 2 and %d", n, size, 2*one)
	}
	c.set("big", make([]byte, 2*one), time.Minute) // larger than the cache: not stored, nothing evicted
	if n, _ := c.len(); n != 2 {
		t.Errorf("len %d after an oversized set", n)
	}
	c.set("a", []byte("x"), time.Minute) // replacing updates the size
	if _, size := c.len(); size != 2*one-3 {
		t.Errorf("size %d after replace, want %d", size, 2*one-3)
	}
	now = now.Add(2 * time.Minute)
	if _, ok := c.get("a"); ok {
		t.Error("expired entry returned")
	}
	if n, _ := c.len(); n != 1 {
		t.Errorf("expired entry kept: len %d", n)
	}
}

// TestResponseLRUSmallEntries: entries of small values count their keys
// and bookkeeping, so that many of them (distinct keys, responses of a few
// bytes) stay within the cache's bytes, and a kept key is the cache's own
// copy.
func TestResponseLRUSmallEntries(t *testing.T) {
	const max = 64 << 10
	c := newResponseLRU(max)
	room := strings.Repeat("k", 4096)
	for i := range 10000 {
		key := room[:64] + strconv.Itoa(i) // a new string
		c.set(key, []byte("v"), time.Hour)
	}
	n, size := c.len()
	if size > max || n > max/lruEntryCost {
		t.Errorf("%d entries counted as %d bytes in a cache of %d", n, size, max)
	}
	if n < max/(lruEntryCost+80) {
		t.Errorf("only %d entries kept", n)
	}
	view := room[100:140]
	c.set(view, []byte("v"), time.Hour)
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.items {
		if k == view && unsafe.StringData(k) == unsafe.StringData(view) {
			t.Error("the cache keeps a view of the caller's key")
		}
	}
}

// vary-by-developer keeps one entry per developer (the subscription's
// owner), and one for requests without a subscription; with groups too it
// is the same (a developer's entry is finer than a group's).
func TestResponseCacheVaryByDeveloper(t *testing.T) {
	for _, attrs := range []string{`vary-by-developer="true" vary-by-developer-groups="false"`, `vary-by-developer="true" vary-by-developer-groups="true"`} {
		r := newCacheRig(t, testDeps(), `<cache-lookup `+attrs+` caching-type="internal"/>`, `<cache-store duration="60"/>`)
		for i, c := range []struct {
			user, body string
			called     bool
		}{
			{"ada", "response 1", true},
			{"ada", "response 1", false},
			{"bob", "response 2", true},
			{"", "response 3", true},
			{"", "response 3", false},
			{"bob", "response 2", false},
		} {
			r.user = c.user
			body, _, called := r.do(http.MethodGet, "http://gw/orders/1")
			if body != c.body || called != c.called {
				t.Errorf("%s: %d (%q): %q called %v, want %q %v", attrs, i, c.user, body, called, c.body, c.called)
			}
		}
	}
	// Without it, developers share the entry.
	r := newCacheRig(t, testDeps(), `<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" caching-type="internal"/>`, `<cache-store duration="60"/>`)
	for _, u := range []string{"ada", "bob"} {
		r.user = u
		if body, _, _ := r.do(http.MethodGet, "http://gw/orders/1"); body != "response 1" {
			t.Errorf("%s: %q", u, body)
		}
	}
}

func TestResponseCacheLoadErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{`<cache-lookup vary-by-developer-groups="true"/>`, `cannot be true alone`},
		{`<cache-lookup vary-by-developer="false" vary-by-developer-groups="true"/>`, `set vary-by-developer="true" too`},
		{`<cache-lookup caching-type="external"/>`, `needs an external cache`},
		{`<cache-lookup caching-type="shared"/>`, `caching-type`},
		{`<cache-lookup downstream-caching-type="everyone"/>`, `must be one of none, private, public`},
		{`<cache-lookup><vary-by-header></vary-by-header></cache-lookup>`, `must be written out`},
		{`<cache-lookup><vary-by-cookie>a</vary-by-cookie></cache-lookup>`, `unexpected element <vary-by-cookie>`},
		{`<cache-lookup must-revalidate="perhaps"/>`, `must-revalidate`},
		{"<policies><inbound/><backend/><outbound><cache-store/></outbound><on-error/></policies>", `needs the attribute "duration"`},
		{"<policies><inbound/><backend/><outbound><cache-store duration=\"0\"/></outbound><on-error/></policies>", `duration`},
		{`<cache-store duration="10"/>`, `not allowed in inbound`},
	}
	for _, c := range cases {
		_, errs := compileErrs(testDeps(), c.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.src, errs, c.want)
		}
	}
}
