package policies

import (
	"context"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
	"time"

	"tollgate/engine"
	"tollgate/store"
)

// benchPolicy is a realistic WebSocket handshake policy with no network.
// calls is huge so rate-limit-by-key never rejects.
const benchPolicy = `<policies>
<inbound>
  <set-variable name="user" value="@(context.Request.Headers.GetValueOrDefault("X-User", "anonymous"))"/>
  <set-variable name="hub" value="@(context.Request.Url.Query.GetValueOrDefault("hub", "chat"))"/>
  <set-variable name="client" value="@(context.Request.IpAddress + "/" + context.Request.Headers.GetValueOrDefault("User-Agent", "-"))"/>
  <choose>
    <when condition="@(context.Request.Headers.GetValueOrDefault("X-Mode", "") == "beta")">
      <set-variable name="tier" value="beta"/>
    </when>
    <when condition="@(context.Variables["hub"] == "admin")">
      <set-variable name="tier" value="admin"/>
    </when>
    <otherwise>
      <set-variable name="tier" value="standard"/>
    </otherwise>
  </choose>
  <check-header name="Authorization" failed-check-httpcode="401" failed-check-error-message="Unauthorized" ignore-case="false"/>
  <set-header name="X-Forwarded-User" exists-action="override"><value>@(context.Variables.GetValueOrDefault("user", ""))</value></set-header>
  <set-query-parameter name="tier" exists-action="override"><value>@(context.Variables.GetValueOrDefault("tier", ""))</value></set-query-parameter>
  <rate-limit-by-key calls="2000000000" renewal-period="60" counter-key="@(context.Request.IpAddress)"/>
  <set-backend-service base-url="@("ws://127.0.0.1:5001/client/?hub=" + context.Variables.GetValueOrDefault("hub", ""))"/>
</inbound>
<backend><forward-request/></backend>
<outbound/>
<on-error/>
</policies>`

// benchPolicyCSharp is benchPolicy as an APIM user writes it: C# with
// casts and typed GetValueOrDefault<T>.
const benchPolicyCSharp = `<policies>
<inbound>
  <set-variable name="user" value="@(context.Request.Headers.GetValueOrDefault("X-User", "anonymous"))"/>
  <set-variable name="hub" value="@(context.Request.Url.Query.GetValueOrDefault("hub", "chat"))"/>
  <set-variable name="client" value="@($"{context.Request.IpAddress}/{context.Request.Headers.GetValueOrDefault("User-Agent", "-")}")"/>
  <choose>
    <when condition="@(context.Request.Headers.GetValueOrDefault("X-Mode", "").Equals("beta"))">
      <set-variable name="tier" value="beta"/>
    </when>
    <when condition="@((string)context.Variables["hub"] == "admin")">
      <set-variable name="tier" value="admin"/>
    </when>
    <otherwise>
      <set-variable name="tier" value="standard"/>
    </otherwise>
  </choose>
  <check-header name="Authorization" failed-check-httpcode="401" failed-check-error-message="Unauthorized" ignore-case="false"/>
  <set-header name="X-Forwarded-User" exists-action="override"><value>@(context.Variables.GetValueOrDefault<string>("user", ""))</value></set-header>
  <set-query-parameter name="tier" exists-action="override"><value>@((string)context.Variables["tier"])</value></set-query-parameter>
  <rate-limit-by-key calls="2000000000" renewal-period="60" counter-key="@(context.Request.IpAddress)"/>
  <set-backend-service base-url="@{ var hub = context.Variables.GetValueOrDefault<string>("hub", ""); return "ws://127.0.0.1:5001/client/?hub=" + hub; }"/>
</inbound>
<backend><forward-request/></backend>
<outbound/>
<on-error/>
</policies>`

type benchRequest struct {
	u      *url.URL
	header http.Header
	ip     string
}

func newBenchRequest() benchRequest {
	u, _ := url.Parse("ws://gw.example/chat?hub=chat&id=abc123&negotiateVersion=1")
	h := http.Header{}
	h.Set("X-User", "alice")
	h.Set("User-Agent", "bench/1.0")
	h.Set("Authorization", "Bearer token")
	h.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	h.Set("Upgrade", "websocket")
	return benchRequest{u: u, header: h, ip: "10.1.2.3"}
}

var benchAPI = &engine.Api{Name: "chat", Type: "websocket", Path: "/chat", ServiceUrl: "ws://127.0.0.1:5001/client/"}

// BenchmarkInboundPlan runs the compiled plan as the gateway will: one
// pooled State per handshake.
//
//	go test -run x -bench Inbound -benchmem -count 5 ./policies/
func BenchmarkInboundPlan(b *testing.B) { benchInbound(b, benchPolicy) }

// BenchmarkInboundPlanCSharp is the same plan written in APIM's C#
// (benchPolicyCSharp): its expressions are lowered to expr.
//
//	go test -run x -bench 'InboundPlan' -benchmem -count 5 ./policies/
func BenchmarkInboundPlanCSharp(b *testing.B) { benchInbound(b, benchPolicyCSharp) }

func benchInbound(b *testing.B, policy string) {
	st := store.NewMemory()
	defer st.Close()
	plan := compile(b, Deps{Store: st}, policy)
	r := newBenchRequest()
	ctx := context.Background()

	// The plan must do the work the hand-written code does.
	s := engine.AcquireState(benchAPI)
	s.SetRequest(http.MethodGet, "ws", r.u.Host, r.u, r.header, r.ip)
	if plan.Run(ctx, engine.Inbound, s) {
		b.Fatalf("stopped: %+v", s.LastError())
	}
	want := handwritten(ctx, st, r)
	if s.BackendURL != want.backend || s.Context().Request.Url.QueryString != want.query ||
		s.Variables()["client"] != want.client || s.Variables()["tier"] != want.tier {
		b.Fatalf("plan and hand-written code disagree: %q %q %v %v / %+v",
			s.BackendURL, s.Context().Request.Url.QueryString, s.Variables()["client"], s.Variables()["tier"], want)
	}
	s.Release()

	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := engine.AcquireState(benchAPI)
		s.SetRequest(http.MethodGet, "ws", r.u.Host, r.u, r.header, r.ip)
		if plan.Run(ctx, engine.Inbound, s) {
			b.Fatal("stopped")
		}
		s.Release()
	}
}

// BenchmarkInboundHandwritten is the same work written by hand in Go: the
// same header lookups, string building, store call and query edits.
func BenchmarkInboundHandwritten(b *testing.B) {
	st := store.NewMemory()
	defer st.Close()
	r := newBenchRequest()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if out := handwritten(ctx, st, r); out.backend == "" {
			b.Fatal("rejected")
		}
	}
}

type handResult struct{ backend, query, client, tier string }

var handVars = map[string]any{}

func getHeader(h http.Header, name, def string) string {
	v, ok := h[textproto.CanonicalMIMEHeaderKey(name)]
	if !ok || len(v) == 0 {
		return def
	}
	if len(v) == 1 {
		return v[0]
	}
	return strings.Join(v, ",")
}

func getQuery(q url.Values, name, def string) string {
	v, ok := q[name]
	if !ok || len(v) == 0 {
		return def
	}
	return strings.Join(v, ",")
}

func handwritten(ctx context.Context, st store.Store, r benchRequest) handResult {
	vars := handVars
	clear(vars)
	q, _ := url.ParseQuery(r.u.RawQuery)
	user := getHeader(r.header, "X-User", "anonymous")
	vars["user"] = user
	hub := getQuery(q, "hub", "chat")
	vars["hub"] = hub
	client := r.ip + "/" + getHeader(r.header, "User-Agent", "-")
	vars["client"] = client
	var tier string
	switch {
	case getHeader(r.header, "X-Mode", "") == "beta":
		tier = "beta"
	case hub == "admin":
		tier = "admin"
	default:
		tier = "standard"
	}
	vars["tier"] = tier
	if _, ok := r.header["Authorization"]; !ok {
		return handResult{}
	}
	r.header["X-Forwarded-User"] = []string{user}
	q["tier"] = []string{tier}
	query := "?" + q.Encode()
	sctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	dec, err := st.RateLimit(sctx, "rlk:"+r.ip, 2000000000, 60*time.Second, 1)
	cancel()
	if err == nil && !dec.Allowed { // a store failure admits (fail-open), as the policy does
		return handResult{}
	}
	return handResult{backend: "ws://127.0.0.1:5001/client/?hub=" + hub, query: query, client: client, tier: tier}
}
