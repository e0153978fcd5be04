package gateway_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// urlParts is every part of context.Request.Url a policy reads, in one
// header value.
const urlParts = `@(context.Request.Url.Scheme + "|" + context.Request.Url.Host + "|" + context.Request.Url.Port + "|" + context.Request.Url.Path + "|" + context.Request.Url.QueryString + "|" + context.Request.Url.Query.GetValueOrDefault("case", "") + "|" + context.Request.Url.ToString())`

// urlBackend answers 200 with the request's X-U-* headers as X-U-* response
// headers, and X-Path with the path it was called on.
func urlBackend(t *testing.T) (hostPort string) {
	t.Helper()
	b := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		for k, v := range r.Header {
			if strings.HasPrefix(k, "X-U-") {
				w.Header()[k] = v
			}
		}
		w.Header().Set("X-Path", r.URL.RequestURI())
	})
	return strings.TrimPrefix(b.URL, "http://")
}

// TestRequestUrlIsTheBackendURL: context.Request.Url is the current value
// of the full backend URL (what APIM's documentation owner answered in
// MicrosoftDocs/azure-docs#16317): the service URL + the operation's path
// at the start of inbound, set-backend-service's base URL (a backend
// entity's; a pool's first member until the forward picks one, then the
// member that answered), rewrite-uri's path and query; OriginalUrl stays
// the client's. Before, Url was the gateway's URL.
func TestRequestUrlIsTheBackendURL(t *testing.T) {
	svc, alt, m1, m2 := urlBackend(t), urlBackend(t), urlBackend(t), urlBackend(t)
	dir := t.TempDir()
	writeFile(t, dir, "shop/api.xml", `<api name="shop" type="http" path="/api" service-url="http://`+svc+`/svc">
  <operations><operation id="get-item" method="GET" url-template="/items/{id}"/></operations>
</api>`)
	writeFile(t, dir, "shop/policy.xml", `<policies>
  <inbound>
    <set-header name="X-U-Start" exists-action="override"><value>`+urlParts+`</value></set-header>
    <set-header name="X-U-Orig" exists-action="override"><value>@(context.Request.OriginalUrl.ToString())</value></set-header>
    <choose>
      <when condition="@(context.Request.Url.Query.GetValueOrDefault(&quot;case&quot;, &quot;&quot;) == &quot;base&quot;)">
        <set-backend-service base-url="http://`+alt+`/alt/"/>
      </when>
      <when condition="@(context.Request.Url.Query.GetValueOrDefault(&quot;case&quot;, &quot;&quot;) == &quot;one&quot;)">
        <set-backend-service backend-id="m2"/>
      </when>
      <when condition="@(context.Request.Url.Query.GetValueOrDefault(&quot;case&quot;, &quot;&quot;) == &quot;pool&quot;)">
        <set-backend-service backend-id="pool"/>
      </when>
      <when condition="@(context.Request.Url.Query.GetValueOrDefault(&quot;case&quot;, &quot;&quot;) == &quot;rewrite&quot;)">
        <rewrite-uri template="/v2/{id}/detail?x=1"/>
      </when>
      <when condition="@(context.Request.Url.Query.GetValueOrDefault(&quot;case&quot;, &quot;&quot;) == &quot;err&quot;)">
        <rewrite-uri template="/{nope}"/>
      </when>
    </choose>
    <set-header name="X-U-After" exists-action="override"><value>`+urlParts+`</value></set-header>
  </inbound>
  <backend>
    <set-variable name="backend" value="`+urlParts+`"/>
    <forward-request/>
  </backend>
  <outbound>
    <set-header name="X-Backend" exists-action="override"><value>@((string)context.Variables["backend"])</value></set-header>
    <set-header name="X-Out" exists-action="override"><value>`+urlParts+`</value></set-header>
    <set-header name="X-Out-Orig" exists-action="override"><value>@(context.Request.OriginalUrl.Host + context.Request.OriginalUrl.Path)</value></set-header>
  </outbound>
  <on-error>
    <set-header name="X-Err" exists-action="override"><value>`+urlParts+`</value></set-header>
  </on-error>
</policies>`)
	writeFile(t, dir, "backends/m1/backendInformation.json", `{"properties": {"url": "http://`+m1+`/m1", "protocol": "http"}}`)
	writeFile(t, dir, "backends/m2/backendInformation.json", `{"properties": {"url": "http://`+m2+`/m2", "protocol": "http"}}`)
	writeFile(t, dir, "backends/pool/backendInformation.json", `{"properties": {"type": "Pool", "pool": {"services": [
  {"id": "/backends/m1", "priority": 1, "weight": 1},
  {"id": "/backends/m2", "priority": 1, "weight": 1}]}}}`)
	g := startGateway(t, dir)
	gw, _ := url.Parse(g.url)
	gwHostPort := gw.Host
	parts := func(hostPort, path, query, c string) string {
		h, p, _ := strings.Cut(hostPort, ":")
		return "http|" + h + "|" + p + "|" + path + "|" + query + "|" + c + "|http://" + hostPort + path + query
	}
	for _, tc := range []struct {
		name, query                string
		start, after, backend, out string
		path                       string // what the backend was called on
		outIn                      []string
	}{{
		name: "service URL", query: "?case=none&q=1",
		start:   parts(svc, "/svc/items/42", "?case=none&q=1", "none"),
		after:   parts(svc, "/svc/items/42", "?case=none&q=1", "none"),
		backend: parts(svc, "/svc/items/42", "?case=none&q=1", "none"),
		out:     parts(svc, "/svc/items/42", "?case=none&q=1", "none"),
		path:    "/svc/items/42?case=none&q=1",
	}, {
		name: "set-backend-service base-url", query: "?case=base",
		start:   parts(svc, "/svc/items/42", "?case=base", "base"),
		after:   parts(alt, "/alt/items/42", "?case=base", "base"),
		backend: parts(alt, "/alt/items/42", "?case=base", "base"),
		out:     parts(alt, "/alt/items/42", "?case=base", "base"),
		path:    "/alt/items/42?case=base",
	}, {
		name: "set-backend-service backend-id", query: "?case=one",
		start:   parts(svc, "/svc/items/42", "?case=one", "one"),
		after:   parts(m2, "/m2/items/42", "?case=one", "one"),
		backend: parts(m2, "/m2/items/42", "?case=one", "one"),
		out:     parts(m2, "/m2/items/42", "?case=one", "one"),
		path:    "/m2/items/42?case=one",
	}, {
		name: "rewrite-uri", query: "?case=rewrite&keep=k",
		start:   parts(svc, "/svc/items/42", "?case=rewrite&keep=k", "rewrite"),
		after:   parts(svc, "/svc/v2/42/detail", "?x=1&case=rewrite&keep=k", "rewrite"),
		backend: parts(svc, "/svc/v2/42/detail", "?x=1&case=rewrite&keep=k", "rewrite"),
		out:     parts(svc, "/svc/v2/42/detail", "?x=1&case=rewrite&keep=k", "rewrite"),
		path:    "/svc/v2/42/detail?x=1&case=rewrite&keep=k",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, g.url+"/api/items/42"+tc.query, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			h := resp.Header
			for _, c := range []struct{ name, got, want string }{
				{"inbound start", h.Get("X-U-Start"), tc.start},
				{"after the routing policy", h.Get("X-U-After"), tc.after},
				{"backend section", h.Get("X-Backend"), tc.backend},
				{"outbound", h.Get("X-Out"), tc.out},
				{"backend called on", h.Get("X-Path"), tc.path},
				{"OriginalUrl", h.Get("X-U-Orig"), "http://" + gwHostPort + "/api/items/42" + tc.query},
				{"OriginalUrl in outbound", h.Get("X-Out-Orig"), gw.Hostname() + "/api/items/42"},
			} {
				if c.got != c.want {
					t.Errorf("%s: Url %q, want %q", c.name, c.got, c.want)
				}
			}
		})
	}

	t.Run("pool", func(t *testing.T) {
		seen := map[string]bool{}
		for range 4 {
			resp, body := get(t, g.url+"/api/items/42?case=pool", nil)
			if resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			h := resp.Header
			// Until the forward picks a member: the pool's first.
			if want := parts(m1, "/m1/items/42", "?case=pool", "pool"); h.Get("X-U-After") != want || h.Get("X-Backend") != want {
				t.Errorf("before the forward: %q, %q, want %q", h.Get("X-U-After"), h.Get("X-Backend"), want)
			}
			// In outbound: the member that answered.
			member := m1
			if strings.HasPrefix(h.Get("X-Path"), "/m2/") {
				member = m2
			}
			seen[member] = true
			if want := parts(member, "/"+map[string]string{m1: "m1", m2: "m2"}[member]+"/items/42", "?case=pool", "pool"); h.Get("X-Out") != want {
				t.Errorf("outbound: %q, want %q (the member that answered, called on %s)", h.Get("X-Out"), want, h.Get("X-Path"))
			}
		}
		if len(seen) != 2 {
			t.Errorf("round robin reached %v", seen)
		}
	})

	t.Run("on-error", func(t *testing.T) {
		resp, _ := get(t, g.url+"/api/items/42?case=err", nil)
		if resp.StatusCode != 400 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if got, want := resp.Header.Get("X-Err"), parts(svc, "/svc/items/42", "?case=err", "err"); got != want {
			t.Errorf("on-error: Url %q, want %q", got, want)
		}
	})
}

// TestRequestUrlWebSocketHandshake: a WebSocket API's inbound (its
// onHandshake) sees the backend's ws URL as context.Request.Url (an http
// service URL in the ws scheme, as the handshake is sent), and the
// client's as OriginalUrl.
func TestRequestUrlWebSocketHandshake(t *testing.T) {
	be := newWSBackend(t)
	dir := t.TempDir()
	httpURL := "http" + strings.TrimPrefix(be.url, "ws") // the service URL in http: the handshake goes out as ws
	writeAPI(t, dir, "chat", `type="websocket" path="/chat" service-url="`+httpURL+`/hub"`, `<policies>
  <inbound>
    <set-header name="X-Url" exists-action="override"><value>`+urlParts+`</value></set-header>
    <rewrite-uri template="/rooms/{room}"/>
    <set-header name="X-Url-After" exists-action="override"><value>@(context.Request.Url.ToString())</value></set-header>
    <set-header name="X-Orig" exists-action="override"><value>@(context.Request.OriginalUrl.Scheme + "://" + context.Request.OriginalUrl.Host + context.Request.OriginalUrl.Path)</value></set-header>
  </inbound>
  <backend><forward-request/></backend>
  <outbound/><on-error/>
</policies>`)
	g := startGateway(t, dir)
	c := dial(t, g.ws+"/chat/x?room=blue", nil)
	c.CloseNow()
	r := be.lastRequest()
	if r == nil {
		t.Fatal("no handshake reached the backend")
	}
	hp := strings.TrimPrefix(be.url, "ws://")
	h, p, _ := strings.Cut(hp, ":")
	if got, want := r.Header.Get("X-Url"), "ws|"+h+"|"+p+"|/hub/x|?room=blue||ws://"+hp+"/hub/x?room=blue"; got != want {
		t.Errorf("onHandshake: Url %q, want %q", got, want)
	}
	if got, want := r.Header.Get("X-Url-After"), "ws://"+hp+"/hub/rooms/blue"; got != want {
		t.Errorf("after rewrite-uri: Url %q, want %q", got, want)
	}
	gw, _ := url.Parse(g.ws)
	if got, want := r.Header.Get("X-Orig"), "ws://"+gw.Hostname()+"/chat/x"; got != want {
		t.Errorf("OriginalUrl %q, want %q", got, want)
	}
	if r.URL.Path != "/hub/rooms/blue" {
		t.Errorf("the backend handshake went to %q", r.URL.RequestURI())
	}
}
