package gateway_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// exchangeStatePolicy shows, on the backend request and on the client's
// answer, what each request's policies saw: a variable only some requests
// set, the query, the headers, the request body and the backend's answer.
const exchangeStatePolicy = `<policies>
  <inbound>
    <choose>
      <when condition="@(context.Request.Headers.ContainsKey(&quot;X-Keep&quot;))">
        <set-variable name="kept" value="@(context.Request.Headers.GetValueOrDefault(&quot;X-Keep&quot;,&quot;&quot;))"/>
      </when>
    </choose>
    <set-header name="X-Seen" exists-action="override"><value>@((string)context.Variables.GetValueOrDefault("kept","none") + "|" + context.Request.Url.Query.GetValueOrDefault("q","none") + "|" + context.Request.Headers.GetValueOrDefault("X-Tenant","none") + "|" + context.Request.Body.As<string>(preserveContent: true))</value></set-header>
  </inbound>
  <backend><forward-request/></backend>
  <outbound>
    <set-header name="X-Out" exists-action="override"><value>@((string)context.Variables.GetValueOrDefault("kept","none") + "|" + context.Response.Body.As<string>(preserveContent: true))</value></set-header>
  </outbound>
  <on-error/>
</policies>`

// TestExchangeStateIsPerRequest: what the gateway keeps per request in its
// exchange (section and backend-call contexts, the backend URL, the request
// and response bodies and the answer outbound sees) never carries over to
// the next request, on the same connection or not: each sees its own
// variables, query, headers and bodies, whether the one before had them
// or not.
func TestExchangeStateIsPerRequest(t *testing.T) {
	var rb *restBackend
	rb = newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s?%s [%s] %s", r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("X-Seen"), rb.last.Load().body)
	})
	g := startGateway(t, restAPI(t, rb.url, "", exchangeStatePolicy))
	type request struct {
		method, path, keep, tenant, body string
	}
	tests := []struct {
		req              request
		wantSeen, wantTo string // X-Seen as the backend got it; the backend's answer
	}{
		{request{"POST", "/orders/1?q=a", "k1", "acme", "one"}, "k1|a|acme|one", "POST /1?q=a [k1|a|acme|one] one"},
		{request{"GET", "/orders/2?q=b", "", "", ""}, "none|b|none|", "GET /2?q=b [none|b|none|] "},
		{request{"POST", "/orders/3", "k3", "", "three"}, "k3|none|none|three", "POST /3? [k3|none|none|three] three"},
		{request{"GET", "/orders/4", "", "globex", ""}, "none|none|globex|", "GET /4? [none|none|globex|] "},
		{request{"PUT", "/orders/5?q=c&q=d", "", "", "five"}, "none|c,d|none|five", "PUT /5?q=c&q=d [none|c,d|none|five] five"},
	}
	for round := 0; round < 2; round++ { // the second round follows requests that had what it lacks
		for i, tc := range tests {
			var body io.Reader
			if tc.req.body != "" {
				body = strings.NewReader(tc.req.body)
			}
			req, err := http.NewRequest(tc.req.method, g.url+tc.req.path, body)
			if err != nil {
				t.Fatal(err)
			}
			if tc.req.keep != "" {
				req.Header.Set("X-Keep", tc.req.keep)
			}
			if tc.req.tenant != "" {
				req.Header.Set("X-Tenant", tc.req.tenant)
			}
			resp, got := do(t, req)
			if resp.StatusCode != http.StatusOK || got != tc.wantTo {
				t.Fatalf("round %d, request %d: %d %q; want %q", round, i, resp.StatusCode, got, tc.wantTo)
			}
			keep := tc.req.keep
			if keep == "" {
				keep = "none"
			}
			wantOut := strings.TrimSpace(keep + "|" + tc.wantTo) // a header value's trailing space is not sent
			if out := resp.Header.Get("X-Out"); out != wantOut {
				t.Errorf("round %d, request %d: outbound saw %q; want %q", round, i, out, wantOut)
			}
			if seen := rb.last.Load().header.Get("X-Seen"); seen != tc.wantSeen {
				t.Errorf("round %d, request %d: inbound saw %q; want %q", round, i, seen, tc.wantSeen)
			}
		}
	}
}
