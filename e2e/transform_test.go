package e2e

import (
	"io"
	"net/http"
	"strconv"
	"testing"
)

// The transformation policies through a real gateway and backend: the
// response body the client gets is the converted one, with its
// Content-Type and a Content-Length that matches.
func TestRESTTransformations(t *testing.T) {
	gwURL, _ := restGateway(t, `<policies>
  <inbound>
    <cross-domain><cross-domain-policy><allow-access-from domain="*.example.com"/></cross-domain-policy></cross-domain>
  </inbound>
  <backend><forward-request/></backend>
  <outbound>
    <find-and-replace from="GET" to="got"/>
    <redirect-content-urls/>
    <choose>
      <when condition="@(context.Request.Url.Query.GetValueOrDefault("as","") == "xml")">
        <json-to-xml apply="content-type-json" consider-accept-header="false"/>
      </when>
      <when condition="@(context.Request.Url.Query.GetValueOrDefault("as","") == "liquid")">
        <set-body template="liquid">{"m":"{{body.method | Upcase}}","p":"{{body.path}}"}</set-body>
      </when>
    </choose>
    <jsonp callback-parameter-name="cb"/>
  </outbound>
  <on-error/>
</policies>`, nil, nil)
	cases := []struct{ url, want, ct string }{
		{"/orders/a?as=xml", "<Document>\n  <method>got</method>\n  <path>/svc/a</path>\n  <query>as=xml</query>\n  <auth />\n</Document>", "application/xml"},
		{"/orders/a?as=liquid", `{"m":"GOT","p":"/svc/a"}`, "application/json"},
		{"/orders/a?cb=f", `f({"method":"got","path":"/svc/a","query":"cb=f","auth":""}` + "\n);", "application/javascript; charset=utf-8"},
		{"/orders/crossdomain.xml", "<?xml version=\"1.0\"?>\n<cross-domain-policy><allow-access-from domain=\"*.example.com\"/></cross-domain-policy>\n", "application/xml"},
	}
	for _, c := range cases {
		resp, err := http.Get(gwURL + c.url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != c.want {
			t.Errorf("%s: %d %q\nwant %q", c.url, resp.StatusCode, body, c.want)
		}
		if ct := resp.Header.Get("Content-Type"); ct != c.ct {
			t.Errorf("%s: Content-Type %q, want %q", c.url, ct, c.ct)
		}
		if cl := resp.Header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(body)) {
			t.Errorf("%s: Content-Length %s for %d bytes", c.url, cl, len(body))
		}
	}
}
