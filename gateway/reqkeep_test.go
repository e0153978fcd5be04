package gateway_test

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRequestBodyReadAfterForward: a section after the forward (outbound,
// on-error) that reads context.Request.Body gets the body the client sent,
// though nothing read it before the forward: the compiler sees the read,
// and the gateway keeps the body while it forwards (engine.Plan.
// KeepsRequestBody). The backend gets the same bytes. A body over
// max-body-size is forwarded whole all the same, and the read is the
// too-large error. A body kept in a variable in inbound is kept too. Each
// case runs on the front TOLLGATE_TEST_FRONT picks.
func TestRequestBodyReadAfterForward(t *testing.T) {
	var seen atomic.Pointer[string]
	be := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		s := string(b)
		if err != nil {
			s = "read error: " + err.Error()
		}
		seen.Store(&s)
		if r.URL.Query().Get("fail") == "1" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("answer"))
	})
	const body = `{"id":42,"name":"ada"}`
	big := strings.Repeat("x", 300)
	for _, tc := range []struct {
		name, attrs, policy, query, send string
		chunked                          bool // no Content-Length
		status                           int
		header                           string // X-Req's value
		bodyHas                          string
	}{
		{name: "outbound As<string>", policy: `<outbound><set-header name="X-Req" exists-action="override"><value>@(context.Request.Body.As<string>())</value></set-header></outbound>`,
			status: 200, header: body},
		{name: "outbound As<JObject> preserveContent", policy: `<outbound><set-header name="X-Req" exists-action="override"><value>@((string)context.Request.Body.As<JObject>(preserveContent: true)["name"])</value></set-header></outbound>`,
			status: 200, header: "ada"},
		{name: "outbound in a choose, request in a local", policy: `<outbound><choose><when condition="@(context.Response.StatusCode == 200)"><set-header name="X-Req" exists-action="override"><value>@{ var r = context.Request; return r.Body.As<string>(); }</value></set-header></when></choose></outbound>`,
			status: 200, header: body},
		{name: "outbound set-body from the request", policy: `<outbound><set-body>@(context.Request.Body.As<string>(preserveContent: true) + "!")</set-body></outbound>`,
			status: 200, bodyHas: body + "!"},
		{name: "expr-lang", policy: `<outbound><set-header name="X-Req" exists-action="override"><value>@(context.Request.Body.AsString())</value></set-header></outbound>`,
			status: 200, header: body},
		{name: "on-error after an error status", query: "?fail=1",
			policy: `<backend><forward-request fail-on-error-status-code="true"/></backend><on-error><return-response><set-status code="502"/><set-body>@("was: " + context.Request.Body.As<string>())</set-body></return-response></on-error>`,
			status: 502, bodyHas: "was: " + body},
		{name: "over max-body-size: forwarded, the read fails", attrs: `max-body-size="100"`, send: big,
			policy: `<outbound><set-header name="X-Req" exists-action="override"><value>@(context.Request.Body.As<string>())</value></set-header></outbound><on-error><return-response><set-status code="500"/><set-body>@(context.LastError.Message)</set-body></return-response></on-error>`,
			status: 500, bodyHas: "larger than 100 bytes"},
		{name: "over max-body-size, chunked: forwarded whole, the read fails", attrs: `max-body-size="100"`, send: big, chunked: true,
			policy: `<outbound><set-header name="X-Req" exists-action="override"><value>@(context.Request.Body.As<string>())</value></set-header></outbound><on-error><return-response><set-status code="500"/><set-body>@(context.LastError.Message)</set-body></return-response></on-error>`,
			status: 500, bodyHas: "larger than 100 bytes"},
		{name: "the body kept in a variable in inbound", policy: `<inbound><set-variable name="b" value="@(context.Request.Body)"/></inbound><outbound><set-header name="X-Req" exists-action="override"><value>@(((IMessageBody)context.Variables["b"]).As<string>())</value></set-header></outbound>`,
			status: 200, header: body},
	} {
		t.Run(tc.name, func(t *testing.T) {
			send := body
			if tc.send != "" {
				send = tc.send
			}
			dir := restAPI(t, be.URL, tc.attrs, `<policies>`+tc.policy+`</policies>`)
			g := startGateway(t, dir)
			seen.Store(nil)
			var rd io.Reader = strings.NewReader(send)
			if tc.chunked {
				rd = io.MultiReader(rd) // a length net/http's client does not know
			}
			req, err := http.NewRequestWithContext(testCtx(t), http.MethodPost, g.url+"/orders/x"+tc.query, rd)
			if err != nil {
				t.Fatal(err)
			}
			resp, got := do(t, req)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (body %q)", resp.StatusCode, tc.status, got)
			}
			if h := resp.Header.Get("X-Req"); h != tc.header {
				t.Errorf("X-Req %q, want %q", h, tc.header)
			}
			if !strings.Contains(got, tc.bodyHas) || strings.Contains(got, "closed Body") {
				t.Errorf("body %q, want it to have %q", got, tc.bodyHas)
			}
			if b := seen.Load(); b == nil || *b != send {
				t.Errorf("the backend got %v, want the %d bytes sent", b, len(send))
			}
		})
	}
}
