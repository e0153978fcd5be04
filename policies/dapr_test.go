package policies

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"tollgate/engine"
	"tollgate/internal/testutil"
)

// daprSidecar stands in for the Dapr sidecar's HTTP API on a real socket:
// it records each call and answers with the status and body the test set
// for the path (204 and nothing by default, as Dapr's publish does).
type daprSidecar struct {
	url   string
	mu    sync.Mutex
	calls []daprSeen
}

type daprSeen struct {
	method, path, contentType, body string
}

func newDaprSidecar(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) *daprSidecar {
	d := &daprSidecar{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		d.mu.Lock()
		d.calls = append(d.calls, daprSeen{r.Method, r.URL.EscapedPath(), r.Header.Get("Content-Type"), string(body)})
		d.mu.Unlock()
		if answer != nil {
			answer(w, r)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(ts.Close)
	d.url = ts.URL
	return d
}

func (d *daprSidecar) seen() []daprSeen {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]daprSeen(nil), d.calls...)
}

// The documented examples of publish-to-dapr and invoke-dapr-binding, as
// APIM's reference writes them, and the cases around them: what reaches
// the sidecar, what the variable holds, when the pipeline stops.
func TestDaprCalls(t *testing.T) {
	type want struct {
		path, contentType, body string // what the sidecar saw ("" path: no call)
		stopped                 bool
		status                  int    // of the error, when stopped
		reason                  string // of the error, when stopped
		varStatus               int    // the response variable's status (-1: nil, 0: not set)
	}
	slow := func(w http.ResponseWriter, r *http.Request) { time.Sleep(1500 * time.Millisecond) }
	refuse := func(status int, body string) func(w http.ResponseWriter, r *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, body)
		}
	}
	tests := []struct {
		name    string
		policy  string
		body    string
		answer  func(w http.ResponseWriter, r *http.Request)
		down    bool
		varName string
		want    want
	}{
		{
			name:    "publish-to-dapr: APIM's example",
			policy:  apimDoc(t, "publish-to-dapr.xml"),
			body:    `{"order":42}`,
			varName: "dapr-response",
			want:    want{path: "/v1.0/publish/orders/new", body: `{"order":42}`, varStatus: 204},
		},
		{
			name:   "publish-to-dapr: topic as pubsub-name/topic-name",
			policy: `<publish-to-dapr topic="orders/new/eu">hello</publish-to-dapr>`,
			want:   want{path: "/v1.0/publish/orders/new/eu", body: "hello"},
		},
		{
			name:   "publish-to-dapr: names from expressions are escaped",
			policy: `<publish-to-dapr pubsub-name="@(&quot;my pubsub&quot;)" topic="@(&quot;a?b#c%d&quot;)">x</publish-to-dapr>`,
			want:   want{path: "/v1.0/publish/my%20pubsub/a%3Fb%23c%25d", body: "x"},
		},
		{
			name:   "publish-to-dapr: a topic that climbs is refused before any call",
			policy: `<publish-to-dapr pubsub-name="orders" topic="@(&quot;../../v1.0/bindings/x&quot;)">x</publish-to-dapr>`,
			want:   want{stopped: true, status: 500, reason: engine.ReasonExpression},
		},
		{
			name: "publish-to-dapr: a Liquid template over the JSON body, sent as JSON",
			policy: `<publish-to-dapr pubsub-name="orders" topic="new" template="Liquid" content-type="application/json">
  {"id": "{{body.id}}", "by": "{{context.Request.Method}}"}
</publish-to-dapr>`,
			body: `{"id":"a-1"}`,
			want: want{path: "/v1.0/publish/orders/new", contentType: "application/json", body: `{"id": "a-1", "by": "GET"}`},
		},
		{
			name:    "publish-to-dapr: the sidecar's error jumps to on-error, its answer in the variable",
			policy:  `<publish-to-dapr pubsub-name="orders" topic="gone" response-variable-name="r">x</publish-to-dapr>`,
			answer:  refuse(404, `{"errorCode":"ERR_PUBSUB_NOT_FOUND"}`),
			varName: "r",
			want:    want{path: "/v1.0/publish/orders/gone", body: "x", stopped: true, status: 404, reason: ReasonDapr, varStatus: 404},
		},
		{
			name:    "publish-to-dapr: ignore-error goes on with the sidecar's answer",
			policy:  `<publish-to-dapr pubsub-name="orders" topic="t" ignore-error="true" response-variable-name="r">x</publish-to-dapr>`,
			answer:  refuse(500, `{"errorCode":"ERR_PUBSUB_PUBLISH_MESSAGE"}`),
			varName: "r",
			want:    want{path: "/v1.0/publish/orders/t", body: "x", varStatus: 500},
		},
		{
			name:    "publish-to-dapr: no sidecar is a 502",
			policy:  `<publish-to-dapr pubsub-name="orders" topic="t" response-variable-name="r">x</publish-to-dapr>`,
			down:    true,
			varName: "r",
			want:    want{stopped: true, status: 502, reason: ReasonDapr, varStatus: -1},
		},
		{
			name:    "publish-to-dapr: no sidecar, ignore-error: the variable is null",
			policy:  `<publish-to-dapr pubsub-name="orders" topic="t" ignore-error="true" response-variable-name="r">x</publish-to-dapr>`,
			down:    true,
			varName: "r",
			want:    want{varStatus: -1},
		},
		{
			name:   "publish-to-dapr: a sidecar slower than timeout is a 504",
			policy: `<publish-to-dapr pubsub-name="orders" topic="t" timeout="1">x</publish-to-dapr>`,
			answer: slow,
			want:   want{path: "/v1.0/publish/orders/t", body: "x", stopped: true, status: 504, reason: engine.ReasonTimeout},
		},
		{
			name:    "invoke-dapr-binding: APIM's example",
			policy:  apimDoc(t, "invoke-dapr-binding.xml"),
			body:    `order 42`,
			answer:  refuse(200, `{"ok":true}`),
			varName: "bind-response",
			want: want{path: "/v1.0/bindings/external-system", contentType: "application/json",
				body:      `{"data":"order 42","metadata":{"client-ip":"10.1.2.3","source":"api-management"},"operation":"create"}`,
				varStatus: 200},
		},
		{
			name: "invoke-dapr-binding: JSON data with content-type application/json",
			policy: `<invoke-dapr-binding name="queue" content-type="application/json">
  <data>@(context.Request.Body.As<string>())</data>
</invoke-dapr-binding>`,
			body: ` {"n": [1, 2]} `,
			want: want{path: "/v1.0/bindings/queue", contentType: "application/json", body: `{"data":{"n":[1,2]}}`},
		},
		{
			name: "invoke-dapr-binding: data that is not JSON, content-type application/json",
			policy: `<invoke-dapr-binding name="queue" content-type="application/json">
  <data>not json</data>
</invoke-dapr-binding>`,
			want: want{stopped: true, status: 500, reason: engine.ReasonExpression},
		},
		{
			name:   "invoke-dapr-binding: no data, no metadata",
			policy: `<invoke-dapr-binding name="@(&quot;cron&quot;)" operation="delete"/>`,
			want:   want{path: "/v1.0/bindings/cron", contentType: "application/json", body: `{"operation":"delete"}`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := newDaprSidecar(t, tc.answer)
			d := testDeps()
			d.DaprURL = sc.url
			if tc.down {
				d.DaprURL = "http://" + closedAddr(t)
			}
			plan := compile(t, d, tc.policy)
			s := request("http://gw/chat")
			defer s.Release()
			s.Context().Request.Body = engine.NewBody([]byte(tc.body))
			if tc.body != "" && strings.HasPrefix(strings.TrimSpace(tc.body), "{") {
				s.Context().Request.Headers["Content-Type"] = []string{"application/json"}
			}
			stopped := runInbound(plan, s)
			if stopped != tc.want.stopped {
				t.Fatalf("stopped = %v, want %v (last error %+v)", stopped, tc.want.stopped, s.LastError())
			}
			if stopped {
				le := s.LastError()
				if le == nil || le.Reason != tc.want.reason || s.Response().StatusCode != tc.want.status {
					t.Errorf("error %+v, status %d; want reason %s, status %d", le, s.Response().StatusCode, tc.want.reason, tc.want.status)
				}
			}
			calls := sc.seen()
			switch {
			case tc.want.path == "" && len(calls) > 0:
				t.Errorf("the sidecar was called: %+v", calls)
			case tc.want.path != "" && len(calls) != 1:
				t.Errorf("the sidecar saw %d calls, want 1", len(calls))
			case tc.want.path != "":
				c := calls[0]
				if c.method != "POST" || c.path != tc.want.path || c.body != tc.want.body || c.contentType != tc.want.contentType {
					t.Errorf("the sidecar saw %s %s %q %q, want POST %s %q %q", c.method, c.path, c.contentType, c.body,
						tc.want.path, tc.want.contentType, tc.want.body)
				}
			}
			if tc.varName != "" {
				v, ok := s.Variables()[tc.varName]
				switch r, _ := v.(*engine.Response); {
				case tc.want.varStatus == -1 && (!ok || v != nil):
					t.Errorf("variable %s = %v (set %v), want null", tc.varName, v, ok)
				case tc.want.varStatus > 0 && (r == nil || r.StatusCode != tc.want.varStatus):
					t.Errorf("variable %s = %+v, want a response with status %d", tc.varName, v, tc.want.varStatus)
				}
			}
		})
	}
}

// set-backend-service's Dapr form, APIM's example: the target is the
// sidecar's service invocation URL, the whole path.
func TestSetBackendServiceDapr(t *testing.T) {
	tests := []struct {
		name, policy, want string
		fails              bool
	}{
		{"APIM's example", `<set-backend-service backend-id="dapr" dapr-app-id="echo" dapr-method="back" dapr-namespace="echo-app" />`,
			"http://sidecar:3500/v1.0/invoke/echo.echo-app/method/back", false},
		{"no namespace, a method path", `<set-backend-service backend-id="dapr" dapr-app-id="orders" dapr-method="api/v1/list" />`,
			"http://sidecar:3500/v1.0/invoke/orders/method/api/v1/list", false},
		{"from expressions, escaped", `<set-backend-service backend-id="dapr" dapr-app-id="@(context.Request.Headers.GetValueOrDefault(&quot;X-App&quot;, &quot;&quot;))" dapr-method="@(&quot;a b&quot;)" />`,
			"http://sidecar:3500/v1.0/invoke/billing/method/a%20b", false},
		{"a method that climbs", `<set-backend-service backend-id="dapr" dapr-app-id="orders" dapr-method="@(&quot;x/../../admin&quot;)" />`,
			"", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := testDeps()
			d.DaprURL = "http://sidecar:3500/"
			plan := compile(t, d, `<set-backend-service base-url="http://before/"/>`+tc.policy)
			s := request("http://gw/chat", "X-App", "billing")
			defer s.Release()
			stopped := runInbound(plan, s)
			if stopped != tc.fails {
				t.Fatalf("stopped = %v, want %v (%+v)", stopped, tc.fails, s.LastError())
			}
			if tc.fails {
				return
			}
			if s.BackendURL != tc.want || !s.BackendFixedPath || s.BackendID != "" {
				t.Errorf("backend %q (fixed %v, id %q), want %q, fixed", s.BackendURL, s.BackendFixedPath, s.BackendID, tc.want)
			}
		})
	}
	// A later base-url undoes the fixed path.
	d := testDeps()
	plan := compile(t, d, `<set-backend-service backend-id="dapr" dapr-app-id="a" dapr-method="m"/><set-backend-service base-url="http://other/"/>`)
	s := request("http://gw/chat")
	defer s.Release()
	if runInbound(plan, s) {
		t.Fatal(s.LastError())
	}
	if s.BackendURL != "http://other/" || s.BackendFixedPath {
		t.Errorf("backend %q fixed %v, want http://other/ and not fixed", s.BackendURL, s.BackendFixedPath)
	}
}

// apimDoc is a policy of APIM's documentation, as written
// (testdata/apim-docs).
func apimDoc(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "apim-docs", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// closedAddr is a local address nothing listens on.
// It stays bound (not listening) until the test ends, so nothing else can
// take the port meanwhile.
func closedAddr(t *testing.T) string {
	return testutil.ClosedPort(t)
}

// FuzzDaprInvokeURL: whatever an expression gives set-backend-service's
// Dapr attributes, the URL built stays under the sidecar's invoke API for
// that app: no query or fragment, no dot segment, and the method's path
// unescapes back to what was given.
func FuzzDaprInvokeURL(f *testing.F) {
	for _, s := range [][3]string{{"echo", "echo-app", "back"}, {"a", "", "x/../y"}, {"a.b", "n", "%2e%2e/x"}, {"a", "", "q?x=1#f"}, {"a", "", "/lead"}} {
		f.Add(s[0], s[1], s[2])
	}
	const base = "http://127.0.0.1:3500"
	f.Fuzz(func(t *testing.T, app, ns, method string) {
		u, err := daprInvokeURL(base, app, ns, method)
		if err != nil {
			return
		}
		parsed, perr := url.Parse(u)
		if perr != nil {
			t.Fatalf("%q does not parse: %v", u, perr)
		}
		if parsed.RawQuery != "" || parsed.Fragment != "" || parsed.Host != "127.0.0.1:3500" {
			t.Fatalf("%q: query %q fragment %q host %q", u, parsed.RawQuery, parsed.Fragment, parsed.Host)
		}
		segs := strings.Split(parsed.EscapedPath(), "/")
		for _, s := range segs[1:] {
			if s == "" || s == "." || s == ".." {
				t.Fatalf("%q has a segment %q", u, s)
			}
		}
		if len(segs) < 6 || segs[1] != "v1.0" || segs[2] != "invoke" || segs[4] != "method" {
			t.Fatalf("%q is not under /v1.0/invoke/APP/method/", u)
		}
		if got := strings.Join(strings.Split(parsed.Path, "/")[5:], "/"); got != strings.TrimPrefix(method, "/") {
			t.Fatalf("%q: method %q, given %q", u, got, method)
		}
	})
}
