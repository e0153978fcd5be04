package gateway_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestCSharpNullPoliciesEndToEnd: two policies of the survey of real APIM
// policies, as their authors wrote them, on a request with no product, no
// user and no traceparent header. The outbound choose compares
// context.Product?.Name (null) with a string, and the inbound block looks
// the header up with FirstOrDefault over the headers, whose default is a
// KeyValuePair with a null Value. Both ran into a 500 before; they answer
// 200, with C#'s results, and with the header sent they keep it.
func TestCSharpNullPoliciesEndToEnd(t *testing.T) {
	be := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Seen-Traceparent", r.Header.Get("traceparent"))
		w.Write([]byte("ok"))
	})
	dir := t.TempDir()
	writeAPI(t, dir, "a", `type="http" path="/a" service-url="`+be.URL+`"`, `<policies>
  <inbound>
    <set-header name="traceparent" exists-action="override">
      <value>@{
        var h = context.Request.Headers.FirstOrDefault(x => x.Key.Equals("traceparent", StringComparison.OrdinalIgnoreCase));
        if (h.Value == null || h.Value.Length == 0 || string.IsNullOrEmpty(h.Value[0])) {
          return "00-" + context.RequestId.ToString("N") + "-0000000000000001-01";
        }
        return h.Value[0];
      }</value>
    </set-header>
  </inbound>
  <backend><forward-request /></backend>
  <outbound>
    <choose>
      <when condition="@(context.Product?.Name != &quot;Unlimited&quot;)">
        <set-header name="X-Limited" exists-action="override"><value>yes</value></set-header>
      </when>
    </choose>
    <set-header name="X-User" exists-action="override"><value>@((context.User?.Id == "u").ToString())</value></set-header>
  </outbound>
</policies>`)
	g := startGateway(t, dir)

	resp, body := get(t, g.url+"/a/x", nil)
	if resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("without a product: %d %q", resp.StatusCode, body)
	}
	if got := resp.Header.Get("X-Limited"); got != "yes" {
		t.Errorf("X-Limited = %q, want yes (null != \"Unlimited\" is true)", got)
	}
	if got := resp.Header.Get("X-User"); got != "False" {
		t.Errorf("X-User = %q, want False (null == \"u\" is false)", got)
	}
	if tp := resp.Header.Get("X-Seen-Traceparent"); !strings.HasPrefix(tp, "00-") || !strings.HasSuffix(tp, "-0000000000000001-01") || len(tp) != 55 {
		t.Errorf("the backend saw traceparent %q, want a new one", tp)
	}

	resp, body = get(t, g.url+"/a/x", http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}})
	if resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("with a traceparent: %d %q", resp.StatusCode, body)
	}
	if tp := resp.Header.Get("X-Seen-Traceparent"); tp != "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" {
		t.Errorf("the backend saw traceparent %q, want the client's", tp)
	}
}
