package policies

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"tollgate/engine"
)

// httpRequest builds a State for an HTTP API "orders" at /orders.
func httpRequest(method, rawURL string, hdr ...string) *engine.State {
	u, _ := url.Parse(rawURL)
	h := http.Header{}
	for i := 0; i+1 < len(hdr); i += 2 {
		h.Add(hdr[i], hdr[i+1])
	}
	s := engine.AcquireState(&engine.Api{Name: "orders", Type: "http", Path: "/orders", ServiceUrl: "http://127.0.0.1:1/svc"})
	s.SetRequest(method, u.Scheme, u.Host, u, h, "10.1.2.3")
	return s
}

// TestRewriteURIOperationQuery: the rewrite-uri page's examples 2 and 3 as
// written: "Assuming incoming request is /get?a=b&c=d and operation
// template is set to /get?a={b}", template="/put" gives /put?c=d, and with
// copy-unmatched-params="false", /put.
func TestRewriteURIOperationQuery(t *testing.T) {
	for _, tc := range []struct{ policy, op, wantQuery string }{
		{`<rewrite-uri template="/put" />`, "/get?a={b}", "?c=d"},
		{`<rewrite-uri template="/put" copy-unmatched-params="false" />`, "/get?a={b}", ""},
		{`<rewrite-uri template="/put" />`, "/get", "?a=b&c=d"},             // a parameter the template does not name is copied
		{`<rewrite-uri template="/put" />`, "/get?%61={b}", "?c=d"},         // the name as the template escapes it
		{`<rewrite-uri template="/put?a={b}" />`, "/get?a={b}", "?a=b&c=d"}, // a placeholder takes the matched parameter
	} {
		t.Run(tc.policy+" "+tc.op, func(t *testing.T) {
			plan := compile(t, testDeps(), tc.policy)
			s := httpRequest("GET", "http://gw/orders/get?a=b&c=d")
			defer s.Release()
			s.Context().Operation = &engine.Operation{Id: "get", Method: "GET", UrlTemplate: tc.op}
			if tc.op == "/get?a={b}" || tc.op == "/get?%61={b}" {
				s.Context().Request.MatchedParameters = map[string]string{"b": "b"}
			}
			if runInbound(plan, s) {
				t.Fatalf("%+v", s.LastError())
			}
			if u := s.Context().Request.Url; u.Path != "/orders/put" || u.QueryString != tc.wantQuery {
				t.Errorf("url = %q %q, want /orders/put %q", u.Path, u.QueryString, tc.wantQuery)
			}
		})
	}
}

func TestRewriteURI(t *testing.T) {
	for _, tc := range []struct {
		name, policy, url   string
		wantPath, wantQuery string
		wantReason          string
	}{
		{"literal", `<rewrite-uri template="/v2/items"/>`, "http://gw/orders/x?a=1&b=2", "/orders/v2/items", "?a=1&b=2", ""},
		{"relative, as APIM's samples write it", `<rewrite-uri template="v2/items/{id}"/>`, "http://gw/orders/x?id=7", "/orders/v2/items/7", "", ""},
		{"relative expression", `<rewrite-uri template="@("v2/" + "y")"/>`, "http://gw/orders/x", "/orders/v2/y", "", ""},
		{"literal no copy", `<rewrite-uri template="/v2/items?fixed=1" copy-unmatched-params="false"/>`, "http://gw/orders/x?a=1", "/orders/v2/items", "?fixed=1", ""},
		{"placeholders", `<rewrite-uri template="/items/{id}/{kind}?q={q}&amp;lit=x"/>`, "http://gw/orders?id=42&kind=book&q=go%20lang&other=1",
			"/orders/items/42/book", "?lit=x&q=go+lang&other=1", ""}, // the template's first, then the copied as written
		{"copied parameters as the client wrote them", `<rewrite-uri template="/run?api-version=2016-06-01"/>`,
			"http://gw/orders?sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&p=x/y&sig=a%2Bb%3D&q=a%20b&flag",
			"/orders/run", "?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&p=x/y&sig=a%2Bb%3D&q=a%20b&flag", ""},
		{"template param wins over original", `<rewrite-uri template="/i?a=new"/>`, "http://gw/orders?a=old&b=1", "/orders/i", "?a=new&b=1", ""},
		{"missing query placeholder drops it", `<rewrite-uri template="/i?q={q}"/>`, "http://gw/orders?z=1", "/orders/i", "?z=1", ""},
		{"missing path placeholder", `<rewrite-uri template="/i/{id}"/>`, "http://gw/orders", "", "", ReasonTemplateParameter},
		{"escaped path", `<rewrite-uri template="/a%20b/{id}"/>`, "http://gw/orders?id=x%2Fy", "/orders/a b/x/y", "", ""},
		{"expression", `<rewrite-uri template="@("/by-user/" + context.Request.Headers.GetValueOrDefault("X-User","") + "?v=2")" copy-unmatched-params="@(false)"/>`,
			"http://gw/orders?drop=1", "/orders/by-user/bob", "?v=2", ""},
		{"expression not substituted", `<rewrite-uri template="@("/x/{id}")"/>`, "http://gw/orders?id=1", "/orders/x/{id}", "?id=1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := compile(t, testDeps(), tc.policy)
			s := httpRequest("GET", tc.url, "X-User", "bob")
			defer s.Release()
			stopped := runInbound(plan, s)
			if tc.wantReason != "" {
				if !stopped || s.LastError().Reason != tc.wantReason || s.Response().StatusCode != 400 {
					t.Fatalf("want %s/400, got %+v %d", tc.wantReason, s.LastError(), s.Response().StatusCode)
				}
				return
			}
			if stopped {
				t.Fatalf("%+v", s.LastError())
			}
			u := s.Context().Request.Url
			if u.Path != tc.wantPath || u.QueryString != tc.wantQuery {
				t.Errorf("url = %q %q, want %q %q", u.Path, u.QueryString, tc.wantPath, tc.wantQuery)
			}
			if o := s.Context().Request.OriginalUrl; o.Path == u.Path && tc.wantPath != "" {
				t.Errorf("OriginalUrl changed too: %q", o.Path)
			}
		})
	}
}

func TestSetMethodAndMockResponse(t *testing.T) {
	plan := compile(t, testDeps(), `<policies>
<inbound><set-method>@(context.Request.Headers.GetValueOrDefault("X-M", "PATCH"))</set-method></inbound>
<backend><set-method>@(context.Request.Method + "X")</set-method></backend>
<outbound><mock-response status-code="@(200 + 3)" content-type="text/plain">@("mocked " + context.Request.Method)</mock-response><set-variable name="never" value="x"/></outbound>
<on-error/></policies>`)
	s := httpRequest("GET", "http://gw/orders/1")
	defer s.Release()
	for _, sec := range []engine.Section{engine.Inbound, engine.Backend} {
		if plan.Run(t.Context(), sec, s) {
			t.Fatalf("%v: %+v", sec, s.LastError())
		}
	}
	if m := s.Context().Request.Method; m != "PATCHX" {
		t.Errorf("method = %q", m)
	}
	s.SetResponse(engine.NewResponse(500)) // the backend's
	if !plan.Run(t.Context(), engine.Outbound, s) {
		t.Fatalf("mock-response did not end the pipeline")
	}
	r := s.Response()
	body, _ := r.Body.AsString()
	if r.StatusCode != 203 || r.Headers.GetValueOrDefault("Content-Type", "") != "text/plain" || body != "mocked PATCHX" || s.Variables()["never"] != nil {
		t.Errorf("response %d %v %q", r.StatusCode, r.Headers, body)
	}

	// Defaults: 200, no content type, empty body.
	plan = compile(t, testDeps(), `<mock-response/>`)
	s2 := httpRequest("GET", "http://gw/orders/1")
	defer s2.Release()
	if !runInbound(plan, s2) || s2.Response().StatusCode != 200 || len(s2.Response().Headers) != 0 {
		t.Errorf("default mock: %d %v", s2.Response().StatusCode, s2.Response().Headers)
	}

	// Run-time checks: a bad method from an expression, a WebSocket handshake.
	plan = compile(t, testDeps(), `<set-method>@(context.Request.Headers.GetValueOrDefault("X-M", "POST"))</set-method>`)
	for _, s := range []*engine.State{httpRequest("GET", "http://gw/orders", "X-M", "BAD METHOD"), request("ws://gw/chat")} {
		if !runInbound(plan, s) || s.LastError().Reason != engine.ReasonExpression || s.Context().Request.Method != "GET" {
			t.Errorf("want a failure, got %+v, method %s", s.LastError(), s.Context().Request.Method)
		}
		s.Release()
	}
}

func TestMorePoliciesLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"retry count", `<retry condition="true" count="51" interval="1"/>`, `1:51: inbound/retry[1]: attribute "count" must be between 1 and 50, not 51`},
		{"retry count zero", `<retry condition="true" count="0" interval="1"/>`, `attribute "count" must be between 1 and 50, not 0`},
		{"retry needs condition", `<retry count="1" interval="1"/>`, `<retry> needs the attribute "condition"`},
		{"retry needs interval", `<retry condition="true" count="1"/>`, `<retry> needs the attribute "interval"`},
		{"retry condition type", `<retry condition="@(1)" count="1" interval="1"/>`, `expression yields int, but this value must be a bool`},
		{"retry max below interval", `<retry condition="true" count="1" interval="10" max-interval="5"/>`, `1:82: inbound/retry[1]: attribute "max-interval" (5) must not be less than "interval" (10)`},
		{"retry bad first-fast-retry", `<retry condition="true" count="1" interval="1" first-fast-retry="yes"/>`, `attribute "first-fast-retry" must be true or false`},
		{"wait inside retry", `<retry condition="true" count="1" interval="1"><wait><send-request response-variable-name="r"><set-url>http://x/</set-url></send-request></wait></retry>`,
			`1:67: inbound/retry[1]: <wait> is not allowed inside <retry>`},
		{"wait bad for", `<wait for="some"/>`, `1:31: inbound/wait[1]: attribute "for" must be one of all, any, not "some"`},
		{"wait forbidden child", `<wait><set-variable name="a" value="b"/></wait>`, `1:26: inbound/wait[1]: <set-variable> is not allowed inside <wait>`},
		{"wait forbidden in branch", `<wait><choose><when condition="true"><set-header name="a" exists-action="delete"/></when></choose></wait>`,
			`<set-header> is not allowed inside a <wait> branch`},
		{"wait in on-error", `<policies><inbound/><backend/><outbound/><on-error><wait/></on-error></policies>`, `<wait> is not allowed in on-error`},
		{"wait empty", `<wait/>`, `<wait> needs at least one child`},
		{"cache lookup needs variable", `<cache-lookup-value key="k"/>`, `<cache-lookup-value> needs the attribute "variable-name"`},
		{"cache bad caching-type", `<cache-lookup-value key="k" variable-name="v" caching-type="disk"/>`, `attribute "caching-type" must be one of prefer-external, external, internal, not "disk"`},
		{"cache store duration", `<cache-store-value key="k" value="v" duration="0"/>`, `attribute "duration" must be between 1 and 2147483647, not 0`},
		{"cache store needs value", `<cache-store-value key="k" duration="5"/>`, `needs the attribute "value"`},
		{"cache empty key", `<cache-remove-value key=""/>`, `attribute "key" must not be empty`},
		{"trace needs source", `<trace><message>m</message></trace>`, `<trace> needs the attribute "source"`},
		{"trace bad severity", `<trace source="s" severity="debug"><message>m</message></trace>`, `attribute "severity" must be one of verbose, information, error, not "debug"`},
		{"trace needs message", `<trace source="s"/>`, `<trace> needs a <message>`},
		{"trace bad child", `<trace source="s"><message>m</message><note/></trace>`, `unexpected element <note> inside <trace>`},
		{"rewrite-uri URL", `<rewrite-uri template="https://other/v2/x"/>`, `1:43: inbound/rewrite-uri[1]: attribute "template": the template is a path and query`},
		{"rewrite-uri bad placeholder", `<rewrite-uri template="/x/{id"/>`, `unterminated "{"`},
		{"rewrite-uri in outbound", `<policies><inbound/><backend/><outbound><rewrite-uri template="/x"/></outbound><on-error/></policies>`, `<rewrite-uri> is not allowed in outbound`},
		{"mock status", `<mock-response status-code="99"/>`, `attribute "status-code" must be between 100 and 599, not 99`},
		{"mock content type", `<mock-response content-type="not a type"/>`, `attribute "content-type" must be a media type`},
		{"set-method empty", `<set-method></set-method>`, `the method must not be empty`},
		{"set-method bad", `<set-method>GE T</set-method>`, `"GE T" is not an HTTP method`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := compileErrs(testDeps(), tc.src)
			if len(errs) == 0 {
				t.Fatalf("no load error")
			}
			msg := errs.Error()
			if !strings.Contains(msg, tc.want) || !strings.Contains(msg, "policy.xml:") {
				t.Errorf("errors:\n%s\nwant %q", msg, tc.want)
			}
		})
	}
}

// The examples in docs/policies-more.md compile (named values swapped for
// the harness's).
func TestMorePoliciesDocExamplesCompile(t *testing.T) {
	compile(t, testDeps(), `
<cache-lookup-value key="@("token-" + context.Api.Name)" variable-name="token" default-value="" caching-type="prefer-external"/>
<cache-store-value key="@("token-" + context.Api.Name)" value="@(context.Variables["token"])" duration="3300"/>
<cache-remove-value key="@("token-" + context.Api.Name)"/>
<cache-lookup-value key="@("bearerToken-" + context.Api.Name)" variable-name="bearerToken"/>
<choose>
  <when condition="@(!context.Variables.ContainsKey("bearerToken"))">
    <send-request mode="new" response-variable-name="oauthResponse" timeout="10" ignore-error="false">
      <set-url>http://auth.example/token</set-url>
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
<retry condition="@(context.Variables["response"] == nil || context.Variables["response"].StatusCode >= 500)"
       count="3" interval="1" first-fast-retry="true">
  <send-request mode="new" response-variable-name="response" timeout="3" ignore-error="true">
    <set-url>https://api.example.com/products/5</set-url>
  </send-request>
</retry>
<wait for="all">
  <send-request response-variable-name="user" timeout="5"><set-url>https://users/me</set-url></send-request>
  <send-request response-variable-name="prefs" timeout="5"><set-url>https://prefs/me</set-url></send-request>
  <cache-lookup-value key="@("flags-" + context.Api.Name)" variable-name="flags"/>
</wait>
<trace source="orders-api" severity="information">
  <message>@("user " + context.Variables.GetValueOrDefault("user", "?"))</message>
  <metadata name="ip" value="@(context.Request.IpAddress)"/>
</trace>
<rewrite-uri template="/v2/items/{id}?kind=book&amp;q={q}" copy-unmatched-params="true"/>
<set-method>POST</set-method>
<set-method>@(context.Request.Headers.GetValueOrDefault("X-HTTP-Method-Override", context.Request.Method))</set-method>
<mock-response status-code="200" content-type="application/json">{"status":"ok"}</mock-response>
`)
}
