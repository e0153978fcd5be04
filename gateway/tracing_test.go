package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"tollgate/gateway"
)

// A request carrying a trace token minted for its API is traced: it gets
// Tollgate-Trace-Id, its trace (steps, variables, call-outs, branch) is in
// the ring, masked; the header never reaches the backend. Expired, forged
// and other-API tokens trace nothing.
func TestTraceTokenRequests(t *testing.T) {
	backend := newWSBackend(t)
	var calloutQuery string
	callout := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		calloutQuery = r.URL.RawQuery
		w.Write([]byte(`{"url":"ws://x"}`))
	})
	dir := t.TempDir()
	writeFile(t, dir, "named-values.xml", `<named-values><named-value name="key" secret="true">SECRET5-named</named-value></named-values>`)
	policy := `<policies><inbound>
  <set-variable name="who" value="@(context.Request.Headers.GetValueOrDefault("X-User","anon"))"/>
  <set-variable name="echoed" value="@(context.Request.Headers.GetValueOrDefault("Authorization",""))"/>
  <set-variable name="k" value="{{key}}"/>
  <set-variable name="kk" value="@("{{key}}" + "!")"/>
  <send-request mode="new" response-variable-name="neg">
    <set-url>` + callout.URL + `/negotiate?access_token=SECRET6-query&amp;x=1</set-url>
    <set-method>POST</set-method>
  </send-request>
  <choose>
    <when condition="@(context.Variables["who"] == "bob")"><set-variable name="bob" value="yes"/></when>
    <otherwise><set-variable name="bob" value="no"/></otherwise>
  </choose>
</inbound></policies>`
	writeAPI(t, dir, "chat", `type="websocket" path="/chat" service-url="`+backend.url+`"`, policy)
	writeAPI(t, dir, "other", `type="websocket" path="/other" service-url="`+backend.url+`"`, `<policies/>`)
	g := startGateway(t, dir)

	good, exp, err := g.srv.MintTraceToken("chat", time.Minute)
	if err != nil || time.Until(exp) <= 0 {
		t.Fatalf("MintTraceToken: %v %v", err, exp)
	}
	otherTok, _, _ := g.srv.MintTraceToken("other", time.Minute)
	expired, _, _ := g.srv.MintTraceToken("chat", time.Second)
	if _, _, err := g.srv.MintTraceToken("nope", time.Minute); err == nil {
		t.Error("MintTraceToken for an unknown API succeeded")
	}
	if _, _, err := g.srv.MintTraceToken("chat", 2*time.Hour); err == nil {
		t.Error("MintTraceToken for 2h succeeded")
	}
	time.Sleep(1100 * time.Millisecond) // let the 1s token expire (a rule about wall-clock expiry)

	for _, c := range []struct {
		name   string
		token  string
		traced bool
	}{
		{"valid", good, true},
		{"expired", expired, false},
		{"other API's token", otherTok, false},
		{"forged", good[:len(good)-2] + "xx", false},
		{"garbage", "hello", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(g.srv.Traces())
			resp, _ := upgradeRequest(t, g.url+"/chat?access_token=SECRET7-client", http.Header{
				gateway.TraceTokenHeader: {c.token}, "X-User": {"bob"}, "Authorization": {"Bearer SECRET8-bearer"}})
			resp.Body.Close()
			if resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if got := backend.lastRequest().Header.Get(gateway.TraceTokenHeader); got != "" {
				t.Errorf("the backend got the trace token %q", got)
			}
			id := resp.Header.Get(gateway.TraceIDHeader)
			if !c.traced {
				if id != "" || len(g.srv.Traces()) != before {
					t.Fatalf("traced with a bad token: id %q, traces %d -> %d", id, before, len(g.srv.Traces()))
				}
				return
			}
			if id == "" {
				t.Fatal("no trace id header")
			}
			// The handshake's trace is kept when the exchange hands over to
			// the session, which may be just after the 101 reached us.
			waitFor(t, "trace "+id+" in the ring", func() bool { return g.srv.Trace(id) != nil })
			tr := g.srv.Trace(id)
			data, _ := json.Marshal(tr)
			text := string(data)
			if strings.Contains(text, "SECRET") {
				t.Errorf("trace shows a secret: %s", text)
			}
			if tr.API != "chat" || tr.Status != 101 || tr.Source != "token" || tr.Method != "GET" {
				t.Errorf("trace header: %+v", tr)
			}
			if tr.URL != "/chat?access_token=REDACTED" {
				t.Errorf("trace url %q", tr.URL)
			}
			var branch string
			var co *gateway.TracedCallout
			vars := map[string]string{}
			for _, st := range tr.Steps {
				if st.Branch != "" {
					branch = st.Branch
				}
				for _, v := range st.Vars {
					vars[v.Name] = v.Value
				}
				for i := range st.Callouts {
					co = &st.Callouts[i]
				}
				if st.File == "" || st.Line == 0 {
					t.Errorf("step %s has no position", st.Path)
				}
			}
			if branch != "when[1]" || vars["who"] != "bob" || vars["bob"] != "yes" {
				t.Errorf("branch %q vars %v", branch, vars)
			}
			// A secret named value is masked by value as a literal, and shown
			// as (secret) when an expression used it; a credential header's
			// value is masked wherever it shows up.
			if vars["echoed"] != "REDACTED" || vars["k"] != "REDACTED" || vars["kk"] != "(secret)" {
				t.Errorf("credential/secret values not masked: %v", vars)
			}
			if co == nil || co.Method != "POST" || co.Status != 200 || co.URL != callout.URL+"/negotiate?access_token=REDACTED&x=1" || co.Duration <= 0 {
				t.Errorf("call-out %+v", co)
			}
			if calloutQuery != "access_token=SECRET6-query&x=1" {
				t.Errorf("the call-out itself got %q", calloutQuery)
			}
		})
	}
	if n := len(g.logsNamed("policy trace")); n != 0 {
		t.Errorf("token traces are not logged, got %d lines", n)
	}
}

// An HTTP API answers a traced request with its trace id too.
func TestTraceTokenHTTP(t *testing.T) {
	var sawToken string
	be := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		sawToken = r.Header.Get(gateway.TraceTokenHeader)
		w.Write([]byte("ok"))
	})
	dir := t.TempDir()
	writeAPI(t, dir, "rest", `type="http" path="/rest" service-url="`+be.URL+`"`,
		`<policies><inbound><set-header name="X-A" exists-action="override"><value>1</value></set-header></inbound></policies>`)
	g := startGateway(t, dir)
	tok, _, err := g.srv.MintTraceToken("rest", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := get(t, g.url+"/rest/x", http.Header{gateway.TraceTokenHeader: {tok}})
	if resp.StatusCode != 200 || body != "ok" || sawToken != "" {
		t.Fatalf("status %d body %q backend saw token %q", resp.StatusCode, body, sawToken)
	}
	tr := g.srv.Trace(resp.Header.Get(gateway.TraceIDHeader))
	if tr == nil || len(tr.Steps) != 1 || tr.Steps[0].Policy != "set-header" || tr.Status != 200 {
		t.Fatalf("trace %+v", tr)
	}
	if resp.Header.Get(gateway.APIMTraceIDHeader) != "" {
		t.Errorf("Apim-Trace-Id answers a token sent in Tollgate-Trace-Token")
	}

	// The header APIM's clients send their debug token in works too, and
	// is answered with APIM's Apim-Trace-Id as well; an invalid one traces
	// nothing. Neither reaches the backend.
	var sawAPIM string
	be2 := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		sawAPIM = r.Header.Get(gateway.APIMDebugHeader)
		w.Write([]byte("ok"))
	})
	writeAPI(t, dir, "rest2", `type="http" path="/rest2" service-url="`+be2.URL+`"`,
		`<policies><inbound><set-header name="X-A" exists-action="override"><value>1</value></set-header></inbound></policies>`)
	g = startGateway(t, dir)
	tok, _, err = g.srv.MintTraceToken("rest2", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, _ = get(t, g.url+"/rest2/x", http.Header{gateway.APIMDebugHeader: {tok}})
	id := resp.Header.Get(gateway.APIMTraceIDHeader)
	if resp.StatusCode != 200 || sawAPIM != "" || id == "" || id != resp.Header.Get(gateway.TraceIDHeader) || g.srv.Trace(id) == nil {
		t.Fatalf("status %d, backend saw %q, Apim-Trace-Id %q, Tollgate-Trace-Id %q", resp.StatusCode, sawAPIM, id, resp.Header.Get(gateway.TraceIDHeader))
	}
	resp, _ = get(t, g.url+"/rest2/x", http.Header{gateway.APIMDebugHeader: {tok[:len(tok)-2] + "xx"}})
	if resp.StatusCode != 200 || sawAPIM != "" || resp.Header.Get(gateway.APIMTraceIDHeader) != "" || resp.Header.Get(gateway.TraceIDHeader) != "" {
		t.Fatalf("a forged token: status %d, backend saw %q, %v", resp.StatusCode, sawAPIM, resp.Header)
	}
}

// A trace's size is bounded: a loop of steps with big notes is cut, and
// says so.
func TestTraceBounded(t *testing.T) {
	be := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	dir := t.TempDir()
	writeAPI(t, dir, "big", `type="http" path="/big" service-url="`+be.URL+`"`, `<policies><inbound>
  <retry condition="@(true)" count="50" interval="0">
    <set-variable name="big" value="@(repeat("x", 5000))"/>
  </retry>
</inbound></policies>`)
	g := startGateway(t, dir)
	tok, _, _ := g.srv.MintTraceToken("big", time.Minute)
	resp, _ := get(t, g.url+"/big", http.Header{gateway.TraceTokenHeader: {tok}})
	tr := g.srv.Trace(resp.Header.Get(gateway.TraceIDHeader))
	if tr == nil {
		t.Fatalf("no trace (status %d)", resp.StatusCode)
	}
	data, _ := json.Marshal(tr)
	if !tr.Truncated || len(tr.Steps) > 500 || len(data) > 200<<10 {
		t.Errorf("trace: truncated %v, %d steps, %d bytes", tr.Truncated, len(tr.Steps), len(data))
	}
}
