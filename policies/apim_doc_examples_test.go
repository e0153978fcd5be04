package policies

// The examples of APIM's policy reference pages (learn.microsoft.com,
// api-management/<policy>-policy), as written there, run through the
// policy with an assertion of the effect the page documents. The audit of
// which page example is tested where is in testdata/apim-docs/README.md.
// Where a test supplies something the page leaves to the reader (a
// placeholder, the request the example is meant for), a comment says so.

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"software.sslmate.com/src/go-pkcs12"

	"tollgate/engine"
	"tollgate/internal/testutil"
)

// docPlan compiles a documented example as written: a <policies> document
// as it is, anything else as the content of section (inbound, backend,
// outbound or on-error).
func docPlan(t *testing.T, d Deps, section, example string) *engine.Plan {
	t.Helper()
	src := example
	if !strings.Contains(example, "<policies>") {
		parts := map[string]string{section: example}
		src = "<policies><inbound>" + parts["inbound"] + "</inbound><backend>" + parts["backend"] +
			"</backend><outbound>" + parts["outbound"] + "</outbound><on-error>" + parts["on-error"] + "</on-error></policies>"
	}
	plan, errs := compileErrs(d, src)
	if len(errs) > 0 {
		t.Fatalf("the documented example does not load:\n%s", errs.Error())
	}
	return plan
}

// docState is a GET of rawURL on the API "orders" (path /orders) with
// headers (name, value pairs).
func docState(rawURL string, hdr ...string) *engine.State { return httpRequest("GET", rawURL, hdr...) }

// runSection runs one section and fails the test if it raised an error.
func runSection(t *testing.T, plan *engine.Plan, sec engine.Section, s *engine.State) bool {
	t.Helper()
	stopped := plan.Run(context.Background(), sec, s)
	if le := s.LastError(); le != nil {
		t.Fatalf("%s: %s", le.Reason, le.Message)
	}
	return stopped
}

// set-header page: "Add header, override existing", "Remove header" and
// "Forward context information to the backend service".
func TestDocExamplesSetHeader(t *testing.T) {
	t.Run("add header, override existing", func(t *testing.T) {
		plan := docPlan(t, testDeps(), "inbound", `<set-header name="some header name" exists-action="override">
    <value>20</value>
</set-header>`)
		for _, hdr := range [][]string{nil, {"some header name", "1"}} {
			s := docState("http://gw/orders/x", hdr...)
			runSection(t, plan, engine.Inbound, s)
			if got := s.Context().Request.Headers["some header name"]; len(got) != 1 || got[0] != "20" {
				t.Errorf("with %v: header = %q, want [20]", hdr, got)
			}
			s.Release()
		}
	})
	t.Run("remove header", func(t *testing.T) {
		plan := docPlan(t, testDeps(), "inbound", ` <set-header name="some header name" exists-action="delete" />`)
		s := docState("http://gw/orders/x", "some header name", "1", "Other", "2")
		defer s.Release()
		runSection(t, plan, engine.Inbound, s)
		if h := s.Context().Request.Headers; h.ContainsKey("some header name") || !h.ContainsKey("Other") {
			t.Errorf("headers = %v", h)
		}
	})
	t.Run("forward context information", func(t *testing.T) {
		// The test supplies the user (id 1) and the gateway's region.
		plan := docPlan(t, testDeps(), "inbound", `<!-- Copy this snippet into the inbound element to forward some context information, user id and the region the gateway is hosted in, to the backend service for logging or evaluation -->
<set-header name="x-request-context-data" exists-action="override">
  <value>@(context.User.Id)</value>
  <value>@(context.Deployment.Region)</value>
</set-header>`)
		s := docState("http://gw/orders/x")
		defer s.Release()
		s.Context().User = &engine.User{Id: "1"}
		s.SetDeployment(&engine.Deployment{Region: "West Europe"})
		runSection(t, plan, engine.Inbound, s)
		// "Multiple values of a header are concatenated to a CSV string".
		if got := s.Context().Request.Headers.GetValueOrDefault("x-request-context-data", ""); got != "1,West Europe" {
			t.Errorf("x-request-context-data = %q, want %q", got, "1,West Europe")
		}
	})
}

// set-query-parameter page: "Set value of query parameter" and "Set query
// parameter to forward context to the backend".
func TestDocExamplesSetQueryParameter(t *testing.T) {
	t.Run("set value of query parameter", func(t *testing.T) {
		plan := docPlan(t, testDeps(), "inbound", `
<set-query-parameter name="api-key" exists-action="skip">
  <value>12345678901</value>
</set-query-parameter>
`)
		for in, want := range map[string]string{"": "?api-key=12345678901", "?api-key=mine": "?api-key=mine", "?a=1": "?a=1&api-key=12345678901"} {
			s := docState("http://gw/orders/x" + in)
			runSection(t, plan, engine.Inbound, s)
			if got := s.Context().Request.Url.QueryString; got != want {
				t.Errorf("%q: query = %q, want %q (skip keeps an existing value)", in, got, want)
			}
			s.Release()
		}
	})
	t.Run("forward context to the backend", func(t *testing.T) {
		// The test supplies the product (Starter).
		plan := docPlan(t, testDeps(), "inbound", `<!-- Copy this snippet into the inbound element to forward a piece of context, product name in this example, to the backend service for logging or evaluation -->
<set-query-parameter name="x-product-name" exists-action="override">
  <value>@(context.Product.Name)</value>
</set-query-parameter>`)
		s := docState("http://gw/orders/x?x-product-name=forged")
		defer s.Release()
		s.Context().Product = &engine.Product{Id: "starter", Name: "Starter"}
		runSection(t, plan, engine.Inbound, s)
		if got := s.Context().Request.Url.QueryString; got != "?x-product-name=Starter" {
			t.Errorf("query = %q", got)
		}
	})
}

// rewrite-uri page: the three examples as whole documents. The page's
// first example writes a raw '&' in the template attribute (not
// well-formed XML; APIM's editor takes it, and so does tollgate's reader).
func TestDocExamplesRewriteURI(t *testing.T) {
	for _, tc := range []struct {
		name, example, op, url string
		matched                map[string]string
		wantPath, wantQuery    string
	}{
		// The page's public URL is /storenumber/ordernumber: the test
		// supplies the operation /{storenumber}/{ordernumber} it implies.
		{"basic", `<policies>
    <inbound>
        <base />
        <rewrite-uri template="/v2/US/hardware/{storenumber}&{ordernumber}?City=city&State=state" />
    </inbound>
    <outbound>
        <base />
    </outbound>
</policies>`, "/{storenumber}/{ordernumber}", "http://gw/orders/12/34", map[string]string{"storenumber": "12", "ordernumber": "34"},
			"/orders/v2/US/hardware/12&34", "?City=city&State=state"},
		// The page as served now writes the same example with a "/".
		{"basic, current page", `<policies>
    <inbound>
        <base />
        <rewrite-uri template="/v2/US/hardware/{storenumber}/{ordernumber}?City=city&State=state" />
    </inbound>
    <outbound>
        <base />
    </outbound>
</policies>`, "/{storenumber}/{ordernumber}", "http://gw/orders/12/34", map[string]string{"storenumber": "12", "ordernumber": "34"},
			"/orders/v2/US/hardware/12/34", "?City=city&State=state"},
		{"copy unmatched params", `<!-- Assuming incoming request is /get?a=b&c=d and operation template is set to /get?a={b} -->
<policies>
    <inbound>
        <base />
        <rewrite-uri template="/put" />
    </inbound>
    <outbound>
        <base />
    </outbound>
</policies>
<!-- Resulting URL will be /put?c=d -->`, "/get?a={b}", "http://gw/orders/get?a=b&c=d", map[string]string{"b": "b"}, "/orders/put", "?c=d"},
		{"do not copy unmatched params", `<!-- Assuming incoming request is /get?a=b&c=d and operation template is set to /get?a={b} -->
<policies>
    <inbound>
        <base />
        <rewrite-uri template="/put" copy-unmatched-params="false" />
    </inbound>
    <outbound>
        <base />
    </outbound>
</policies>
<!-- Resulting URL will be /put -->`, "/get?a={b}", "http://gw/orders/get?a=b&c=d", map[string]string{"b": "b"}, "/orders/put", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := docPlan(t, testDeps(), "", tc.example)
			s := docState(tc.url)
			defer s.Release()
			s.Context().Operation = &engine.Operation{Id: "op", Method: "GET", UrlTemplate: tc.op}
			s.Context().Request.MatchedParameters = tc.matched
			runSection(t, plan, engine.Inbound, s)
			if u := s.Context().Request.Url; u.Path != tc.wantPath || u.QueryString != tc.wantQuery {
				t.Errorf("url = %q %q, want %q %q", u.Path, u.QueryString, tc.wantPath, tc.wantQuery)
			}
		})
	}
}

// set-body page: the examples that are not Liquid (those are in
// TestSetBodyLiquid, as written).
func TestDocExamplesSetBody(t *testing.T) {
	t.Run("literal text", func(t *testing.T) {
		plan := docPlan(t, testDeps(), "outbound", `<set-body>Hello world!</set-body>`)
		s := docState("http://gw/orders/x")
		defer s.Release()
		s.SetResponse(engine.NewResponse(200))
		runSection(t, plan, engine.Outbound, s)
		if got := bodyOf(t, s.Response()); got != "Hello world!" {
			t.Errorf("body = %q", got)
		}
	})
	// "Accessing the body as a string" and "as a JObject" are not C#
	// that compiles (a string's indexer is read-only; `== <tag>` is no
	// expression): APIM cannot save them either, and tollgate refuses them
	// at load with the C# compiler's reason.
	for _, tc := range []struct{ name, example, want string }{
		{"accessing the body as a string", `<set-body>
@{ 
    string inBody = context.Request.Body.As<string>(preserveContent: true); 
    if (inBody[0] =='c') { 
        inBody[0] = 'm'; 
    } 
    return inBody; 
}
</set-body>`, "read only"},
		{"accessing the body as a JObject", `<set-body> 
@{ 
    JObject inBody = context.Request.Body.As<JObject>(); 
    if (inBody.attribute == <tag>) { 
        inBody[0] = 'm'; 
    } 
    return inBody.ToString(); 
} 
</set-body>
`, `invalid expression term "<"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := compileErrs(testDeps(), tc.example)
			if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
				t.Errorf("load errors = %v, want one containing %q", errs, tc.want)
			}
		})
	}
	t.Run("filter response based on product", func(t *testing.T) {
		// The page's backend is like OpenWeather's One Call API; the test
		// supplies the product.
		plan := docPlan(t, testDeps(), "outbound", `<!-- Copy this snippet into the outbound section to remove a number of data elements from the response received from the backend service based on the name of the product -->
<choose>
  <when condition="@(context.Response.StatusCode == 200 && context.Product.Name.Equals("Starter"))">
    <set-body>@{
        var response = context.Response.Body.As<JObject>();
        foreach (var key in new [] {"current", "minutely", "hourly", "daily", "alerts"}) {
          response.Property (key).Remove ();
        }
        return response.ToString();
      }
    </set-body>
  </when>
</choose>`)
		const weather = `{"lat":33.44,"lon":-94.04,"timezone":"America/Chicago","current":{"temp":292.55},"minutely":[],"hourly":[],"daily":[],"alerts":[]}`
		for _, product := range []string{"Starter", "Unlimited"} {
			s := docState("http://gw/orders/x")
			s.Context().Product = &engine.Product{Id: strings.ToLower(product), Name: product}
			r := engine.NewResponse(200)
			r.Body = engine.NewBody([]byte(weather))
			s.SetResponse(r)
			runSection(t, plan, engine.Outbound, s)
			got := bodyOf(t, s.Response())
			if product == "Starter" {
				want := "{\n  \"lat\": 33.44,\n  \"lon\": -94.04,\n  \"timezone\": \"America/Chicago\"\n}"
				if got != want {
					t.Errorf("Starter: body = %s, want %s", got, want)
				}
			} else if got != weather {
				t.Errorf("%s: body changed: %s", product, got)
			}
			s.Release()
		}
	})
	for _, tc := range []struct{ name, example, want string }{
		{"access the body as URL-encoded form data", `<set-body> 
@{ 
    var inBody = context.Request.Body.AsFormUrlEncodedContent();
    return JsonConvert.SerializeObject(inBody); 
} 
</set-body>`, `{"name":["Ada"],"tag":["a","b"]}`},
		{"access and return body as URL-encoded form data", `<set-body> 
@{ 
    var body = context.Request.Body.AsFormUrlEncodedContent();
    body["newKey"].Add("newValue");
    return body.ToFormUrlEncodedContent(); 
} 
</set-body>`, "name=Ada&tag=a&tag=b&newKey=newValue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := docPlan(t, testDeps(), "inbound", tc.example)
			s := httpRequest("POST", "http://gw/orders/x", "Content-Type", "application/x-www-form-urlencoded")
			defer s.Release()
			s.Context().Request.Body = engine.NewBody([]byte("name=Ada&tag=a&tag=b"))
			runSection(t, plan, engine.Inbound, s)
			got, err := s.Context().Request.Body.AsString()
			if err != nil || got != tc.want {
				t.Errorf("request body = %q (%v), want %q", got, err, tc.want)
			}
		})
	}
}

// return-response page's example, and set-status page's (a return-response
// of a token check's result; the test supplies the variables the page
// leaves to an earlier send-request: "tokenstate" and the placeholder
// "existing response variable").
func TestDocExamplesReturnResponse(t *testing.T) {
	t.Run("return-response", func(t *testing.T) {
		plan := docPlan(t, testDeps(), "inbound", `<return-response>
   <set-status code="401" reason="Unauthorized"/>
   <set-header name="WWW-Authenticate" exists-action="override">
      <value>Bearer error="invalid_token"</value>
   </set-header>
</return-response>`)
		s := docState("http://gw/orders/x")
		defer s.Release()
		if !runSection(t, plan, engine.Inbound, s) {
			t.Fatal("the pipeline went on")
		}
		r := s.Response()
		if r.StatusCode != 401 || r.StatusReason != "Unauthorized" || r.Headers.GetValueOrDefault("WWW-Authenticate", "") != `Bearer error="invalid_token"` {
			t.Errorf("response = %d %q %v", r.StatusCode, r.StatusReason, r.Headers)
		}
	})
	t.Run("set-status", func(t *testing.T) {
		plan := docPlan(t, testDeps(), "inbound", `<choose>
  <when condition="@((bool)((IResponse)context.Variables["tokenstate"]).Body.As<JObject>()["active"] == false)">
    <return-response response-variable-name="existing response variable">
      <set-status code="401" reason="Unauthorized" />
      <set-header name="WWW-Authenticate" exists-action="override">
        <value>Bearer error="invalid_token"</value>
      </set-header>
    </return-response>
  </when>
</choose>`)
		for _, active := range []bool{true, false} {
			s := docState("http://gw/orders/x")
			token := engine.NewResponse(200)
			token.Body = engine.NewBody([]byte(`{"active":` + map[bool]string{true: "true", false: "false"}[active] + `}`))
			existing := engine.NewResponse(200)
			existing.Headers["X-From-Variable"] = []string{"1"}
			existing.Body = engine.NewBody([]byte("from the variable"))
			s.Variables()["tokenstate"] = token
			s.Variables()["existing response variable"] = existing
			stopped := runSection(t, plan, engine.Inbound, s)
			if active {
				if stopped {
					t.Error("an active token was refused")
				}
			} else {
				r := s.Response()
				if !stopped || r.StatusCode != 401 || r.StatusReason != "Unauthorized" ||
					r.Headers.GetValueOrDefault("WWW-Authenticate", "") != `Bearer error="invalid_token"` ||
					r.Headers.GetValueOrDefault("X-From-Variable", "") != "1" || bodyOf(t, r) != "from the variable" {
					t.Errorf("response = %v %d %q %v", stopped, r.StatusCode, r.StatusReason, r.Headers)
				}
			}
			s.Release()
		}
	})
}

// find-and-replace page's example, in each section it documents.
func TestDocExamplesFindAndReplace(t *testing.T) {
	const example = `<find-and-replace from="notebook" to="laptop" />`
	t.Run("outbound", func(t *testing.T) {
		r, err := runOutbound(t, example, "http://gw/x", nil, `{"item":"notebook","note":"a notebook bag"}`, "Content-Type", "application/json")
		if err != nil || bodyOf(t, r) != `{"item":"laptop","note":"a laptop bag"}` {
			t.Errorf("body = %q (%v)", bodyOf(t, r), err)
		}
	})
	t.Run("inbound", func(t *testing.T) {
		plan := docPlan(t, testDeps(), "inbound", example)
		s := httpRequest(http.MethodPost, "http://gw/orders/x")
		defer s.Release()
		s.Context().Request.Body = engine.NewBody([]byte("notebook, notebook"))
		runSection(t, plan, engine.Inbound, s)
		if got, _ := s.Context().Request.Body.AsString(); got != "laptop, laptop" {
			t.Errorf("request body = %q", got)
		}
	})
}

// xml-to-json page's example, a whole document.
func TestDocExamplesXMLToJSON(t *testing.T) {
	plan := docPlan(t, testDeps(), "", `<policies>
    <inbound>
        <base />
    </inbound>
    <outbound>
        <base />
        <xml-to-json kind="direct" apply="always" consider-accept-header="false" />
    </outbound>
</policies>`)
	s := docState("http://gw/orders/x", "Accept", "application/xml") // consider-accept-header="false": converted anyway
	defer s.Release()
	r := engine.NewResponse(200)
	r.Headers["Content-Type"] = []string{"text/plain"} // apply="always": converted whatever the type
	r.Body = engine.NewBody([]byte(`<order id="7"><item>pen</item></order>`))
	s.SetResponse(r)
	runSection(t, plan, engine.Outbound, s)
	got := bodyOf(t, s.Response())
	if ct := s.Response().Headers.GetValueOrDefault("Content-Type", ""); !strings.HasPrefix(ct, "application/json") || !strings.Contains(got, `"pen"`) || !strings.Contains(got, `"order"`) {
		t.Errorf("%s: %s", ct, got)
	}
}

// check-header page's example.
func TestDocExamplesCheckHeader(t *testing.T) {
	plan := docPlan(t, testDeps(), "inbound", `<check-header name="Authorization" failed-check-httpcode="401" failed-check-error-message="Not authorized" ignore-case="false">
    <value>f6dc69a089844cf6b2019bae6d36fac8</value>
</check-header>`)
	for _, tc := range []struct {
		hdr    []string
		reason string // "": admitted
	}{
		{[]string{"Authorization", "f6dc69a089844cf6b2019bae6d36fac8"}, ""},
		{nil, "HeaderNotFound"},
		{[]string{"Authorization", "F6DC69A089844CF6B2019BAE6D36FAC8"}, "HeaderValueNotAllowed"}, // ignore-case="false"
		{[]string{"Authorization", "other"}, "HeaderValueNotAllowed"},
	} {
		s := docState("http://gw/orders/x", tc.hdr...)
		stopped := plan.Run(context.Background(), engine.Inbound, s)
		if tc.reason == "" {
			if stopped {
				t.Errorf("%v: refused: %+v", tc.hdr, s.LastError())
			}
		} else if r := s.Response(); !stopped || r.StatusCode != 401 || s.LastError() == nil || s.LastError().Reason != tc.reason || !strings.Contains(bodyOf(t, r), "Not authorized") {
			t.Errorf("%v: %v %d %+v", tc.hdr, stopped, r.StatusCode, s.LastError())
		}
		s.Release()
	}
}

// ip-filter page's example: only the address and the range are allowed.
func TestDocExamplesIPFilter(t *testing.T) {
	plan := docPlan(t, testDeps(), "inbound", `<ip-filter action="allow">
    <address>13.66.201.169</address>
    <address-range from="13.66.140.128" to="13.66.140.143" />
</ip-filter>`)
	for ip, allowed := range map[string]bool{
		"13.66.201.169": true, "13.66.140.128": true, "13.66.140.135": true, "13.66.140.143": true,
		"13.66.201.170": false, "13.66.140.127": false, "13.66.140.144": false, "10.1.2.3": false,
	} {
		s := docState("http://gw/orders/x")
		s.Context().Request.IpAddress = ip
		stopped := plan.Run(context.Background(), engine.Inbound, s)
		if stopped == allowed || (!allowed && s.Response().StatusCode != 403) {
			t.Errorf("%s: stopped=%v status=%d, want allowed=%v", ip, stopped, s.Response().StatusCode, allowed)
		}
		s.Release()
	}
}

// cors page's example: a preflight with a custom header and PATCH, and a
// simple request that gets the exposed headers. The page lists its origins
// with a trailing "/" (http://localhost:8080/); browsers send none.
func TestDocExamplesCors(t *testing.T) {
	plan := docPlan(t, testDeps(), "inbound", `<cors allow-credentials="true">
    <allowed-origins>
        <!-- Localhost useful for development -->
        <origin>http://localhost:8080/</origin>
        <origin>http://example.com/</origin>
    </allowed-origins>
    <allowed-methods preflight-result-max-age="300">
        <method>GET</method>
        <method>POST</method>
        <method>PATCH</method>
        <method>DELETE</method>
    </allowed-methods>
    <allowed-headers>
        <!-- Examples below show Azure Mobile Services headers -->
        <header>x-zumo-installation-id</header>
        <header>x-zumo-application</header>
        <header>x-zumo-version</header>
        <header>x-zumo-auth</header>
        <header>content-type</header>
        <header>accept</header>
    </allowed-headers>
    <expose-headers>
        <!-- Examples below show Azure Mobile Services headers -->
        <header>x-zumo-installation-id</header>
        <header>x-zumo-application</header>
    </expose-headers>
</cors>`)
	t.Run("preflight", func(t *testing.T) {
		s := httpRequest("OPTIONS", "http://gw/orders/x", "Origin", "http://localhost:8080",
			"Access-Control-Request-Method", "PATCH", "Access-Control-Request-Headers", "x-zumo-auth, content-type")
		defer s.Release()
		if !runSection(t, plan, engine.Inbound, s) {
			t.Fatal("the preflight went on to the backend")
		}
		h := s.Response().Headers
		for name, want := range map[string]string{
			"Access-Control-Allow-Origin": "http://localhost:8080", "Access-Control-Allow-Credentials": "true",
			"Access-Control-Max-Age": "300", "Access-Control-Allow-Headers": "x-zumo-auth, content-type",
		} {
			if got := h.GetValueOrDefault(name, ""); got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
		if m := h.GetValueOrDefault("Access-Control-Allow-Methods", ""); !strings.Contains(m, "PATCH") {
			t.Errorf("Access-Control-Allow-Methods = %q", m)
		}
	})
	t.Run("preflight of a method not listed", func(t *testing.T) {
		s := httpRequest("OPTIONS", "http://gw/orders/x", "Origin", "http://example.com", "Access-Control-Request-Method", "PUT")
		defer s.Release()
		runSection(t, plan, engine.Inbound, s)
		if got := s.Response().Headers.GetValueOrDefault("Access-Control-Allow-Origin", ""); got != "" {
			t.Errorf("PUT allowed: %q", got)
		}
	})
	t.Run("simple request", func(t *testing.T) {
		s := docState("http://gw/orders/x", "Origin", "http://example.com")
		defer s.Release()
		if runSection(t, plan, engine.Inbound, s) {
			t.Fatal("a simple request was answered by cors")
		}
		h := s.ResponseHeaders()
		if h.GetValueOrDefault("Access-Control-Allow-Origin", "") != "http://example.com" || h.GetValueOrDefault("Access-Control-Allow-Credentials", "") != "true" {
			t.Errorf("response headers = %v", h)
		}
		exp := strings.ToLower(h.GetValueOrDefault("Access-Control-Expose-Headers", ""))
		if !strings.Contains(exp, "x-zumo-installation-id") || !strings.Contains(exp, "x-zumo-application") {
			t.Errorf("Access-Control-Expose-Headers = %q", exp)
		}
	})
}

// finishAs ends a request whose inbound ran with a response of status (what
// increment-conditions read) and releases it.
func finishAs(s *engine.State, status int) {
	s.SetResponse(engine.NewResponse(status))
	s.Finish(context.Background())
	s.Release()
}

// rate-limit page's example: 20 calls per 90 seconds, the remaining calls
// in remainingCallsPerSubscription. The test supplies the subscription.
func TestDocExamplesRateLimit(t *testing.T) {
	plan := docPlan(t, testDeps(), "", `<policies>
    <inbound>
        <base />
        <rate-limit calls="20" renewal-period="90" remaining-calls-variable-name="remainingCallsPerSubscription"/>
    </inbound>
    <outbound>
        <base />
    </outbound>
</policies>`)
	sub := &engine.Subscription{Id: "sub-1", Name: "sub-1", Key: "k1"}
	for i := range 20 {
		s := docState("http://gw/orders/x")
		s.Context().Subscription = sub
		admit(t, plan, s, "call")
		if got := s.Variables()["remainingCallsPerSubscription"]; got != 19-i {
			t.Errorf("call %d: remainingCallsPerSubscription = %v, want %d", i+1, got, 19-i)
		}
		s.Release()
	}
	s := docState("http://gw/orders/x")
	s.Context().Subscription = sub
	_, ra := reject(t, plan, s, 429, engine.ReasonRateLimitExceeded, "call 21")
	if ra < 1 || ra > 180 {
		t.Errorf("Retry-After = %d", ra)
	}
	s.Release()
}

// rate-limit-by-key page's example: 10 calls per 60 seconds per caller IP
// address, counting only the calls answered 200.
func TestDocExamplesRateLimitByKey(t *testing.T) {
	plan := docPlan(t, testDeps(), "", `<policies>
    <inbound>
        <base />
        <rate-limit-by-key calls="10"
              renewal-period="60"
              increment-condition="@(context.Response.StatusCode == 200)"
              counter-key="@(context.Request.IpAddress)"
              remaining-calls-variable-name="remainingCallsPerIP"/>
    </inbound>
    <outbound>
        <base />
    </outbound>
</policies>`)
	call := func(ip string) *engine.State {
		s := docState("http://gw/orders/x")
		s.Context().Request.IpAddress = ip
		return s
	}
	for range 5 { // not 200: not counted
		s := call("13.66.201.169")
		admit(t, plan, s, "failing call")
		finishAs(s, 500)
	}
	for i := range 10 {
		s := call("13.66.201.169")
		admit(t, plan, s, "call")
		if v, ok := s.Variables()["remainingCallsPerIP"].(int); !ok || v < 0 || v > 10-i {
			t.Errorf("call %d: remainingCallsPerIP = %v", i+1, s.Variables()["remainingCallsPerIP"])
		}
		finishAs(s, 200)
	}
	s := call("13.66.201.169")
	reject(t, plan, s, 429, engine.ReasonRateLimitExceeded, "call 11")
	s.Release()
	s = call("13.66.201.170") // another caller has its own counter
	admit(t, plan, s, "another IP")
	finishAs(s, 200)
}

// quota page's example: 10000 calls (and 40000 KB) per hour per
// subscription. The test supplies the subscription.
func TestDocExamplesQuota(t *testing.T) {
	plan := docPlan(t, testDeps(), "", `<policies>
    <inbound>
        <base />
        <quota calls="10000" bandwidth="40000" renewal-period="3600" />
    </inbound>
    <outbound>
        <base />
    </outbound>
</policies>`)
	sub := &engine.Subscription{Id: "sub-1", Name: "sub-1", Key: "k1"}
	for range 10000 {
		s := docState("http://gw/orders/x")
		s.Context().Subscription = sub
		admit(t, plan, s, "call")
		finishAs(s, 200)
	}
	s := docState("http://gw/orders/x")
	s.Context().Subscription = sub
	body, ra := reject(t, plan, s, 403, engine.ReasonQuotaExceeded, "call 10001")
	if checkQuotaBody(t, body, ra) != "call volume" || ra > 3600 {
		t.Errorf("body %s, Retry-After %d", body, ra)
	}
	s.Release()
}

// quota-by-key page's example, as written: its increment-condition has a
// raw "<" and "&&" inside the attribute. Only 2xx and 3xx answers count.
func TestDocExamplesQuotaByKey(t *testing.T) {
	plan := docPlan(t, testDeps(), "", `<policies>
    <inbound>
        <base />
        <quota-by-key calls="10000" bandwidth="40000" renewal-period="3600"
                      increment-condition="@(context.Response.StatusCode >= 200 && context.Response.StatusCode < 400)"
                      counter-key="@(context.Request.IpAddress)" />
    </inbound>
    <outbound>
        <base />
    </outbound>
</policies>`)
	call := func(ip string) *engine.State {
		s := docState("http://gw/orders/x")
		s.Context().Request.IpAddress = ip
		return s
	}
	for _, status := range []int{199, 400, 500} { // not counted
		s := call("13.66.201.169")
		admit(t, plan, s, "uncounted call")
		finishAs(s, status)
	}
	for i := range 10000 {
		s := call("13.66.201.169")
		admit(t, plan, s, "call")
		finishAs(s, 200+i%200) // 200..399
	}
	s := call("13.66.201.169")
	body, ra := reject(t, plan, s, 403, engine.ReasonQuotaExceeded, "call 10001")
	if checkQuotaBody(t, body, ra) != "call volume" {
		t.Errorf("body %s", body)
	}
	s.Release()
	s = call("13.66.201.170")
	admit(t, plan, s, "another IP")
	finishAs(s, 200)
}

// mock-response page's examples: the two elements as the page writes them,
// in one inbound section (the first answers), and the second alone, for
// the operation of mock_response_test.go (a JSON schema for 200).
func TestDocExamplesMockResponse(t *testing.T) {
	const petJSON = `"name": "string"`
	for _, tc := range []struct{ name, example string }{
		{"both, as written", `<!-- Returns 200 OK status code. Content is based on an example or schema, if provided for this
status code. First found content type is used. If no example or schema is found, the content is empty. -->
<mock-response/>

<!-- Returns 200 OK status code. Content is based on an example or schema, if provided for this
status code and media type. If no example or schema found, the content is empty. -->
<mock-response status-code='200' content-type='application/json'/>`},
		{"status code and media type", `<mock-response status-code='200' content-type='application/json'/>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := docPlan(t, testDeps(), "inbound", tc.example)
			s := docState("http://gw/pets/1")
			defer s.Release()
			s.Context().Operation = petsOperation(t)
			if !runSection(t, plan, engine.Inbound, s) {
				t.Fatal("mock-response did not answer")
			}
			r := s.Response()
			if r.StatusCode != 200 || r.Headers.GetValueOrDefault("Content-Type", "") != "application/json" || !strings.Contains(bodyOf(t, r), petJSON) {
				t.Errorf("got %d %v %s", r.StatusCode, r.Headers, bodyOf(t, r))
			}
		})
	}
	t.Run("no description: empty", func(t *testing.T) {
		plan := docPlan(t, testDeps(), "inbound", `<mock-response/>`)
		s := docState("http://gw/orders/x")
		defer s.Release()
		runSection(t, plan, engine.Inbound, s)
		if r := s.Response(); r.StatusCode != 200 || (r.Body != nil && bodyOf(t, r) != "") {
			t.Errorf("got %d %s", r.StatusCode, bodyOf(t, r))
		}
	})
}

// redirectTo is an HTTP client that sends every request to srv, whatever
// its URL's host (or, with hosts, the requests to those hosts only): the
// pages' examples call hosts (hooks.slack.com, api.contoso.com) the tests
// keep as written.
func redirectTo(srv *httptest.Server, hosts ...string) *http.Client {
	target, _ := url.Parse(srv.URL)
	return &http.Client{Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
		if len(hosts) > 0 && !slices.Contains(hosts, r.URL.Host) {
			return http.DefaultTransport.RoundTrip(r)
		}
		r = r.Clone(r.Context())
		r.Header.Set("X-Original-Host", r.URL.Host)
		r.URL.Scheme, r.URL.Host = target.Scheme, target.Host
		return http.DefaultTransport.RoundTrip(r)
	})}
}

// choose page's first example (a whole document): mobile=true|false on
// the request, and the response converted to JSON for mobiles.
func TestDocExamplesChoose(t *testing.T) {
	plan := docPlan(t, testDeps(), "", `<policies>
    <inbound>
        <set-variable name="isMobile" value="@(context.Request.Headers.GetValueOrDefault("User-Agent","").Contains("iPad") || context.Request.Headers.GetValueOrDefault("User-Agent","").Contains("iPhone"))" />
        <base />
        <choose>
            <when condition="@(context.Variables.GetValueOrDefault<bool>("isMobile"))">
                <set-query-parameter name="mobile" exists-action="override">
                    <value>true</value>
                </set-query-parameter>
            </when>
            <otherwise>
                <set-query-parameter name="mobile" exists-action="override">
                    <value>false</value>
                </set-query-parameter>
            </otherwise>
        </choose>
    </inbound>
    <outbound>
        <base />
        <choose>
            <when condition="@(context.Variables.GetValueOrDefault<bool>("isMobile"))">
                <xml-to-json kind="direct" apply="always" consider-accept-header="false"/>
            </when>
        </choose>
    </outbound>
</policies>`)
	for ua, mobile := range map[string]bool{"Mozilla/5.0 (iPad; CPU OS 17_0)": true, "Mozilla/5.0 (iPhone)": true, "curl/8.0": false} {
		s := docState("http://gw/orders/x?mobile=maybe", "User-Agent", ua)
		runSection(t, plan, engine.Inbound, s)
		want := map[bool]string{true: "?mobile=true", false: "?mobile=false"}[mobile]
		if got := s.Context().Request.Url.QueryString; got != want {
			t.Errorf("%s: query = %q, want %q", ua, got, want)
		}
		r := engine.NewResponse(200)
		r.Headers["Content-Type"] = []string{"application/xml"}
		r.Body = engine.NewBody([]byte(`<a>1</a>`))
		s.SetResponse(r)
		runSection(t, plan, engine.Outbound, s)
		if got := bodyOf(t, s.Response()); strings.HasPrefix(got, "{") != mobile {
			t.Errorf("%s: response body = %s", ua, got)
		}
		s.Release()
	}
}

// set-backend-service page: routing on the version query parameter (the
// page's request https://contoso.azure-api.net/api/partners/15?version=...,
// on an API whose backend is http://contoso.com/api/10.4/), and the
// Service Fabric example, which needs Azure (and whose sf-partition-key
// expression lacks its closing bracket as written).
func TestDocExamplesSetBackendService(t *testing.T) {
	plan := docPlan(t, testDeps(), "", `<policies>
    <inbound>
        <choose>
            <when condition="@(context.Request.Url.Query.GetValueOrDefault("version") == "2013-05")">
                <set-backend-service base-url="http://contoso.com/api/8.2/" />
            </when>
            <when condition="@(context.Request.Url.Query.GetValueOrDefault("version") == "2014-03")">
                <set-backend-service base-url="http://contoso.com/api/9.1/" />
            </when>
        </choose>
        <base />
    </inbound>
    <outbound>
        <base />
    </outbound>
</policies>`)
	for version, want := range map[string]string{"2013-05": "http://contoso.com/api/8.2/", "2014-03": "http://contoso.com/api/9.1/", "2020-01": ""} {
		s := docState("https://contoso.azure-api.net/api/partners/15?version=" + version + "&subscription-key=abcdef")
		runSection(t, plan, engine.Inbound, s)
		if s.BackendURL != want {
			t.Errorf("version %s: backend = %q, want %q (the API's own when empty)", version, s.BackendURL, want)
		}
		s.Release()
	}
	_, errs := compileErrs(testDeps(), `<policies>
    <inbound>
        <set-backend-service backend-id="my-sf-service" sf-partition-key="@(context.Request.Url.Query.GetValueOrDefault("userId","")" sf-replica-type="primary" />
    </inbound>
    <outbound>
        <base />
    </outbound>
</policies>`)
	if len(errs) == 0 || !strings.Contains(errs.Error(), "policy.xml:3:75: unterminated expression") {
		t.Errorf("the Service Fabric example as written: %v", errs)
	}
	// With its bracket closed, it is refused as Azure's.
	_, errs = compileErrs(testDeps(), `<set-backend-service backend-id="my-sf-service" sf-partition-key="@(context.Request.Url.Query.GetValueOrDefault("userId",""))" sf-replica-type="primary" />`)
	if len(errs) == 0 || !strings.Contains(errs.Error(), "Service Fabric") {
		t.Errorf("the Service Fabric example, bracket closed: %v", errs)
	}
}

// retry page's second example as written: send-request to
// api.contoso.com retried while it fails or answers >= 500, the first
// retry at once, the next after interval="1". (The first example, with
// interval="10", runs in gateway/forward_test.go with interval="0"; its
// waits are TestRetrySchedule's "exponential".)
func TestDocExamplesRetry(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Original-Host") != "api.contoso.com" || r.URL.Path != "/products/5" {
			t.Errorf("request to %s %s", r.Header.Get("X-Original-Host"), r.URL.Path)
		}
		switch calls.Add(1) {
		case 1:
			hj, _ := w.(http.Hijacker)
			c, _, _ := hj.Hijack()
			c.Close() // a dropped connection: the variable stays null
		case 2:
			w.WriteHeader(503)
		default:
			_, _ = w.Write([]byte("product 5"))
		}
	}))
	defer srv.Close()
	d := testDeps()
	d.HTTPClient = redirectTo(srv)
	plan := docPlan(t, d, "inbound", `

<retry
    condition="@(context.Variables["response"] == null || ((IResponse)context.Variables["response"]).StatusCode >= 500)"
    count="3"
    interval="1"
    first-fast-retry="true">
        <send-request 
            mode="new" 
            response-variable-name="response" 
            timeout="3" 
            ignore-error="true">
		        <set-url>https://api.contoso.com/products/5</set-url>
		        <set-method>GET</set-method>
		</send-request>
</retry>`)
	s := docState("http://gw/orders/x")
	defer s.Release()
	t0 := time.Now()
	runSection(t, plan, engine.Inbound, s)
	r, _ := s.Variables()["response"].(*engine.Response)
	if r == nil || r.StatusCode != 200 || bodyOf(t, r) != "product 5" || calls.Load() != 3 {
		t.Fatalf("response %v after %d calls", r, calls.Load())
	}
	if el := time.Since(t0); el < time.Second { // the second retry waits interval="1"
		t.Errorf("three calls in %s: the second retry did not wait", el)
	}
}

// send-one-way-request page's example (set-method's is the same), as
// written in C#: a Slack message when the backend answers >= 500. The test
// supplies the user (its Email is in the message).
func TestDocExamplesSendOneWayRequest(t *testing.T) {
	got := make(chan map[string]any, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		m["method"], m["host"], m["path"] = r.Method, r.Header.Get("X-Original-Host"), r.URL.Path
		got <- m
	}))
	defer srv.Close()
	d := testDeps()
	d.HTTPClient = redirectTo(srv)
	plan := docPlan(t, d, "outbound", `<choose>
    <when condition="@(context.Response.StatusCode >= 500)">
      <send-one-way-request mode="new" timeout="20">
        <set-url>https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX</set-url>
        <set-method>POST</set-method>
        <set-body>@{
                return new JObject(
                        new JProperty("username","APIM Alert"),
                        new JProperty("icon_emoji", ":ghost:"),
                        new JProperty("text", String.Format("{0} {1}\nHost: {2}\n{3} {4}\n User: {5}",
                                                context.Request.Method,
                                                context.Request.Url.Path + context.Request.Url.QueryString,
                                                context.Request.Url.Host,
                                                context.Response.StatusCode,
                                                context.Response.StatusReason,
                                                context.User.Email
                                                ))
                        ).ToString();
            }</set-body>
      </send-one-way-request>
    </when>
</choose>
`)
	for _, status := range []int{200, 503} {
		s := docState("http://gw/orders/x?a=1")
		s.Context().User = &engine.User{Id: "1", Email: "ada@example.com"}
		s.SetResponse(engine.NewResponse(status))
		runSection(t, plan, engine.Outbound, s)
		s.Release()
	}
	select {
	case m := <-got: // only the 503 sends
		if m["method"] != "POST" || m["host"] != "hooks.slack.com" || m["path"] != "/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX" ||
			m["username"] != "APIM Alert" || m["icon_emoji"] != ":ghost:" ||
			m["text"] != "GET /orders/x?a=1\nHost: gw\n503 Service Unavailable\n User: ada@example.com" {
			t.Fatalf("got %v", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no message sent")
	}
	select {
	case m := <-got:
		t.Fatalf("a second message was sent: %v", m)
	case <-time.After(100 * time.Millisecond):
	}
}

// authentication-basic page's example.
func TestDocExamplesAuthenticationBasic(t *testing.T) {
	plan := docPlan(t, testDeps(), "inbound", `<authentication-basic username="testuser" password="testpassword" />`)
	s := docState("http://gw/orders/x", "Authorization", "Bearer client-token")
	defer s.Release()
	runSection(t, plan, engine.Inbound, s)
	// base64("testuser:testpassword")
	if got := s.Context().Request.Headers.GetValueOrDefault("Authorization", ""); got != "Basic dGVzdHVzZXI6dGVzdHBhc3N3b3Jk" {
		t.Errorf("Authorization = %q", got)
	}
}

// authentication-certificate page's examples. The test supplies the
// certificate the first names (a file 544fe9ddf3b8f30fb490d90f.pem in the
// certificates folder) and the PFX the third reads from a variable,
// protected with the page's password. The second names a thumbprint no
// certificate the test can make has: it is refused at load, naming it.
func TestDocExamplesAuthenticationCertificate(t *testing.T) {
	ca := testutil.IssueCert(t, testutil.CertOptions{CA: true, Subject: pkix.Name{CommonName: "CA"}}, nil)
	client := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "gateway"}}, ca)
	certPEM, keyPEM := client.PEM(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "544fe9ddf3b8f30fb490d90f.pem"), append(append([]byte{}, certPEM...), keyPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	named, err := LoadCertificateDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	d := testDeps()
	d.Certificates = named
	tp := certThumbprint(&named[0].Cert)

	t.Run("by certificate id", func(t *testing.T) {
		plan := docPlan(t, d, "inbound", `<authentication-certificate certificate-id="544fe9ddf3b8f30fb490d90f" />`)
		s := docState("https://gw/orders/x")
		defer s.Release()
		runSection(t, plan, engine.Inbound, s)
		if s.BackendCertificate == nil || certThumbprint(s.BackendCertificate) != tp {
			t.Errorf("certificate %v", s.BackendCertificate)
		}
	})
	t.Run("by thumbprint", func(t *testing.T) {
		_, errs := compileErrs(d, `<authentication-certificate thumbprint="CA06F56B258B7A0D4F2B05470939478651151984" />`)
		if len(errs) == 0 || !strings.Contains(errs.Error(), "no certificate with thumbprint CA06F56B258B7A0D4F2B05470939478651151984") {
			t.Errorf("errors: %v", errs)
		}
	})
	t.Run("body from a variable", func(t *testing.T) {
		pfx, err := pkcs12.Modern.Encode(client.Key, client.Cert, []*x509.Certificate{ca.Cert}, "optional-certificate-password")
		if err != nil {
			t.Fatal(err)
		}
		plan := docPlan(t, d, "inbound", `<authentication-certificate body="@(context.Variables.GetValueOrDefault<byte[]>("byteCertificate"))" password="optional-certificate-password" />`)
		s := docState("https://gw/orders/x")
		defer s.Release()
		s.Variables()["byteCertificate"] = pfx
		runSection(t, plan, engine.Inbound, s)
		if s.BackendCertificate == nil || certThumbprint(s.BackendCertificate) != tp {
			t.Errorf("certificate %v", s.BackendCertificate)
		}
	})
}

// cache-lookup and cache-store pages' second example, as written in C#:
// its two snippets in the sections their comments name. The first example
// (duration="seconds") is TestResponseCacheDocExample's.
func TestDocExamplesResponseCache(t *testing.T) {
	r := newCacheRig(t, testDeps(), `<!-- The following cache policy snippets demonstrate how to control API Management response cache duration with Cache-Control headers sent by the backend service. -->

<!-- Copy this snippet into the inbound section -->
<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" downstream-caching-type="public" must-revalidate="true" >
  <vary-by-header>Accept</vary-by-header>
  <vary-by-header>Accept-Charset</vary-by-header>
</cache-lookup>
`, `
<!-- Copy this snippet into the outbound section. Note that cache duration is set to the max-age value provided in the Cache-Control header received from the backend service or to the default value of 5 min if none is found  -->
<cache-store duration="@{
    var header = context.Response.Headers.GetValueOrDefault("Cache-Control","");
    var maxAge = Regex.Match(header, @"max-age=(?<maxAge>\d+)").Groups["maxAge"]?.Value;
    return (!string.IsNullOrEmpty(maxAge))?int.Parse(maxAge):300;
  }"
 />`)
	r.respHdr = http.Header{"Cache-Control": {"max-age=120"}}
	if body, cc, called := r.do(http.MethodGet, "http://gw/orders/1", "Accept", "text/plain"); !called || cc != "public, max-age=120, must-revalidate" {
		t.Fatalf("miss: %q %q %v", body, cc, called)
	}
	if body, cc, called := r.do(http.MethodGet, "http://gw/orders/1", "Accept", "text/plain"); called || body != "response 1" || !strings.HasPrefix(cc, "public, max-age=1") {
		t.Fatalf("hit: %q %q %v", body, cc, called)
	}
	if _, _, called := r.do(http.MethodGet, "http://gw/orders/1", "Accept", "application/json"); !called {
		t.Error("another Accept was served from the cache")
	}
	if _, _, called := r.do(http.MethodGet, "http://gw/orders/1", "Accept", "text/plain", "Accept-Charset", "utf-8"); !called {
		t.Error("another Accept-Charset was served from the cache")
	}
	r.respHdr = nil
	if _, cc, _ := r.do(http.MethodGet, "http://gw/orders/9"); cc != "public, max-age=300, must-revalidate" {
		t.Errorf("default duration (5 min): %q", cc)
	}
}

// cache-store-value, cache-lookup-value and cache-remove-value pages'
// examples together: a user profile stored, looked up and removed by the
// enduserid variable (which the test supplies, with the profile).
func TestDocExamplesCacheValue(t *testing.T) {
	d := testDeps()
	store := docPlan(t, d, "inbound", `<cache-store-value
    key="@("userprofile-" + context.Variables["enduserid"])"
    value="@((string)context.Variables["userprofile"])" duration="100000" />`)
	lookup := docPlan(t, d, "inbound", `<cache-lookup-value
    key="@("userprofile-" + context.Variables["enduserid"])"
    variable-name="userprofile" />`)
	remove := docPlan(t, d, "inbound", `<cache-remove-value
    key="@("userprofile-" + context.Variables["enduserid"])"  />

`)
	run := func(plan *engine.Plan, user string, vars map[string]any) engine.Variables {
		s := docState("http://gw/orders/x")
		defer s.Release()
		s.Variables()["enduserid"] = user
		for k, v := range vars {
			s.Variables()[k] = v
		}
		runSection(t, plan, engine.Inbound, s)
		out := engine.Variables{}
		for k, v := range s.Variables() {
			out[k] = v
		}
		return out
	}
	if v := run(lookup, "ada", nil); v["userprofile"] != nil {
		t.Fatalf("a miss set userprofile: %v", v["userprofile"])
	}
	run(store, "ada", map[string]any{"userprofile": `{"name":"Ada"}`})
	if v := run(lookup, "ada", nil); v["userprofile"] != `{"name":"Ada"}` {
		t.Errorf("lookup after store: %v", v["userprofile"])
	}
	if v := run(lookup, "bob", nil); v["userprofile"] != nil {
		t.Errorf("another user's key hit: %v", v["userprofile"])
	}
	run(remove, "ada", nil)
	if v := run(lookup, "ada", nil); v["userprofile"] != nil {
		t.Errorf("lookup after remove: %v", v["userprofile"])
	}
}

// docJwtPlan compiles a validate-jwt example as written, with the named
// value the page's examples read ({{jwt-signing-key}}: the test's HS256
// key) and OpenID configurations fetched through client.
func docJwtPlan(t *testing.T, client *http.Client, src string) (*engine.Plan, engine.ErrorList) {
	t.Helper()
	if !strings.Contains(src, "<policies>") {
		src = "<policies><inbound>" + src + "</inbound><backend/><outbound/><on-error/></policies>"
	}
	root, err := engine.Read("policy.xml", []byte(src))
	if err != nil {
		var el engine.ErrorList
		el.Append(err)
		return nil, el
	}
	reg := Registry(testDeps())
	reg["validate-jwt"] = engine.Policy{Sections: engine.Inbound, Parse: (&kit{jwks: newJwksCache(func() *http.Client { return client })}).parseValidateJwt}
	c := engine.NewCompiler(reg, engine.NewNamedValues(engine.NamedValue{Name: "jwt-signing-key", Value: jwtHSKeyB, Secret: true}))
	plan := c.Compile(root, "api", nil)
	return plan, c.Errors()
}

// entraServer answers any .../.well-known/openid-configuration with the
// issuer iss and its keys (jwtRSA as "k1"): the test's stand-in for
// login.microsoftonline.com, reached through redirectTo.
func entraServer(t *testing.T, iss string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	jwtKeys(t)
	var configs atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
			configs.Add(1)
			_ = json.NewEncoder(w).Encode(map[string]string{"issuer": iss, "jwks_uri": "https://" + r.Header.Get("X-Original-Host") + "/common/discovery/keys"})
		case r.URL.Path == "/common/discovery/keys":
			_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{rsaJWK("k1", jwtRSA)}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &configs
}

// validate-jwt page's examples. The token's audience for the examples
// that name context.Request.OriginalUrl.Host is the test request's host
// ("gw"); the Entra ID ones get their keys and issuer from an OpenID
// configuration the test serves at the page's URL. "insert claim here" is
// the claim value the tokens carry, as the page leaves it.
func TestDocExamplesValidateJwt(t *testing.T) {
	jwtKeys(t)
	hs := func(mod func(jwt.MapClaims)) string {
		return "Bearer " + jwtSign(t, "HS256", jwtHSKey, "", jwtClaims(mod))
	}
	run := func(t *testing.T, plan *engine.Plan, method, auth string) (string, int) {
		t.Helper()
		s := httpRequest(method, "http://gw/orders/x", "Authorization", auth)
		defer s.Release()
		if !plan.Run(context.Background(), engine.Inbound, s) {
			return "", 0
		}
		if le := s.LastError(); le != nil {
			return le.Reason, s.Response().StatusCode
		}
		return "stopped", s.Response().StatusCode
	}
	contoso := func(c jwt.MapClaims) { c["aud"] = "gw"; c["iss"] = "http://contoso.com/" }

	t.Run("simple token validation", func(t *testing.T) {
		plan, errs := docJwtPlan(t, nil, `<validate-jwt header-name="Authorization" require-scheme="Bearer">
    <issuer-signing-keys>
        <key>{{jwt-signing-key}}</key>  <!-- signing key specified as a named value -->
    </issuer-signing-keys>
    <audiences>
        <audience>@(context.Request.OriginalUrl.Host)</audience>  <!-- audience is set to API Management host name -->
    </audiences>
    <issuers>
        <issuer>http://contoso.com/</issuer>
    </issuers>
</validate-jwt>`)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		for _, tc := range []struct {
			name, auth, reason string
		}{
			{"valid", hs(contoso), ""},
			{"another audience", hs(func(c jwt.MapClaims) { contoso(c); c["aud"] = "other" }), "TokenAudienceNotAllowed"},
			{"another issuer", hs(func(c jwt.MapClaims) { contoso(c); c["iss"] = "http://evil.example/" }), "TokenIssuerNotAllowed"},
			{"expired", hs(func(c jwt.MapClaims) { contoso(c); c["exp"] = time.Now().Add(-time.Hour).Unix() }), "TokenExpired"},
			{"another key", "Bearer " + jwtSign(t, "HS256", []byte("another key, another key, another"), "", jwtClaims(contoso)), "TokenSignatureInvalid"},
			{"no token", "", "TokenNotPresent"},
		} {
			if reason, status := run(t, plan, "GET", tc.auth); reason != tc.reason || (reason != "" && status != 401) {
				t.Errorf("%s: %q %d, want %q 401", tc.name, reason, status, tc.reason)
			}
		}
	})

	entra := []struct{ name, example, iss, aud string }{
		{"Microsoft Entra ID single tenant", `<validate-jwt header-name="Authorization" failed-validation-httpcode="401" failed-validation-error-message="Unauthorized. Access token is missing or invalid.">
    <openid-config url="https://login.microsoftonline.com/contoso.onmicrosoft.com/.well-known/openid-configuration" />
    <audiences>
        <audience>00001111-aaaa-2222-bbbb-3333cccc4444</audience>
    </audiences>
    <required-claims>
        <claim name="id" match="all">
            <value>insert claim here</value>
        </claim>
    </required-claims>
</validate-jwt>`, "https://sts.windows.net/aaaabbbb-0000-cccc-1111-dddd2222eeee/", "00001111-aaaa-2222-bbbb-3333cccc4444"},
		{"Azure Active Directory B2C", `<validate-jwt header-name="Authorization" failed-validation-httpcode="401" failed-validation-error-message="Unauthorized. Access token is missing or invalid.">
    <openid-config url="https://login.microsoftonline.com/tfp/contoso.onmicrosoft.com/b2c_1_signin/v2.0/.well-known/openid-configuration" />
    <audiences>
        <audience>11112222-bbbb-3333-cccc-4444dddd5555</audience>
    </audiences>
    <required-claims>
        <claim name="id" match="all">
            <value>insert claim here</value>
        </claim>
    </required-claims>
</validate-jwt>`, "https://contoso.b2clogin.com/aaaabbbb-0000-cccc-1111-dddd2222eeee/v2.0/", "11112222-bbbb-3333-cccc-4444dddd5555"},
	}
	for _, tc := range entra {
		t.Run(tc.name, func(t *testing.T) {
			srv, configs := entraServer(t, tc.iss)
			plan, errs := docJwtPlan(t, redirectTo(srv), tc.example)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			claims := func(mod func(jwt.MapClaims)) string {
				return "Bearer " + jwtSign(t, "RS256", jwtRSA, "k1", jwtClaims(func(c jwt.MapClaims) {
					c["iss"], c["aud"], c["id"] = tc.iss, tc.aud, "insert claim here"
					if mod != nil {
						mod(c)
					}
				}))
			}
			if reason, _ := run(t, plan, "GET", claims(nil)); reason != "" {
				t.Fatalf("valid token: %s", reason)
			}
			for name, mod := range map[string]func(jwt.MapClaims){
				"another audience":   func(c jwt.MapClaims) { c["aud"] = "22223333-cccc-4444-dddd-5555eeee6666" },
				"another issuer":     func(c jwt.MapClaims) { c["iss"] = "https://sts.windows.net/another-tenant/" },
				"claim missing":      func(c jwt.MapClaims) { delete(c, "id") },
				"claim of the other": func(c jwt.MapClaims) { c["id"] = "someone else" },
			} {
				s := httpRequest("GET", "http://gw/orders/x", "Authorization", claims(mod))
				if !plan.Run(context.Background(), engine.Inbound, s) || s.Response().StatusCode != 401 ||
					!strings.Contains(bodyOf(t, s.Response()), "Unauthorized. Access token is missing or invalid.") {
					t.Errorf("%s: admitted or not the page's 401: %d %+v", name, s.Response().StatusCode, s.LastError())
				}
				s.Release()
			}
			if configs.Load() < 1 {
				t.Error("the OpenID configuration was not fetched")
			}
		})
	}

	t.Run("Microsoft Entra ID customer tenant", func(t *testing.T) {
		const example = `<validate-jwt header-name="Authorization" failed-validation-httpcode="401" failed-validation-error-message="Unauthorized. Access token is missing or invalid.">
	<openid-config url="https://<tenant-name>.ciamlogin.com/<tenant-id>/v2.0/.well-known/openid-configuration" />
	<required-claims>
		<claim name="azp" match="all">
			<value>insert claim here</value>
		</claim>
	</required-claims>
</validate-jwt>`
		// As written, <tenant-name> and <tenant-id> are placeholders that
		// are no XML: a load error at the value, naming the "<".
		if _, errs := docJwtPlan(t, nil, example); len(errs) == 0 || !strings.Contains(errs.Error(), "policy.xml:2:") || !strings.Contains(errs.Error(), `"<"`) {
			t.Fatalf("as written: %v", errs)
		}
		// With them filled in (contoso, a tenant id), it runs.
		const iss = "https://aaaabbbb-0000-cccc-1111-dddd2222eeee.ciamlogin.com/aaaabbbb-0000-cccc-1111-dddd2222eeee/v2.0"
		srv, _ := entraServer(t, iss)
		plan, errs := docJwtPlan(t, redirectTo(srv), strings.NewReplacer("<tenant-name>", "contoso", "<tenant-id>", "aaaabbbb-0000-cccc-1111-dddd2222eeee").Replace(example))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		tok := func(azp string) string {
			return "Bearer " + jwtSign(t, "RS256", jwtRSA, "k1", jwtClaims(func(c jwt.MapClaims) { c["iss"], c["azp"] = iss, azp }))
		}
		if reason, _ := run(t, plan, "GET", tok("insert claim here")); reason != "" {
			t.Errorf("valid token: %s", reason)
		}
		if reason, status := run(t, plan, "GET", tok("another app")); reason == "" || status != 401 {
			t.Errorf("another azp: %q %d", reason, status)
		}
	})

	t.Run("authorize access to operations based on token claims", func(t *testing.T) {
		plan, errs := docJwtPlan(t, nil, `<validate-jwt header-name="Authorization" require-scheme="Bearer" output-token-variable-name="jwt">
    <issuer-signing-keys>
        <key>{{jwt-signing-key}}</key> <!-- signing key is stored in a named value -->
    </issuer-signing-keys>
    <audiences>
        <audience>@(context.Request.OriginalUrl.Host)</audience>
    </audiences>
    <issuers>
        <issuer>contoso.com</issuer>
    </issuers>
    <required-claims>
        <claim name="group" match="any">
            <value>finance</value>
            <value>logistics</value>
        </claim>
    </required-claims>
</validate-jwt>
<choose>
    <when condition="@(context.Request.Method == "POST" && !((Jwt)context.Variables["jwt"]).Claims["group"].Contains("finance"))">
        <return-response>
            <set-status code="403" reason="Forbidden" />
        </return-response>
    </when>
</choose>`)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		group := func(g ...string) string {
			return hs(func(c jwt.MapClaims) { c["aud"], c["iss"], c["group"] = "gw", "contoso.com", g })
		}
		for _, tc := range []struct {
			method, auth string
			reason       string
			status       int
		}{
			{"GET", group("logistics"), "", 0},
			{"POST", group("finance"), "", 0},
			{"POST", group("logistics", "finance"), "", 0},
			{"POST", group("logistics"), "stopped", 403}, // the choose's return-response
			{"GET", group("marketing"), "TokenClaimValueNotAllowed", 401},
		} {
			if reason, status := run(t, plan, tc.method, tc.auth); reason != tc.reason || status != tc.status {
				t.Errorf("%s %s: %q %d, want %q %d", tc.method, tc.auth[len(tc.auth)-12:], reason, status, tc.reason, tc.status)
			}
		}
	})
}

// send-request page's example (testdata/apim-docs/send-request-verify-token.xml),
// as written: the token introspected at the page's azurewebsites.net URL
// (a local server, through redirectTo), 401 when it is not active.
func TestDocExamplesSendRequest(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.Method != "POST" || r.URL.Path != "/introspection" || r.Header.Get("Authorization") != "basic dXNlcm5hbWU6cGFzc3dvcmQ=" ||
			!strings.HasSuffix(r.Header.Get("X-Original-Host"), ".azurewebsites.net") {
			t.Errorf("introspection request: %s %s %v", r.Method, r.URL.Path, r.Header)
		}
		_, _ = fmt.Fprintf(w, `{"active":%v}`, r.PostForm.Get("token") == "good-token")
	}))
	defer srv.Close()
	data, err := os.ReadFile("testdata/apim-docs/send-request-verify-token.xml")
	if err != nil {
		t.Fatal(err)
	}
	d := testDeps()
	d.HTTPClient = redirectTo(srv)
	plan := docPlan(t, d, "", "<policies>"+string(data)+"<backend/><outbound/><on-error/></policies>")
	for _, tc := range []struct {
		auth   string
		status int // 0: the request goes on
	}{{"Bearer good-token", 0}, {"Bearer revoked", 401}, {"", 401}} {
		s := docState("http://gw/orders/x", "Authorization", tc.auth)
		stopped := runSection(t, plan, engine.Inbound, s)
		if tc.status == 0 && stopped {
			t.Errorf("%q: refused: %d", tc.auth, s.Response().StatusCode)
		}
		if tc.status != 0 {
			r := s.Response()
			if !stopped || r.StatusCode != tc.status || r.Headers.GetValueOrDefault("WWW-Authenticate", "") != `Bearer error="invalid_token"` {
				t.Errorf("%q: %v %d %v", tc.auth, stopped, r.StatusCode, r.Headers)
			}
		}
		s.Release()
	}
}

// authentication-managed-identity page's examples, each as written with
// its comment: the token (from the test's stand-in for Microsoft Entra ID)
// in the Authorization header, or in msi-access-token for the page's
// set-header, or on send-request's call (to example.com, through
// redirectTo).
func TestDocExamplesManagedIdentity(t *testing.T) {
	for _, tc := range []struct{ example, resource string }{
		{`<authentication-managed-identity resource="https://graph.microsoft.com"/> `, "https://graph.microsoft.com"},
		{`<authentication-managed-identity resource="https://cognitiveservices.azure.com"/> <!--Azure OpenAI-->`, "https://cognitiveservices.azure.com"},
		{`<authentication-managed-identity resource="https://management.azure.com/"/> <!--Azure Resource Manager-->`, "https://management.azure.com/"},
		{`<authentication-managed-identity resource="https://vault.azure.net"/> <!--Azure Key Vault-->`, "https://vault.azure.net"},
		{`<authentication-managed-identity resource="https://servicebus.azure.net/"/> <!--Azure Service Bus-->`, "https://servicebus.azure.net/"},
		{`<authentication-managed-identity resource="https://eventhubs.azure.net/"/> <!--Azure Event Hub-->`, "https://eventhubs.azure.net/"},
		{`<authentication-managed-identity resource="https://storage.azure.com/"/> <!--Azure Blob Storage-->`, "https://storage.azure.com/"},
		{`<authentication-managed-identity resource="https://database.windows.net/"/> <!--Azure SQL-->`, "https://database.windows.net/"},
		{`<authentication-managed-identity resource="AD_application_id"/> <!--Application (client) ID of your own Azure AD Application-->`, "AD_application_id"},
		{`<authentication-managed-identity resource="AD_application_id"
   output-token-variable-name="msi-access-token" ignore-error="false" /> <!--Application (client) ID of your own Azure AD Application-->
<set-header name="Authorization" exists-action="override">
   <value>@("Bearer " + (string)context.Variables["msi-access-token"])</value>
</set-header>`, "AD_application_id"},
	} {
		t.Run(tc.resource, func(t *testing.T) {
			f := newFakeTokenEndpoint(t, 3600)
			plan := docPlan(t, identityDeps(f), "inbound", tc.example)
			s := docState("http://gw/orders/x", "Authorization", "Bearer client")
			defer s.Release()
			runSection(t, plan, engine.Inbound, s)
			if got := s.Context().Request.Headers.GetValueOrDefault("Authorization", ""); got != "Bearer tok-1" {
				t.Errorf("Authorization = %q", got)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.scopes) != 1 || !strings.HasPrefix(f.scopes[0], strings.TrimSuffix(tc.resource, "/")) || !strings.HasSuffix(f.scopes[0], "/.default") {
				t.Errorf("token requested for %v, want %s", f.scopes, tc.resource)
			}
		})
	}
	t.Run("in send-request", func(t *testing.T) {
		f := newFakeTokenEndpoint(t, 3600)
		var auth atomic.Value
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			auth.Store(r.Header.Get("X-Original-Host") + " " + r.Header.Get("Authorization"))
		}))
		defer srv.Close()
		d := identityDeps(f)
		d.HTTPClient = redirectTo(srv, "example.com")
		// The page's send-request has no response-variable-name (the
		// policy statement requires one): it loads, the call is made.
		plan := docPlan(t, d, "inbound", `<send-request mode="new" timeout="20" ignore-error="false">
    <set-url>https://example.com/</set-url>
    <set-method>GET</set-method>
    <authentication-managed-identity resource="ResourceID"/>
</send-request>`)
		s := docState("http://gw/orders/x")
		defer s.Release()
		runSection(t, plan, engine.Inbound, s)
		if got, _ := auth.Load().(string); got != "example.com Bearer tok-1" {
			t.Errorf("the call: %q", got)
		}
		// It loads with a notice saying the response is not kept.
		root, err := engine.Read("policy.xml", []byte(`<policies><inbound><send-request mode="new" timeout="20" ignore-error="false"><set-url>https://example.com/</set-url></send-request></inbound></policies>`))
		if err != nil {
			t.Fatal(err)
		}
		c := engine.NewCompiler(Registry(testDeps()), engine.NewNamedValues())
		c.Compile(root, "api", nil)
		if n := c.TakeNotices(); len(c.Errors()) > 0 || len(n) != 1 || !strings.Contains(n[0], "no response-variable-name") {
			t.Errorf("errors %v, notices %q", c.Errors(), n)
		}
	})
}

// trace page's example (the current form, with message and metadata):
// the message is the clientConnectionID variable, which the test sets.
func TestDocExamplesTrace(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	d := testDeps()
	d.Log = zap.New(core)
	plan := docPlan(t, d, "inbound", `<trace source="PetStore API" severity="verbose">
    <message>@((string)context.Variables["clientConnectionID"])</message>
    <metadata name="Operation Name" value="New-Order"/>
</trace>`)
	s := docState("http://gw/orders/x")
	defer s.Release()
	s.EnableTrace()
	s.Variables()["clientConnectionID"] = "c-42"
	runSection(t, plan, engine.Inbound, s)
	var notes []string
	for _, st := range s.Trace().Steps {
		notes = append(notes, st.Notes...)
	}
	if !strings.Contains(strings.Join(notes, "\n"), "[PetStore API] verbose: c-42") {
		t.Errorf("trace notes = %q", notes)
	}
	entries := logs.FilterMessage("c-42").All()
	if len(entries) != 1 {
		t.Fatalf("logs = %v", logs.All())
	}
	if fields := entries[0].ContextMap(); !strings.Contains(fmt.Sprint(fields), "New-Order") {
		t.Errorf("the metadata is not in the log line: %v", fields)
	}
}

// wait page's example (testdata/apim-docs/wait.xml), as written, with its
// variable names ending in "=" as the page writes them: the test sets
// execute-branch-one= and execute-branch-two=; the branch that runs calls
// https://backend-one (a local server, through redirectTo) once its cache
// lookup misses, and its rate-limit counts.
func TestDocExamplesWait(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = w.Write([]byte("from " + r.Header.Get("X-Original-Host")))
	}))
	defer srv.Close()
	data, err := os.ReadFile("testdata/apim-docs/wait.xml")
	if err != nil {
		t.Fatal(err)
	}
	d := testDeps()
	d.HTTPClient = redirectTo(srv)
	plan := docPlan(t, d, "inbound", string(data))
	for _, tc := range []struct{ one, two bool }{{true, false}, {false, true}, {true, true}, {false, false}} {
		s := docState("http://gw/orders/x")
		s.Variables()["execute-branch-one="], s.Variables()["execute-branch-two="] = tc.one, tc.two
		before := calls.Load()
		runSection(t, plan, engine.Inbound, s)
		for name, ran := range map[string]bool{"value-one": tc.one, "value-two": tc.two} {
			r, _ := s.Variables()[name].(*engine.Response)
			host := "backend-" + strings.TrimPrefix(name, "value-")
			if ran != (r != nil) || (r != nil && bodyOf(t, r) != "from "+host) {
				t.Errorf("%+v: %s = %v", tc, name, s.Variables()[name])
			}
		}
		if n := calls.Load() - before; n != int64(btoi(tc.one)+btoi(tc.two)) {
			t.Errorf("%+v: %d calls", tc, n)
		}
		s.Release()
	}
	// rate-limit calls="10" in a branch: ten runs of branch one, then 429.
	for i := range 10 {
		s := docState("http://gw/orders/x")
		s.Variables()["execute-branch-one="], s.Variables()["execute-branch-two="] = true, false
		stopped := plan.Run(context.Background(), engine.Inbound, s)
		if i < 8 && stopped { // two runs of branch one above
			t.Fatalf("run %d refused: %+v", i, s.LastError())
		}
		if i >= 8 && (!stopped || s.Response().StatusCode != 429) {
			t.Errorf("run %d: stopped %v, %d", i, stopped, s.Response().StatusCode)
		}
		s.Release()
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// validate-graphql-request page's example 2 (mutation validation), as
// written: its action expression compares with "<>", which is not C# (it
// is Visual Basic's): APIM's C# compiler cannot take it, and tollgate
// refuses it at load, at the expression. (Example 1 runs in
// TestValidateGraphQLRequest; example 2 with != in its "a mutation rule"
// case.)
func TestDocExamplesValidateGraphQLMutation(t *testing.T) {
	_, errs := compileErrs(testDeps(), `<validate-graphql-request error-variable-name="name" max-size="102400" max-depth="4"> 
    <authorize>
        <rule path="/Mutation/deleteUser" action="@(context.Request.IpAddress <> "198.51.100.1" ? "deny" : "allow")" />
    </authorize>
</validate-graphql-request> `)
	if len(errs) == 0 || !strings.Contains(errs.Error(), `policy.xml:3:80: inbound/validate-graphql-request[1]/authorize[1]/rule[1]: C# expression: "<>" is not C#: write != for "not equal"`) {
		t.Errorf("as written: %v", errs)
	}
}
