package policies

// The examples of APIM's policy reference pages (learn.microsoft.com,
// api-management/<policy>-policy), as written there, run through the
// policy with an assertion of the effect the page documents. The audit of
// which page example is tested where is in testdata/apim-docs/README.md.
// Where a test supplies something the page leaves to the reader (a
// placeholder, the request the example is meant for), a comment says so.

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"tollgate/engine"
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
