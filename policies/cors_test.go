package policies

import (
	"strings"
	"testing"

	"tollgate/engine"
)

func TestCors(t *testing.T) {
	listed := compile(t, testDeps(), `<cors allow-credentials="true">
  <allowed-origins><origin>https://app.example.com</origin><origin>http://localhost:3000</origin></allowed-origins>
  <allowed-methods preflight-result-max-age="300"><method>GET</method><method>put</method></allowed-methods>
  <allowed-headers><header>Content-Type</header><header>authorization</header></allowed-headers>
  <expose-headers><header>X-Request-Id</header><header>X-Left</header></expose-headers>
</cors>`)
	wildcard := compile(t, testDeps(), `<cors>
  <allowed-origins><origin>*</origin></allowed-origins>
  <allowed-methods><method>*</method></allowed-methods>
  <allowed-headers><header>*</header></allowed-headers>
</cors>`)
	passThrough := compile(t, testDeps(), `<cors terminate-unmatched-request="false">
  <allowed-origins><origin>https://app.example.com</origin></allowed-origins>
  <allowed-headers><header>Content-Type</header></allowed-headers>
</cors>`)
	// One <origin> may list several (as a named value holding a list does).
	commaList := compile(t, testDeps(), `<cors allow-credentials="true">
  <allowed-origins><origin> https://app.example.com, http://localhost:3000 ,</origin></allowed-origins>
  <allowed-methods><method>POST</method></allowed-methods>
  <allowed-headers><header>X-Requested-With</header></allowed-headers>
</cors>`)
	// An <origin> expression, as in the policy APIM writes for an A2A
	// agent API (it echoes the request's Origin), and one that names a
	// fixed origin.
	echoOrigin := compile(t, testDeps(), `<cors allow-credentials="true">
  <allowed-origins><origin>@(context.Request.Headers.GetValueOrDefault("Origin") ?? $"https://{context.Request.Url.Host}")</origin></allowed-origins>
  <allowed-methods><method>*</method></allowed-methods>
  <allowed-headers><header>*</header></allowed-headers>
</cors>`)
	fixedExpr := compile(t, testDeps(), `<cors>
  <allowed-origins><origin>@("https://" + "app.example.com, http://localhost:3000")</origin></allowed-origins>
  <allowed-headers><header>*</header></allowed-headers>
</cors>`)
	defaults := compile(t, testDeps(), `<cors>
  <allowed-origins><origin>https://app.example.com:443/</origin></allowed-origins>
  <allowed-headers><header>Content-Type</header></allowed-headers>
</cors>`)
	// No <allowed-headers>, as production policies write it (APIM's page
	// marks it required; a notice says so): no requested header is allowed.
	noHeaders := compile(t, testDeps(), `<cors>
  <allowed-origins><origin>https://app.example.com</origin></allowed-origins>
</cors>`)

	type want struct {
		stopped bool
		status  int
		headers map[string]string // on the preflight response, or recorded for the final one; "" = absent
	}
	for _, tc := range []struct {
		name   string
		plan   *engine.Plan
		method string
		hdr    []string
		want   want
	}{
		{"preflight allowed", listed, "OPTIONS", []string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "content-type, Authorization"},
			want{true, 200, map[string]string{
				"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Credentials": "true",
				"Access-Control-Allow-Methods": "GET, PUT", "Access-Control-Allow-Headers": "content-type, Authorization",
				"Access-Control-Max-Age": "300", "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}}},
		{"preflight origin case and default port", listed, "OPTIONS", []string{"Origin", "HTTPS://App.Example.com:443", "Access-Control-Request-Method", "GET"},
			want{true, 200, map[string]string{"Access-Control-Allow-Origin": "HTTPS://App.Example.com:443", "Access-Control-Allow-Headers": ""}}},
		{"preflight origin denied", listed, "OPTIONS", []string{"Origin", "https://evil.example.com", "Access-Control-Request-Method", "GET"},
			want{true, 200, map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": ""}}},
		{"preflight method denied", listed, "OPTIONS", []string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "DELETE"},
			want{true, 200, map[string]string{"Access-Control-Allow-Origin": ""}}},
		{"preflight header denied", listed, "OPTIONS", []string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "X-Secret"},
			want{true, 200, map[string]string{"Access-Control-Allow-Origin": ""}}},
		{"preflight denied, not terminated", passThrough, "OPTIONS", []string{"Origin", "https://evil.example.com", "Access-Control-Request-Method", "GET"},
			want{false, 0, nil}},
		{"preflight wildcard", wildcard, "OPTIONS", []string{"Origin", "https://any.example", "Access-Control-Request-Method", "PATCH", "Access-Control-Request-Headers", "X-Anything"},
			want{true, 200, map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "PATCH",
				"Access-Control-Allow-Headers": "X-Anything", "Access-Control-Allow-Credentials": "", "Access-Control-Max-Age": ""}}},
		{"default methods: POST", defaults, "OPTIONS", []string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "POST"},
			want{true, 200, map[string]string{"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Methods": "GET, POST"}}},
		{"default methods: no PUT", defaults, "OPTIONS", []string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "PUT"},
			want{true, 200, map[string]string{"Access-Control-Allow-Origin": ""}}},
		{"comma list: first origin", commaList, "OPTIONS", []string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "x-requested-with"},
			want{true, 200, map[string]string{"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Credentials": "true"}}},
		{"comma list: second origin", commaList, "POST", []string{"Origin", "http://localhost:3000"},
			want{false, 0, map[string]string{"Access-Control-Allow-Origin": "http://localhost:3000", "Access-Control-Allow-Credentials": "true"}}},
		{"comma list: other origin", commaList, "OPTIONS", []string{"Origin", "http://localhost:3001", "Access-Control-Request-Method", "POST"},
			want{true, 200, map[string]string{"Access-Control-Allow-Origin": ""}}},
		{"origin expression echoes the Origin", echoOrigin, "OPTIONS", []string{"Origin", "https://any.example", "Access-Control-Request-Method", "POST"},
			want{true, 200, map[string]string{"Access-Control-Allow-Origin": "https://any.example", "Access-Control-Allow-Credentials": "true"}}},
		{"origin expression, actual request", echoOrigin, "POST", []string{"Origin", "https://any.example"},
			want{false, 0, map[string]string{"Access-Control-Allow-Origin": "https://any.example", "Vary": "Origin"}}},
		{"origin expression's list: second", fixedExpr, "GET", []string{"Origin", "http://localhost:3000"},
			want{false, 0, map[string]string{"Access-Control-Allow-Origin": "http://localhost:3000"}}},
		{"origin expression's list: other origin", fixedExpr, "GET", []string{"Origin", "https://evil.example"},
			want{true, 200, map[string]string{"Access-Control-Allow-Origin": ""}}},
		{"no allowed-headers: a preflight asking for none", noHeaders, "OPTIONS", []string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "GET"},
			want{true, 200, map[string]string{"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Methods": "GET, POST"}}},
		{"no allowed-headers: a preflight asking for one", noHeaders, "OPTIONS", []string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "Content-Type"},
			want{true, 200, map[string]string{"Access-Control-Allow-Origin": ""}}},
		{"plain OPTIONS is not a preflight", listed, "OPTIONS", []string{"Origin", "https://app.example.com"},
			want{false, 0, map[string]string{"Access-Control-Allow-Origin": ""}}},

		{"actual request", listed, "GET", []string{"Origin", "https://app.example.com"},
			want{false, 0, map[string]string{"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Credentials": "true",
				"Access-Control-Expose-Headers": "X-Request-Id, X-Left", "Vary": "Origin"}}},
		{"actual request, wildcard", wildcard, "DELETE", []string{"Origin", "https://any.example"},
			want{false, 0, map[string]string{"Access-Control-Allow-Origin": "*", "Vary": "", "Access-Control-Allow-Credentials": ""}}},
		{"no Origin: not CORS", listed, "GET", nil, want{false, 0, map[string]string{"Access-Control-Allow-Origin": ""}}},
		{"unmatched GET terminated", listed, "GET", []string{"Origin", "https://evil.example.com"},
			want{true, 200, map[string]string{"Access-Control-Allow-Origin": ""}}},
		{"unmatched POST goes on without CORS headers", listed, "POST", []string{"Origin", "https://evil.example.com"},
			want{false, 0, map[string]string{"Access-Control-Allow-Origin": ""}}},
		{"unmatched GET, not terminated", passThrough, "GET", []string{"Origin", "https://evil.example.com"},
			want{false, 0, map[string]string{"Access-Control-Allow-Origin": ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := secRequest(tc.method, "http://gw/api/items", "10.0.0.1", tc.hdr...)
			defer s.Release()
			stopped := runInbound(tc.plan, s)
			if stopped != tc.want.stopped {
				t.Fatalf("stopped = %v, want %v (%+v)", stopped, tc.want.stopped, s.LastError())
			}
			if s.LastError() != nil {
				t.Fatalf("LastError = %+v", s.LastError())
			}
			h := s.ResponseHeaders()
			if stopped {
				r := s.Response()
				if r.StatusCode != tc.want.status {
					t.Errorf("status = %d", r.StatusCode)
				}
				if b, _ := r.Body.Bytes(); len(b) != 0 {
					t.Errorf("body = %q", b)
				}
				if tc.method == "OPTIONS" {
					h = r.Headers
				}
			}
			for k, v := range tc.want.headers {
				if got := h.GetValueOrDefault(k, ""); got != v {
					t.Errorf("%s = %q, want %q (all: %v)", k, got, v, h)
				}
			}
		})
	}
}

func TestCorsLoadErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`<cors allow-credentials="true"><allowed-origins><origin>*</origin></allowed-origins><allowed-headers><header>a</header></allowed-headers></cors>`,
			`policy.xml:1:76: inbound/cors[1]/allowed-origins[1]: origin "*" cannot be used with allow-credentials="true"`},
		{`<cors><allowed-headers><header>a</header></allowed-headers></cors>`, `policy.xml:1:20: inbound/cors[1]: <cors> needs <allowed-origins>`},
		{`<cors><allowed-origins/><allowed-headers><header>a</header></allowed-headers></cors>`, `<allowed-origins> needs at least one <origin>`},
		{`<cors><allowed-origins><origin>app.example.com</origin></allowed-origins><allowed-headers><header>a</header></allowed-headers></cors>`,
			`origin "app.example.com" must be "*" or scheme://host[:port]`},
		{`<cors><allowed-origins><origin>https://ok.example, app.example.com</origin></allowed-origins><allowed-headers><header>a</header></allowed-headers></cors>`,
			`origin "app.example.com" must be "*" or scheme://host[:port]`},
		{`<cors><allowed-origins><origin>https://a.example/path</origin></allowed-origins><allowed-headers><header>a</header></allowed-headers></cors>`, `must be "*" or scheme://host[:port]`},
		{`<cors><allowed-origins><origin>*</origin></allowed-origins><allowed-methods><method>GET POST</method></allowed-methods><allowed-headers><header>a</header></allowed-headers></cors>`, `"GET POST" is not an HTTP method`},
		{`<cors><allowed-origins><origin>*</origin></allowed-origins><allowed-methods preflight-result-max-age="-5"><method>GET</method></allowed-methods><allowed-headers><header>a</header></allowed-headers></cors>`, `"preflight-result-max-age" must be between 0`},
		{`<cors><allowed-origins><origin>*</origin></allowed-origins><allowed-headers><header>a</header></allowed-headers><exposed-headers/></cors>`, `unexpected element <exposed-headers> inside <cors>`},
		{`<cors><allowed-origins><orign>*</orign></allowed-origins><allowed-headers><header>a</header></allowed-headers></cors>`, `unexpected element <orign> inside <allowed-origins>`},
		{`<cors terminate-unmatched="true"><allowed-origins><origin>*</origin></allowed-origins><allowed-headers><header>a</header></allowed-headers></cors>`, `<cors> has no attribute "terminate-unmatched"`},
	} {
		_, errs := compileErrs(testDeps(), tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s\n got: %v\nwant: %s", tc.src, errs, tc.want)
		}
	}
}
