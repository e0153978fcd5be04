package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"tollgate/gateway"
)

// TestRequestUrlBuiltWhenRead: context.Request.Url's scheme, host, port and
// path are built when first read after set-backend-service (and at
// inbound's start), not when set-backend-service runs (engine:
// State.RefreshUrl, syncUrl). Nothing reads the Url before the routing
// policy but its query, so every row's one reader is the first to need
// the view: each must see the URL it saw when the view was built at once.
// Readers: an expression in inbound (a member chain the engine answers
// without its VM, one a named value's text makes),
// in the backend section, in outbound, in on-error; rewrite-uri and set-query-parameter after
// set-backend-service (and the backend called on what they left);
// send-request mode="copy" (sent to the Url it copies); a traced request
// (the console's test run: a trace token) and its trace's note.
func TestRequestUrlBuiltWhenRead(t *testing.T) {
	svc, alt := urlBackend(t), urlBackend(t)
	dir := t.TempDir()
	when := func(c, body string) string {
		return `<when condition="@(context.Request.Url.Query.GetValueOrDefault(&quot;case&quot;, &quot;&quot;) == &quot;` + c + `&quot;)">` + body + `</when>`
	}
	writeFile(t, dir, "named-values.xml", `<named-values><named-value name="urlpath">context.Request.Url.Path</named-value></named-values>`)
	writeFile(t, dir, "shop/api.xml", `<api name="shop" type="http" path="/api" service-url="http://`+svc+`/svc">
  <operations><operation id="get-item" method="GET" url-template="/items/{id}"/></operations>
</api>`)
	writeFile(t, dir, "shop/policy.xml", `<policies>
  <inbound>
    <set-header name="X-Tenant" exists-action="override"><value>@(context.Request.Headers.GetValueOrDefault("X-Tenant", "anonymous"))</value></set-header>
    <set-backend-service base-url="http://`+alt+`/alt/"/>
    <choose>
      `+when("in", `<set-header name="X-U-In" exists-action="override"><value>`+urlParts+`</value></set-header>`)+`
      `+when("rewrite", `<rewrite-uri template="/v2/{id}?x=1"/>`)+`
      `+when("sqp", `<set-query-parameter name="added" exists-action="override"><value>v</value></set-query-parameter>`)+`
      `+when("copy", `<send-request mode="copy" response-variable-name="r" timeout="10"/>
        <set-header name="X-U-Copy" exists-action="override"><value>@(((IResponse)context.Variables["r"]).Headers.GetValueOrDefault("X-Path", ""))</value></set-header>`)+`
      `+when("err", `<set-variable name="boom" value="@(((string)context.Variables[&quot;nope&quot;]).Length)"/>`)+`
      `+when("nv", `<set-header name="X-U-Nv" exists-action="override"><value>@({{urlpath}})</value></set-header>`)+`
      `+when("chain", `<set-header name="X-U-Chain" exists-action="override"><value>@(context.Request.Url.Path)</value></set-header>`)+`
      `+when("trace", `<trace source="t"><message>@(context.Request.Url.ToString())</message></trace>`)+`
    </choose>
  </inbound>
  <backend>
    <choose>`+when("backend", `<set-variable name="b" value="`+urlParts+`"/>`)+`</choose>
    <forward-request timeout="10"/>
  </backend>
  <outbound>
    <choose>
      `+when("out", `<set-header name="X-U-Out" exists-action="override"><value>`+urlParts+`</value></set-header>`)+`
      `+when("rewrite", `<set-header name="X-U-Out" exists-action="override"><value>`+urlParts+`</value></set-header>`)+`
      `+when("sqp", `<set-header name="X-U-Out" exists-action="override"><value>`+urlParts+`</value></set-header>`)+`
      `+when("backend", `<set-header name="X-U-Out" exists-action="override"><value>@((string)context.Variables["b"])</value></set-header>`)+`
    </choose>
  </outbound>
  <on-error>
    <set-header name="X-U-Err" exists-action="override"><value>`+urlParts+`</value></set-header>
  </on-error>
</policies>`)
	g := startGateway(t, dir)
	parts := func(path, query, c string) string {
		h, p, _ := strings.Cut(alt, ":")
		return "http|" + h + "|" + p + "|" + path + "|" + query + "|" + c + "|http://" + alt + path + query
	}
	for _, tc := range []struct {
		name, c   string
		status    int
		header    string // the header the reader wrote
		want      string
		path      string // what the backend was called on ("": not called)
		traced    bool
		traceNote string
	}{
		{name: "inbound expression", c: "in", status: 200, header: "X-U-In", want: parts("/alt/items/42", "?case=in", "in"), path: "/alt/items/42?case=in"},
		{name: "backend section expression", c: "backend", status: 200, header: "X-U-Out", want: parts("/alt/items/42", "?case=backend", "backend"), path: "/alt/items/42?case=backend"},
		{name: "outbound expression", c: "out", status: 200, header: "X-U-Out", want: parts("/alt/items/42", "?case=out", "out"), path: "/alt/items/42?case=out"},
		{name: "rewrite-uri after set-backend-service", c: "rewrite", status: 200, header: "X-U-Out", want: parts("/alt/v2/42", "?x=1&case=rewrite", "rewrite"), path: "/alt/v2/42?x=1&case=rewrite"},
		{name: "set-query-parameter after set-backend-service", c: "sqp", status: 200, header: "X-U-Out", want: parts("/alt/items/42", "?case=sqp&added=v", "sqp"), path: "/alt/items/42?case=sqp&added=v"},
		{name: "send-request mode copy", c: "copy", status: 200, header: "X-U-Copy", want: "/alt/items/42?case=copy", path: "/alt/items/42?case=copy"},
		{name: "a member chain (a fast path)", c: "chain", status: 200, header: "X-U-Chain", want: "/alt/items/42", path: "/alt/items/42?case=chain"},
		{name: "a named value's expression", c: "nv", status: 200, header: "X-U-Nv", want: "/alt/items/42", path: "/alt/items/42?case=nv"},
		{name: "on-error expression", c: "err", status: 500, header: "X-U-Err", want: parts("/alt/items/42", "?case=err", "err")},
		{name: "traced request (console test run)", c: "trace", status: 200, traced: true, path: "/alt/items/42?case=trace", traceNote: "http://" + alt + "/alt/items/42?case=trace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.traced {
				tok, _, err := g.srv.MintTraceToken("shop", time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				h.Set(gateway.TraceTokenHeader, tok)
			}
			resp, body := get(t, g.url+"/api/items/42?case="+tc.c, h)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.header != "" {
				if got := resp.Header.Get(tc.header); got != tc.want {
					t.Errorf("%s = %q, want %q", tc.header, got, tc.want)
				}
			}
			if got := resp.Header.Get("X-Path"); got != tc.path {
				t.Errorf("the backend was called on %q, want %q", got, tc.path)
			}
			if tc.traced {
				id := resp.Header.Get(gateway.TraceIDHeader)
				var tr *gateway.RequestTrace
				waitFor(t, "the trace", func() bool { tr = g.srv.Trace(id); return tr != nil })
				b, _ := json.Marshal(tr)
				if !strings.Contains(string(b), tc.traceNote) {
					t.Errorf("the trace lacks %q: %s", tc.traceNote, b)
				}
			}
		})
	}
}
