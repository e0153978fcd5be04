package gateway_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// api.xml trace="true" logs each request's executed steps; without it,
// nothing is traced.
func TestPolicyTraceLog(t *testing.T) {
	backend := newWSBackend(t)
	dir := t.TempDir()
	policy := `<policies><inbound>
  <set-variable name="who" value="@(context.Request.Headers.GetValueOrDefault("X-User","anon"))" id="who"/>
  <choose><when condition="@(context.Variables["who"] == "bob")"><set-header name="X-Bob" exists-action="override"><value>1</value></set-header></when></choose>
  <set-backend-service base-url="` + backend.url + `/?access_token=SECRET7"/>
</inbound></policies>`
	writeAPI(t, dir, "traced", `type="websocket" path="/traced" service-url="`+backend.url+`" trace="true"`, policy)
	writeAPI(t, dir, "quiet", `type="websocket" path="/quiet" service-url="`+backend.url+`"`, policy)
	g := startGateway(t, dir)

	for _, path := range []string{"/traced", "/quiet"} {
		c := dial(t, g.ws+path, nil)
		mustWrite(t, c, "hi")
		if got := mustRead(t, c); got != "hi" {
			t.Fatalf("%s: echo = %q", path, got)
		}
		c.CloseNow()
	}
	resp, _ := upgradeRequest(t, g.url+"/traced", http.Header{"X-User": {"bob"}})
	resp.Body.Close()

	// The trace line follows the 101: wait for it.
	waitFor(t, "two policy trace lines", func() bool { return len(g.logsNamed("policy trace")) >= 2 })
	lines := g.logsNamed("policy trace")
	if len(lines) != 2 {
		t.Fatalf("policy trace lines = %d, want 2 (one per /traced request, none for /quiet)", len(lines))
	}
	for _, l := range lines {
		if l.ContextMap()["api"] != "traced" {
			t.Errorf("trace of api %v", l.ContextMap()["api"])
		}
	}
	text := fmt.Sprintf("%+v", lines[1].ContextMap()["steps"])
	for _, want := range []string{"inbound/set-variable[1]", "who = bob", "when[1] taken",
		"inbound/choose[1]/when[1]/set-header[1]", "override X-Bob", "access_token=REDACTED"} {
		if !strings.Contains(text, want) {
			t.Errorf("trace %s lacks %q", text, want)
		}
	}
}
