package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"tollgate/gateway"
	"tollgate/policies"
	"tollgate/store"
)

// Policies' own log lines (here a trace policy quoting a secret named value
// in a literal message) are masked like the gateway's.
func TestPolicyLogsMaskSecrets(t *testing.T) {
	be := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {})
	dir := restAPI(t, be.URL, "", `<policies><inbound>
  <trace source="audit" severity="information"><message>calling with {{api-token}}</message></trace>
</inbound></policies>`)
	writeFile(t, dir, "named-values.xml", `<named-values><named-value name="api-token" secret="true">SECRET9-value</named-value></named-values>`)

	core, logs := observer.New(zapcore.DebugLevel)
	mask := &gateway.SecretMask{}
	reg := policies.Registry(policies.Deps{Store: store.NewMemory(), Log: mask.Wrap(zap.New(core))})
	srv, err := gateway.New(gateway.Options{Dir: dir, Registry: reg, Log: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	mask.Bind(srv)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	resp, _ := get(t, ts.URL+"/orders", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	found := false
	for _, e := range logs.All() {
		line := e.Message
		for k, v := range e.ContextMap() {
			line += " " + k + "=" + anyString(v)
		}
		if strings.Contains(line, "SECRET9") {
			t.Errorf("secret logged: %s", line)
		}
		if strings.Contains(line, "calling with") {
			found = true
		}
	}
	if !found {
		t.Fatal("the trace policy's line was not logged")
	}
}

func anyString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}
