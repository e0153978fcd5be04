package gateway_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"tollgate/gateway"
	"tollgate/internal/redistest"
	"tollgate/policies"
	"tollgate/store"
)

// TestRunsInline: which APIs a front may serve on an event loop thread
// (API.RunsInline). Only a REST API whose every plan (global, product,
// API and operation scopes; every section, on-error too) never blocks,
// with in-process stores for what the gateway itself looks up.
func TestRunsInline(t *testing.T) {
	const backend = "http://127.0.0.1:1"
	// The REST benchmark's five-step inbound policy.
	const fiveSteps = `<policies><inbound><base/>
  <set-header name="X-Request-Id" exists-action="override"><value>@(context.RequestId)</value></set-header>
  <set-variable name="user" value="@(context.Request.Headers.GetValueOrDefault(&quot;X-User&quot;, &quot;anonymous&quot;))"/>
  <check-header name="X-Client" failed-check-httpcode="401" failed-check-error-message="no client" ignore-case="true"/>
  <set-query-parameter name="via" exists-action="override"><value>tollgate</value></set-query-parameter>
  <choose><when condition="@(context.Request.Method == &quot;POST&quot;)"><set-header name="X-Post" exists-action="override"><value>1</value></set-header></when></choose>
</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`
	const sendRequest = `<send-request mode="new" response-variable-name="r" timeout="5" ignore-error="true"><set-url>http://127.0.0.1:1/token</set-url><set-method>GET</set-method></send-request>`
	in := func(s string) string {
		return `<policies><inbound><base/>` + s + `</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`
	}
	breaker := `{"properties": {"url": "` + backend + `", "protocol": "http", "circuitBreaker": {"rules": [{"name": "r",
  "failureCondition": {"count": 3, "interval": "PT1M", "statusCodeRanges": [{"min": 500, "max": 599}]}, "tripDuration": "PT1M"}]}}}`
	insecure := `{"properties": {"url": "https://127.0.0.1:1", "protocol": "http", "tls": {"validateCertificateChain": false}}}`
	plain := `{"properties": {"url": "` + backend + `", "protocol": "http"}}`

	local := gateway.LoadOptions{LocalSubscriptions: true, LocalStore: true}
	remoteSubs := gateway.LoadOptions{LocalStore: true}
	remoteStore := gateway.LoadOptions{LocalSubscriptions: true}
	for _, tc := range []struct {
		name   string
		write  func(t *testing.T, dir string)
		opt    gateway.LoadOptions
		redis  bool // the policies' store is Redis
		inline bool
		why    string // in InlineBlockers when not inline
	}{
		{"five steps", func(t *testing.T, dir string) {
			writeAPI(t, dir, "a", `type="http" path="/a" service-url="`+backend+`"`, fiveSteps)
		}, local, false, true, ""},
		{"no policy", func(t *testing.T, dir string) {
			writeAPI(t, dir, "a", `type="http" path="/a" service-url="`+backend+`"`, "")
		}, local, false, true, ""},
		{"websocket", func(t *testing.T, dir string) {
			writeAPI(t, dir, "a", `type="websocket" path="/a" service-url="ws://127.0.0.1:1"`, fiveSteps)
		}, local, false, false, `a WebSocket API`},
		{"send-request", func(t *testing.T, dir string) {
			writeAPI(t, dir, "a", `type="http" path="/a" service-url="`+backend+`"`, in(sendRequest))
		}, local, false, false, `a/policy.xml:1:`},
		{"choose holding send-request", func(t *testing.T, dir string) {
			writeAPI(t, dir, "a", `type="http" path="/a" service-url="`+backend+`"`,
				in(`<choose><when condition="@(context.Request.Method == &quot;POST&quot;)">`+sendRequest+`</when></choose>`))
		}, local, false, false, `inbound/choose[1]/when[1]/send-request[1]: <send-request> may block (api scope)`},
		{"send-request in on-error", func(t *testing.T, dir string) {
			writeAPI(t, dir, "a", `type="http" path="/a" service-url="`+backend+`"`,
				`<policies><inbound><base/></inbound><backend><base/></backend><outbound><base/></outbound><on-error>`+sendRequest+`</on-error></policies>`)
		}, local, false, false, `on-error/send-request[1]`},
		{"global scope", func(t *testing.T, dir string) {
			writeFile(t, dir, "policy.xml", `<policies><inbound><wait for="all">`+sendRequest+`</wait></inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
			writeAPI(t, dir, "a", `type="http" path="/a" service-url="`+backend+`"`, fiveSteps)
		}, local, false, false, `<wait> may block (global scope)`},
		{"product scope", func(t *testing.T, dir string) {
			writeAPI(t, dir, "a", `type="http" path="/a" service-url="`+backend+`"`, fiveSteps)
			writeFile(t, dir, "products/p/productInformation.json", `{"properties": {"displayName": "P", "subscriptionRequired": true, "state": "published"}}`)
			writeFile(t, dir, "products/p/apis.json", `[{"name": "a"}]`)
			writeFile(t, dir, "products/p/policy.xml", in(`<limit-concurrency counter-key="p" max-count="10"/>`))
		}, local, false, false, `<limit-concurrency> may block (product scope)`},
		{"a product of other APIs", func(t *testing.T, dir string) {
			writeAPI(t, dir, "a", `type="http" path="/a" service-url="`+backend+`"`, fiveSteps)
			writeAPI(t, dir, "b", `type="http" path="/b" service-url="`+backend+`"`, "")
			writeFile(t, dir, "products/p/productInformation.json", `{"properties": {"displayName": "P", "subscriptionRequired": true, "state": "published"}}`)
			writeFile(t, dir, "products/p/apis.json", `[{"name": "b"}]`)
			writeFile(t, dir, "products/p/policy.xml", in(`<limit-concurrency counter-key="p" max-count="10"/>`))
		}, local, false, true, ""},
		{"product with an inline policy", func(t *testing.T, dir string) {
			writeAPI(t, dir, "a", `type="http" path="/a" service-url="`+backend+`"`, fiveSteps)
			writeFile(t, dir, "products/p/productInformation.json", `{"properties": {"displayName": "P", "subscriptionRequired": true, "state": "published"}}`)
			writeFile(t, dir, "products/p/apis.json", `[{"name": "a"}]`)
			writeFile(t, dir, "products/p/policy.xml", in(`<rate-limit calls="7" renewal-period="60"/>`))
		}, local, false, true, ""},
		{"operation scope", func(t *testing.T, dir string) {
			writeFile(t, dir, "a/api.xml", `<api name="a" type="http" path="/a" service-url="`+backend+`">
  <operations><operation id="get" method="GET" url-template="/x"/><operation id="post" method="POST" url-template="/x"/></operations>
</api>`)
			writeFile(t, dir, "a/policy.xml", fiveSteps)
			writeFile(t, dir, "a/operations/post/policy.xml", in(`<retry condition="@(false)" count="3" interval="1"><set-variable name="x" value="1"/></retry>`))
		}, local, false, false, `operations/post/policy.xml:1:`},
		{"operation scope, inline", func(t *testing.T, dir string) {
			writeFile(t, dir, "a/api.xml", `<api name="a" type="http" path="/a" service-url="`+backend+`">
  <operations><operation id="get" method="GET" url-template="/x"/></operations>
</api>`)
			writeFile(t, dir, "a/operations/get/policy.xml", in(`<retry condition="@(false)" count="3" interval="0"><set-variable name="x" value="1"/></retry>`))
		}, local, false, true, ""},
		{"rate-limit, memory", func(t *testing.T, dir string) {
			writeAPI(t, dir, "a", `type="http" path="/a" service-url="`+backend+`"`, in(`<rate-limit calls="20" renewal-period="90"/>`))
		}, local, false, true, ""},
		{"rate-limit, redis", func(t *testing.T, dir string) {
			writeAPI(t, dir, "a", `type="http" path="/a" service-url="`+backend+`"`, in(`<rate-limit calls="20" renewal-period="90"/>`))
		}, local, true, false, `<rate-limit> may block`},
		{"cache-lookup external", func(t *testing.T, dir string) {
			writeAPI(t, dir, "a", `type="http" path="/a" service-url="`+backend+`"`,
				`<policies><inbound><base/><cache-lookup vary-by-developer="false" vary-by-developer-groups="false" caching-type="external"/></inbound><backend><base/></backend><outbound><base/><cache-store duration="10"/></outbound><on-error><base/></on-error></policies>`)
		}, local, true, false, `<cache-lookup> may block`},
		{"subscriptions in Redis", func(t *testing.T, dir string) {
			writeAPI(t, dir, "a", `type="http" path="/a" service-url="`+backend+`"`, fiveSteps)
		}, remoteSubs, false, false, `subscription store is not in process`},
		{"breaker in Redis", func(t *testing.T, dir string) {
			writeAPI(t, dir, "a", `type="http" path="/a" service-url="`+backend+`"`, in(`<set-backend-service backend-id="be"/>`))
			writeFile(t, dir, "backends/be/backendInformation.json", breaker)
		}, remoteStore, false, false, `backend "be" keeps its circuit breaker in a shared store`},
		{"breaker in memory", func(t *testing.T, dir string) {
			writeAPI(t, dir, "a", `type="http" path="/a" service-url="`+backend+`"`, in(`<set-backend-service backend-id="be"/>`))
			writeFile(t, dir, "backends/be/backendInformation.json", breaker)
		}, local, false, true, ""},
		{"breaker in Redis, not used", func(t *testing.T, dir string) {
			writeAPI(t, dir, "a", `type="http" path="/a" service-url="`+backend+`"`, fiveSteps)
			writeFile(t, dir, "backends/be/backendInformation.json", breaker)
		}, remoteStore, false, true, ""},
		{"backend over net/http", func(t *testing.T, dir string) {
			writeAPI(t, dir, "a", `type="http" path="/a" service-url="`+backend+`"`,
				in(`<choose><when condition="@(true)"><set-backend-service backend-id="plain"/></when></choose>`))
			writeFile(t, dir, "backends/plain/backendInformation.json", plain)
			writeFile(t, dir, "backends/tls/backendInformation.json", insecure)
		}, local, false, false, `inbound/choose[1]/when[1]/set-backend-service[1]: <set-backend-service> may pick a backend that blocks: backend "tls" is called over net/http`},
		{"plain backend entity", func(t *testing.T, dir string) {
			writeAPI(t, dir, "a", `type="http" path="/a" service-url="`+backend+`"`, in(`<set-backend-service backend-id="plain"/>`))
			writeFile(t, dir, "backends/plain/backendInformation.json", plain)
		}, remoteStore, false, true, ""},
		{"stores unknown", func(t *testing.T, dir string) {
			writeAPI(t, dir, "a", `type="http" path="/a" service-url="`+backend+`"`, fiveSteps)
		}, gateway.LoadOptions{}, false, false, `subscription store is not in process`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.write(t, dir)
			deps := policies.Deps{Store: store.NewMemory()}
			if tc.redis {
				deps.Store = redisStore(t)
			}
			opt := tc.opt
			opt.Getenv = func(string) string { return "" }
			snap, errs := gateway.Load(dir, policies.Registry(deps), opt)
			if len(errs) > 0 {
				t.Fatalf("load: %v", errs)
			}
			a := snap.API("a")
			if got := a.RunsInline(); got != tc.inline {
				t.Errorf("RunsInline = %v, want %v", got, tc.inline)
			}
			why := strings.Join(a.InlineBlockers(), "\n")
			if tc.inline != (why == "") {
				t.Errorf("InlineBlockers = %q with RunsInline %v", why, tc.inline)
			}
			if !strings.Contains(why, tc.why) {
				t.Errorf("InlineBlockers = %q, want it to say %q", why, tc.why)
			}
		})
	}
}

// TestHandshakeInline: which WebSocket handshakes may stay on an event
// loop thread up to their backend dial (API.HandshakeInline): what
// RunsInline asks of a REST API, but for being a WebSocket API.
func TestHandshakeInline(t *testing.T) {
	const ws = `type="websocket" path="/a" service-url="ws://127.0.0.1:1"`
	in := func(s string) string {
		return `<policies><inbound><base/>` + s + `</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`
	}
	local := gateway.LoadOptions{LocalSubscriptions: true, LocalStore: true}
	for _, tc := range []struct {
		name   string
		attrs  string
		policy string
		opt    gateway.LoadOptions
		want   bool
	}{
		{"headers and variables", ws, in(`<set-header name="X-A" exists-action="override"><value>1</value></set-header><set-variable name="v" value="@(context.Request.Url.Query.GetValueOrDefault(&quot;mode&quot;, &quot;&quot;))"/>`), local, true},
		{"no policy", ws, "", local, true},
		{"send-request", ws, in(`<send-request mode="new" response-variable-name="r" timeout="5" ignore-error="true"><set-url>http://127.0.0.1:1/t</set-url><set-method>GET</set-method></send-request>`), local, false},
		{"limit-concurrency", ws, in(`<limit-concurrency counter-key="k" max-count="10"/>`), local, false},
		{"subscriptions in Redis", ws, "", gateway.LoadOptions{LocalStore: true}, false},
		{"a REST API", `type="http" path="/a" service-url="http://127.0.0.1:1"`, "", local, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeAPI(t, dir, "a", tc.attrs, tc.policy)
			opt := tc.opt
			opt.Getenv = func(string) string { return "" }
			snap, errs := gateway.Load(dir, policies.Registry(policies.Deps{Store: store.NewMemory()}), opt)
			if len(errs) > 0 {
				t.Fatalf("load: %v", errs)
			}
			if got := snap.API("a").HandshakeInline(); got != tc.want {
				t.Errorf("HandshakeInline = %v, want %v", got, tc.want)
			}
		})
	}
}

func redisStore(t *testing.T) store.Store {
	t.Helper()
	srv := redistest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	st, err := store.NewRedis(ctx, srv.URL(), store.RedisOptions{Timeout: time.Second})
	if err != nil {
		t.Fatalf("redis store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// An API reused from the previous snapshot (Load's Previous) is reused
// only when its verdict was worked out with the same stores.
func TestRunsInlineReuse(t *testing.T) {
	dir := t.TempDir()
	writeAPI(t, dir, "a", `type="http" path="/a" service-url="http://127.0.0.1:1"`, "")
	reg := policies.Registry(policies.Deps{Store: store.NewMemory()})
	env := func(string) string { return "" }
	first, errs := gateway.Load(dir, reg, gateway.LoadOptions{Getenv: env, LocalSubscriptions: true, LocalStore: true})
	if len(errs) > 0 || !first.API("a").RunsInline() {
		t.Fatalf("first load: %v, inline %v", errs, first != nil && first.API("a").RunsInline())
	}
	same, _ := gateway.Load(dir, reg, gateway.LoadOptions{Getenv: env, Previous: first, LocalSubscriptions: true, LocalStore: true})
	if same.API("a") != first.API("a") {
		t.Error("an unchanged API was not reused")
	}
	other, _ := gateway.Load(dir, reg, gateway.LoadOptions{Getenv: env, Previous: first})
	if other.API("a").RunsInline() {
		t.Error("an API reused across different stores kept its verdict")
	}
	if !first.API("a").RunsInline() {
		t.Error("the previous snapshot's API was changed")
	}
}

// A server works the verdict out with its own stores: in memory by default,
// Redis subscriptions make every API go to a goroutine.
func TestServerRunsInline(t *testing.T) {
	dir := t.TempDir()
	writeAPI(t, dir, "a", `type="http" path="/a" service-url="http://127.0.0.1:1"`, "")
	writeAPI(t, dir, "ws", `type="websocket" path="/ws" service-url="ws://127.0.0.1:1"`, "")
	g := startGateway(t, dir)
	if a := g.srv.Current().API("a"); !a.RunsInline() {
		t.Error("REST API with memory stores: RunsInline false")
	}
	if ws := g.srv.Current().API("ws"); ws.RunsInline() {
		t.Error("WebSocket API: RunsInline true")
	}
	r, err := store.NewRedis(testCtx(t), redistest.Start(t).URL(), store.RedisOptions{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	g2 := startGateway(t, dir, func(o *gateway.Options) { o.Subscriptions = store.NewRedisSubscriptions(r) })
	if a := g2.srv.Current().API("a"); a.RunsInline() {
		t.Error("REST API with Redis subscriptions: RunsInline true")
	}
}
