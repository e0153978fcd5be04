package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"tollgate/engine"
	"tollgate/gateway"
	"tollgate/policies"
)

// hubSecret is the event hub's shared access key in these tests.
const hubSecret = "hub-key-SECRET="

// eventHub is an event hub's HTTPS endpoint: it records each message with
// the hub it was sent to (the first path segment).
type eventHub struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []string // "hub: body"
}

func newEventHub(t *testing.T) *eventHub {
	h := &eventHub{}
	h.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "SharedAccessSignature sr=") || !strings.HasSuffix(r.URL.Path, "/messages") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var batch []struct{ Body string }
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &batch) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		hub := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")[0]
		h.mu.Lock()
		for _, m := range batch {
			h.got = append(h.got, hub+": "+m.Body)
		}
		h.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// wait returns the messages once there are n (failing after testTimeout).
func (h *eventHub) wait(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		h.mu.Lock()
		got := append([]string(nil), h.got...)
		h.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the event hub has %d messages, want %d: %q", len(got), n, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// writeLoggerFolder writes an APIOps folder: an API whose policy logs each
// request to the azureEventHub logger "contoso-logger" (APIM's example) (its connection
// string in a secret named value, as APIM keeps it), and an Application
// Insights logger.
func writeLoggerFolder(t *testing.T, backendURL, hubName string) string {
	dir := t.TempDir()
	writeFile(t, dir, "apis/orders/apiInformation.json", `{"properties": {"displayName": "Orders", "path": "orders",
  "serviceUrl": "`+backendURL+`", "subscriptionRequired": false, "isCurrent": true}}`)
	writeFile(t, dir, "apis/orders/specification.yaml", `openapi: 3.0.1
info: {title: Orders, version: "1"}
paths:
  /{id}:
    get:
      operationId: get-order
      summary: Get an order
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
`)
	// APIM's log-to-eventhub example, as written.
	writeFile(t, dir, "apis/orders/policy.xml", `<policies>
  <inbound>
      <log-to-eventhub logger-id ='contoso-logger'>
          @( string.Join(",", DateTime.UtcNow, context.Deployment.ServiceName, context.RequestId, context.Request.IpAddress, context.Operation.Name) )
      </log-to-eventhub>
  </inbound>
  <outbound>
  </outbound>
</policies>`)
	writeFile(t, dir, "named values/Logger-Credentials--64d1/namedValueInformation.json", `{"properties": {"displayName": "Logger-Credentials--64d1", "secret": true}}`)
	writeLoggerInfo(t, dir, hubName)
	writeFile(t, dir, "loggers/monitor/loggerInformation.json", `{"properties": {"loggerType": "azureMonitor",
  "isBuffered": true}}`)
	return dir
}

func writeLoggerInfo(t *testing.T, dir, hubName string) {
	writeFile(t, dir, "loggers/contoso-logger/loggerInformation.json", `{
  "properties": {
    "loggerType": "azureEventHub",
    "description": "audit trail",
    "credentials": {
      "name": "`+hubName+`",
      "connectionString": "{{Logger-Credentials--64d1}}"
    },
    "isBuffered": true,
    "resourceId": null
  }
}`)
}

// An APIOps folder's azureEventHub logger: log-to-eventhub sends to the
// event hub, signed with the connection string from the secret named
// value; a reload that points the logger at another hub switches to it;
// the Azure Monitor logger is reported as ignored.
func TestAPIOpsEventHubLogger(t *testing.T) {
	backend := newRESTBackend(t, nil)
	hub := newEventHub(t)
	dir := writeLoggerFolder(t, backend.url, "audit")
	conn := "Endpoint=sb://" + hub.srv.Listener.Addr().String() + "/;SharedAccessKeyName=send;SharedAccessKey=" + hubSecret
	ls, err := policies.NewLoggers(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ls.SetClient(hub.srv.Client())
	g := startGateway(t, dir, func(o *gateway.Options) {
		o.Loggers = ls
		o.Deployment = &engine.Deployment{ServiceName: "contoso-apim"}
		o.Registry = policies.Registry(policies.Deps{Loggers: ls})
		o.Getenv = func(k string) string {
			if k == "TOLLGATE_NAMED_VALUE_LOGGER_CREDENTIALS__64D1" {
				return conn
			}
			return ""
		}
	})
	t.Cleanup(ls.Close)
	notices := strings.Join(g.srv.Current().Notices, "\n")
	if !strings.Contains(notices, "loggers/monitor/loggerInformation.json:1:") || !strings.Contains(notices, "ignored: logger monitor of type azureMonitor") {
		t.Fatalf("notices:\n%s", notices)
	}
	for range 3 {
		if resp, _ := get(t, g.url+"/orders/42", nil); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	got := hub.wait(t, 3)
	for _, m := range got {
		// DateTime.UtcNow, the service name, the request id, the
		// client's address, the operation's name.
		f := strings.Split(m, ",")
		if len(f) != 5 || !strings.HasPrefix(f[0], "audit: ") || len(f[2]) != 36 || f[1] != "contoso-apim" || f[3] != "127.0.0.1" || f[4] != "Get an order" {
			t.Fatalf("messages %q", got)
		}
		if _, err := time.Parse("1/2/2006 3:04:05 PM", strings.TrimPrefix(f[0], "audit: ")); err != nil {
			t.Fatalf("the date of %q: %v", m, err)
		}
	}

	writeLoggerInfo(t, dir, "audit-2")
	if st := g.srv.Reload("test"); st.Result != gateway.ReloadSuccess {
		t.Fatalf("reload: %+v", st)
	}
	if resp, _ := get(t, g.url+"/orders/7", nil); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if got := hub.wait(t, 4); !strings.HasPrefix(got[3], "audit-2: ") {
		t.Fatalf("after the reload: %q", got)
	}

	// A logger whose named value is missing keeps the running config.
	writeFile(t, dir, "loggers/contoso-logger/loggerInformation.json", `{"properties": {"loggerType": "azureEventHub",
  "credentials": {"name": "x", "connectionString": "{{no-such-value}}"}}}`)
	st := g.srv.Reload("test")
	if st.Result != gateway.ReloadFailure || !strings.Contains(strings.Join(st.Errors, "\n"), "loggers/contoso-logger/loggerInformation.json:2:") {
		t.Fatalf("reload: %+v", st)
	}
	if resp, _ := get(t, g.url+"/orders/8", nil); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if got := hub.wait(t, 5); !strings.HasPrefix(got[4], "audit-2: ") {
		t.Fatalf("after the failed reload: %q", got)
	}
}

// TestAPIOpsLoggerNamedValueByID: APIM writes some loggers' credentials
// with the named value's resource id ({{66672b71…}}, the folder name), not
// its display name (Logger-Credentials--…): both resolve; a policy still
// names values by their display name.
func TestAPIOpsLoggerNamedValueByID(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "apis/a/apiInformation.json", `{"properties": {"path": "a", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
	writeFile(t, dir, "named values/66672b71463461136c78195a/namedValueInformation.json",
		`{"properties": {"displayName": "Logger-Credentials--66672b71463461136c78195b", "value": "Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0"}}`)
	writeFile(t, dir, "loggers/EventHubLogger1/loggerInformation.json", `{"properties": {"loggerType": "azureEventHub",
  "credentials": {"connectionString": "{{66672b71463461136c78195a}}", "name": "myeventhub"}}}`)
	if _, errs := loadDir(t, dir); len(errs) > 0 {
		t.Fatalf("errors:\n%s", strings.Join(errs, "\n"))
	}
	writeFile(t, dir, "apis/a/policy.xml", `<policies><inbound><set-header name="X" exists-action="override"><value>{{66672b71463461136c78195a}}</value></set-header></inbound></policies>`)
	if _, errs := loadDir(t, dir); len(errs) != 1 || !strings.Contains(errs[0], "unknown named value {{66672b71463461136c78195a}}") {
		t.Fatalf("a policy naming a value by its id: %v", errs)
	}
}
