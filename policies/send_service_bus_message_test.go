package policies

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"tollgate/engine"
)

// TestSendServiceBusMessage runs APIM's documented examples unchanged and
// the cases around them against a fake Service Bus (TLS, a real socket)
// and a fake token endpoint: the exact request Service Bus gets (URL,
// token, headers, body), and what a failure gives on-error.
func TestSendServiceBusMessage(t *testing.T) {
	type want struct {
		path, auth, contentType, body string            // what Service Bus saw ("" path: no call)
		headers                       map[string]string // custom properties among its headers
		stopped                       bool
		status                        int    // the response's, when stopped
		reason                        string // context.LastError.Reason, when stopped
		message                       string // in the error's message, when stopped
	}
	const userToken = "Bearer SECRET-token-user-servicebus.azure.net"
	const systemToken = "Bearer SECRET-token-system-servicebus.azure.net"
	refuse := func(status int) func(w http.ResponseWriter, r *http.Request, body string) {
		return func(w http.ResponseWriter, r *http.Request, body string) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(status)
			io.WriteString(w, "<Error><Code>"+http.StatusText(status)+"</Code><Detail>SECRET-echo "+r.Header.Get("Authorization")+"</Detail></Error>")
		}
	}
	slow := func(w http.ResponseWriter, r *http.Request, body string) { <-r.Context().Done() }
	tests := []struct {
		name       string
		policy     string
		body       string
		answer     func(w http.ResponseWriter, r *http.Request, body string)
		tokenFails bool
		want       want
	}{
		{
			name:   "APIM's example: a queue, a user-assigned identity",
			policy: azureDoc(t, "send-service-bus-message-queue.xml"),
			body:   `{"order":42}`,
			want:   want{path: "/orders/messages", auth: userToken, contentType: "application/json", body: `{"order":42}`},
		},
		{
			name:   "APIM's example: a topic, the system-assigned identity",
			policy: azureDoc(t, "send-service-bus-message-topic.xml"),
			body:   "plain text",
			want:   want{path: "/orders/messages", auth: systemToken, contentType: "text/plain; charset=utf-8", body: "plain text"},
		},
		{
			name:   "APIM's example: a message property is a custom property header",
			policy: azureDoc(t, "send-service-bus-message-metadata.xml"),
			body:   `[1,2]`,
			want: want{path: "/orders/messages", auth: systemToken, contentType: "application/json", body: `[1,2]`,
				headers: map[string]string{"Customer": "Contoso"}},
		},
		{
			name:   "APIM's example: send, then return 201 at once",
			policy: azureDoc(t, "send-service-bus-message-return.xml"),
			body:   "x",
			want:   want{path: "/orders/messages", auth: systemToken, contentType: "text/plain; charset=utf-8", body: "x", stopped: true, status: 201},
		},
		{
			name: "names, namespace and properties from expressions; entity names are escaped",
			policy: `<send-service-bus-message queue-name="@(&quot;sales/eu orders&quot;)" namespace="@(&quot;ns.servicebus.windows.net&quot;)"
    client-id="@(&quot;` + testUserAssigned + `&quot;)">
  <message-properties>
    <message-property name="Method">@(context.Request.Method)</message-property>
    <message-property name="x-tenant">contoso</message-property>
  </message-properties>
  <payload>hello</payload>
</send-service-bus-message>`,
			want: want{path: "/sales/eu%20orders/messages", auth: userToken, contentType: "text/plain; charset=utf-8", body: "hello",
				headers: map[string]string{"Method": "GET", "X-Tenant": "contoso"}},
		},
		{
			name:   "an empty payload is a message",
			policy: `<send-service-bus-message queue-name="q" namespace="ns.servicebus.windows.net"><payload></payload></send-service-bus-message>`,
			want:   want{path: "/q/messages", auth: systemToken, contentType: "text/plain; charset=utf-8"},
		},
		{
			name:   "a queue name that climbs is refused before any call",
			policy: `<send-service-bus-message queue-name="@(&quot;a/../../b&quot;)" namespace="ns.servicebus.windows.net"><payload>x</payload></send-service-bus-message>`,
			want:   want{stopped: true, status: 500, reason: engine.ReasonExpression, message: "path segment"},
		},
		{
			name:   "a namespace from an expression that is not a host is refused",
			policy: `<send-service-bus-message queue-name="q" namespace="@(&quot;ns/evil?x&quot;)"><payload>x</payload></send-service-bus-message>`,
			want:   want{stopped: true, status: 500, reason: engine.ReasonExpression, message: "not a host name"},
		},
		{
			name:   "a client-id from an expression that names no identity",
			policy: `<send-service-bus-message queue-name="q" namespace="ns.servicebus.windows.net" client-id="@(&quot;nobody&quot;)"><payload>x</payload></send-service-bus-message>`,
			want:   want{stopped: true, status: 500, reason: ReasonTokenFailure, message: `client-id "nobody"`},
		},
		{
			name:   "a property value with a line break cannot be a header",
			policy: `<send-service-bus-message queue-name="q" namespace="ns.servicebus.windows.net"><message-properties><message-property name="P">@("a\r\nInjected: b")</message-property></message-properties><payload>x</payload></send-service-bus-message>`,
			want:   want{stopped: true, status: 500, reason: ReasonServiceBus, message: "line break"},
		},
		{
			name:   "Service Bus refuses the token: 502 through on-error, its answer not quoted",
			policy: azureDoc(t, "send-service-bus-message-queue.xml"),
			body:   "x",
			answer: refuse(http.StatusUnauthorized),
			want: want{path: "/orders/messages", auth: userToken, contentType: "text/plain; charset=utf-8", body: "x",
				stopped: true, status: 502, reason: ReasonServiceBus, message: "Service Bus answered 401 (the token was refused) to POST https://my-service-bus.servicebus.windows.net/orders/messages"},
		},
		{
			name:   "no such queue",
			policy: azureDoc(t, "send-service-bus-message-queue.xml"),
			body:   "x",
			answer: refuse(http.StatusGone),
			want: want{path: "/orders/messages", auth: userToken, contentType: "text/plain; charset=utf-8", body: "x",
				stopped: true, status: 502, reason: ReasonServiceBus, message: "410 (no such queue or topic)"},
		},
		{
			name:   "Service Bus does not answer: 504 once the call's timeout passes",
			policy: azureDoc(t, "send-service-bus-message-topic.xml"),
			body:   "x",
			answer: slow,
			want: want{path: "/orders/messages", auth: systemToken, contentType: "text/plain; charset=utf-8", body: "x",
				stopped: true, status: 504, reason: engine.ReasonTimeout, message: "Service Bus did not answer POST https://my-service-bus.servicebus.windows.net/orders/messages in time"},
		},
		{
			name:       "no token: 500 ManagedIdentityTokenFailure, nothing sent",
			policy:     azureDoc(t, "send-service-bus-message-queue.xml"),
			body:       "x",
			tokenFails: true,
			want:       want{stopped: true, status: 500, reason: ReasonTokenFailure, message: "temporarily_unavailable"},
		},
		{
			name:   "a payload over 1 MiB fails before anything is sent (the expression may not build it)",
			policy: azureDoc(t, "send-service-bus-message-topic.xml"),
			body:   strings.Repeat("a", serviceBusMaxPayload+1),
			want:   want{stopped: true, status: 500, reason: engine.ReasonExpression, message: "more than 1048576 bytes"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			te := newTokenEndpoint(t)
			te.fail.Store(tc.tokenFails)
			sb := newAzureFake(t, tc.answer)
			log, logs := observedLog()
			d := testDeps()
			d.Identities, d.HTTPClient, d.Log = te.identities(), sb.client(), log
			d.AzureCallTimeout = 500 * time.Millisecond
			plan := compile(t, d, tc.policy)
			s := request("http://gw/orders")
			defer s.Release()
			s.EnableTrace()
			s.Context().Request.Body = engine.NewBody([]byte(tc.body))
			stopped := runInbound(plan, s)
			if stopped != tc.want.stopped {
				t.Fatalf("stopped = %v, want %v (last error %+v)", stopped, tc.want.stopped, s.LastError())
			}
			if stopped {
				le := s.LastError()
				if got := s.Response().StatusCode; got != tc.want.status {
					t.Errorf("status %d, want %d (last error %+v)", got, tc.want.status, le)
				}
				if tc.want.reason != "" && (le == nil || le.Reason != tc.want.reason || !strings.Contains(le.Message, tc.want.message)) {
					t.Errorf("last error %+v; want reason %s, a message with %q", le, tc.want.reason, tc.want.message)
				}
			}
			calls := sb.seen()
			switch {
			case tc.want.path == "" && len(calls) > 0:
				t.Errorf("Service Bus was called: %+v", calls)
			case tc.want.path != "" && len(calls) != 1:
				t.Errorf("Service Bus saw %d calls, want 1", len(calls))
			case tc.want.path != "":
				c := calls[0]
				if c.method != "POST" || c.path != tc.want.path || c.query != "" || c.header.Get("Authorization") != tc.want.auth ||
					c.header.Get("Content-Type") != tc.want.contentType || c.body != tc.want.body {
					t.Errorf("Service Bus saw %s %s?%s auth %q type %q body %.40q;\nwant POST %s auth %q type %q body %.40q",
						c.method, c.path, c.query, c.header.Get("Authorization"), c.header.Get("Content-Type"), c.body,
						tc.want.path, tc.want.auth, tc.want.contentType, tc.want.body)
				}
				for k, v := range tc.want.headers {
					if got := c.header.Values(k); len(got) != 1 || got[0] != v {
						t.Errorf("header %s = %q, want %q", k, got, v)
					}
				}
				if c.header.Get("BrokerProperties") != "" || c.header.Get("Injected") != "" {
					t.Errorf("unexpected headers: %v", c.header)
				}
			}
			noSecrets(t, s, logs)
		})
	}
}

// A token is fetched once per identity and resource, and reused.
func TestSendServiceBusMessageTokenCached(t *testing.T) {
	te := newTokenEndpoint(t)
	sb := newAzureFake(t, nil)
	d := testDeps()
	d.Identities, d.HTTPClient = te.identities(), sb.client()
	plan := compile(t, d, azureDoc(t, "send-service-bus-message-topic.xml"))
	for range 3 {
		s := request("http://gw/orders")
		s.Context().Request.Body = engine.NewBody([]byte("x"))
		if runInbound(plan, s) {
			t.Fatalf("stopped: %+v", s.LastError())
		}
		s.Release()
	}
	if n, calls := te.calls.Load(), len(sb.seen()); n != 1 || calls != 3 {
		t.Errorf("%d token fetches and %d messages, want 1 and 3", n, calls)
	}
}

// on-error sees the failure: context.LastError.Reason and its message.
func TestSendServiceBusMessageOnError(t *testing.T) {
	te := newTokenEndpoint(t)
	sb := newAzureFake(t, func(w http.ResponseWriter, r *http.Request, body string) { w.WriteHeader(http.StatusForbidden) })
	d := testDeps()
	d.Identities, d.HTTPClient = te.identities(), sb.client()
	plan := compile(t, d, `<policies><inbound>
  <send-service-bus-message queue-name="orders" namespace="ns.servicebus.windows.net"><payload>x</payload></send-service-bus-message>
</inbound><backend/><outbound/><on-error>
  <return-response>
    <set-status code="503" reason="Queue unavailable"/>
    <set-body>@(context.LastError.Source + " " + context.LastError.Reason + ": " + context.LastError.Message)</set-body>
  </return-response>
</on-error></policies>`)
	s := request("http://gw/orders")
	defer s.Release()
	runInbound(plan, s)
	r := s.Response()
	body, _ := r.Body.Bytes()
	want := "send-service-bus-message ServiceBusSendFailure: send-service-bus-message: Service Bus answered 403 (quota exceeded or message too large) to POST https://ns.servicebus.windows.net/orders/messages"
	if r.StatusCode != 503 || string(body) != want {
		t.Errorf("on-error answered %d %q, want 503 %q", r.StatusCode, body, want)
	}
}

// A namespace may be an http(s) URL (an emulator, a test): the message
// goes there.
func TestSendServiceBusMessageURLNamespace(t *testing.T) {
	te := newTokenEndpoint(t)
	var got azureSeen
	sbus := newDaprSidecar(t, func(w http.ResponseWriter, r *http.Request) {
		got = azureSeen{method: r.Method, path: r.URL.Path, header: r.Header.Clone()}
		w.WriteHeader(http.StatusCreated)
	})
	d := testDeps()
	d.Identities = te.identities()
	plan := compile(t, d, `<send-service-bus-message topic-name="t" namespace="`+sbus.url+`/"><payload>x</payload></send-service-bus-message>`)
	s := request("http://gw/orders")
	defer s.Release()
	if runInbound(plan, s) {
		t.Fatalf("stopped: %+v", s.LastError())
	}
	if got.method != "POST" || got.path != "/t/messages" || !strings.HasPrefix(got.header.Get("Authorization"), "Bearer SECRET-token-system") {
		t.Errorf("saw %+v", got)
	}
	if _, errs := compileErrs(d, `<send-service-bus-message topic-name="t" namespace="ftp://x"><payload>x</payload></send-service-bus-message>`); len(errs) != 1 {
		t.Errorf("an ftp namespace: %v", errs)
	}
}

// A closed port: 502, at once.
func TestSendServiceBusMessageDown(t *testing.T) {
	te := newTokenEndpoint(t)
	d := testDeps()
	d.Identities = te.identities()
	plan := compile(t, d, `<send-service-bus-message topic-name="t" namespace="http://`+closedAddr(t)+`"><payload>x</payload></send-service-bus-message>`)
	s := request("http://gw/orders")
	defer s.Release()
	if !runInbound(plan, s) {
		t.Fatal("not stopped")
	}
	if le := s.LastError(); le.Reason != ReasonServiceBus || s.Response().StatusCode != 502 {
		t.Errorf("%+v, status %d", le, s.Response().StatusCode)
	}
}

// azureDoc reads one of APIM's examples of the Azure-calling policies.
func azureDoc(t testing.TB, name string) string {
	t.Helper()
	return apimDoc(t, "azure/"+name)
}
