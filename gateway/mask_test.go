package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"tollgate/gateway"
	"tollgate/gateway/h1/h1test"
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
	ts := h1test.NewServer(srv)
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

// A secret named value reaches none of the outputs: the policy trace line
// (structured steps), context.LastError.Message (which on-error sends to the
// client here), the error body without on-error, /status/reload after a
// failed reload, and the "config error" log lines. startGateway's cleanup
// checks the logs and admin endpoints.
func TestSecretsMaskedEverywhere(t *testing.T) {
	be := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {})
	dir := t.TempDir()
	writeFile(t, dir, "named-values.xml", `<named-values><named-value name="tok" secret="true">SECRET7-token</named-value></named-values>`)
	writeAPI(t, dir, "traced", `type="http" path="/traced" trace="true" service-url="`+be.URL+`"`, `<policies><inbound>
  <set-variable name="t" value="{{tok}}"/>
  <set-header name="X-T" exists-action="override"><value>@("x" + string(context.Variables["t"]))</value></set-header>
</inbound></policies>`)
	writeAPI(t, dir, "echo-error", `type="http" path="/echo-error" service-url="`+be.URL+`"`, `<policies><inbound>
  <set-variable name="n" value="@(int(context.Request.Headers.GetValueOrDefault("X-N", "{{tok}}")))"/>
</inbound><on-error>
  <return-response><set-status code="500"/><set-body>@(context.LastError.Message)</set-body></return-response>
</on-error></policies>`)
	writeAPI(t, dir, "plain-error", `type="http" path="/plain-error" service-url="`+be.URL+`"`, `<policies><inbound>
  <check-header name="X-Key" failed-check-httpcode="401" failed-check-error-message="want {{tok}}" ignore-case="false"/>
</inbound></policies>`)
	g := startGateway(t, dir)
	for _, p := range []string{"/traced/x", "/echo-error/x", "/plain-error/x"} {
		resp, body := get(t, g.url+p, nil)
		noSecretIn(t, p+" response", body)
		if p == "/echo-error/x" && (resp.StatusCode != 500 || !strings.Contains(body, "REDACTED")) {
			t.Errorf("%s: %d %q: want LastError.Message with REDACTED", p, resp.StatusCode, body)
		}
	}
	if len(g.logsNamed("policy trace")) == 0 {
		t.Fatal("no policy trace line")
	}
	// A reload that fails on an attribute holding the secret.
	writeAPI(t, dir, "broken", `type="http" path="/broken" service-url="`+be.URL+`" max-body-size="{{tok}}"`, "")
	if st := g.srv.Reload("test"); st.Result == gateway.ReloadSuccess || len(st.Errors) == 0 {
		t.Fatalf("reload: %+v", st)
	} else {
		noSecretIn(t, "the reload status", strings.Join(st.Errors, "\n"))
	}
}
