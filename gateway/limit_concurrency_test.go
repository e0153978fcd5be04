package gateway_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// gatedBackend is a real backend whose answers wait until open is called
// (or the request ends): calls stay in flight for as long as a test needs,
// with no sleeps. entered gets one value per call that reached it.
type gatedBackend struct {
	url     string
	entered chan string // the X-Connection header of each call
	gate    chan struct{}
	once    sync.Once
}

func newGatedBackend(t *testing.T) *gatedBackend {
	t.Helper()
	b := &gatedBackend{entered: make(chan string, 64), gate: make(chan struct{})}
	ts := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		b.entered <- r.Header.Get("X-Connection")
		select {
		case <-b.gate:
		case <-r.Context().Done():
			return
		}
		fmt.Fprint(w, "answered")
	})
	t.Cleanup(b.open) // runs before the server's Close
	b.url = ts.URL
	return b
}

func (b *gatedBackend) open() { b.once.Do(func() { close(b.gate) }) }

func (b *gatedBackend) waitEntered(t *testing.T) string {
	t.Helper()
	select {
	case c := <-b.entered:
		return c
	case <-time.After(testTimeout): // a hang fails instead of stalling
		t.Fatal("a call never reached the backend")
		return ""
	}
}

type answer struct {
	status int
	body   string
	header http.Header
	err    error
}

// send makes a GET with X-Connection set, from any goroutine.
func send(t *testing.T, url, conn string) answer {
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodGet, url, nil)
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("X-Connection", conn)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: string(body), header: resp.Header, err: err}
}

// APIM's documented limit-concurrency example, as written on its page
// (backend section; inbound sets the connectionId variable it reads): while
// max-count requests with one connectionId have their forward-request in
// flight, the next fails at once with 429, and context.LastError says
// which policy refused it and why; another connectionId is not limited by
// them; once the backend answers, the slots are free again.
func TestLimitConcurrencyDocumentedExample(t *testing.T) {
	const example = `<limit-concurrency key="@((string)context.Variables["connectionId"])" max-count="3">
      <forward-request timeout="120"/>
    </limit-concurrency>`
	for _, tc := range []struct {
		name    string
		backend string
		held    int
	}{
		{"as documented, max-count 3", example, 3},
		{"max-count 1", strings.Replace(example, `max-count="3"`, `max-count="1"`, 1), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := newGatedBackend(t)
			g := startGateway(t, restAPI(t, be.url, "", `<policies>
  <inbound>
    <set-variable name="connectionId" value="@(context.Request.Headers.GetValueOrDefault(&quot;X-Connection&quot;, &quot;none&quot;))" />
  </inbound>
  <backend>
    `+tc.backend+`
  </backend>
  <outbound/>
  <on-error>
    <set-header name="X-Last-Error" exists-action="override">
      <value>@(context.LastError.Source + "|" + context.LastError.Reason + "|" + context.LastError.Message + "|" + context.LastError.Section)</value>
    </set-header>
  </on-error>
</policies>`))
			url := g.url + "/orders/1"

			held := make(chan answer, tc.held)
			for range tc.held {
				go func() { held <- send(t, url, "c1") }()
			}
			for range tc.held {
				if c := be.waitEntered(t); c != "c1" {
					t.Fatalf("backend got connection %q", c)
				}
			}

			over := send(t, url, "c1")
			if over.err != nil {
				t.Fatal(over.err)
			}
			if over.status != http.StatusTooManyRequests {
				t.Fatalf("over the limit: %d %s, want 429", over.status, over.body)
			}
			if over.body != `{"statusCode":429,"message":"Too many concurrent requests"}` {
				t.Errorf("over the limit: body %s", over.body)
			}
			if h := over.header.Get("X-Last-Error"); h != "limit-concurrency|ConcurrencyLimitExceeded|Too many concurrent requests|backend" {
				t.Errorf("context.LastError: %q", h)
			}
			select {
			case c := <-be.entered:
				t.Fatalf("the refused request reached the backend (%q)", c)
			default:
			}

			other := make(chan answer, 1)
			go func() { other <- send(t, url, "c2") }()
			if c := be.waitEntered(t); c != "c2" {
				t.Fatalf("backend got connection %q, want c2", c)
			}

			be.open()
			for range tc.held {
				a := <-held
				if a.err != nil || a.status != 200 || a.body != "answered" {
					t.Errorf("held request: %d %q %v", a.status, a.body, a.err)
				}
			}
			if a := <-other; a.err != nil || a.status != 200 {
				t.Errorf("another connectionId: %d %q %v", a.status, a.body, a.err)
			}
			// Every slot is free again: max-count requests in a row pass.
			for i := range tc.held + 1 {
				if a := send(t, url, "c1"); a.err != nil || a.status != 200 {
					t.Fatalf("request %d after the others: %d %q %v", i, a.status, a.body, a.err)
				}
			}
		})
	}
}

// APIM's form in on-error: the slot covers the enclosed policies there too;
// over the limit, on-error itself has failed, and the client gets the
// plain 500 of a failed on-error (docs/limits.md).
func TestLimitConcurrencyInOnError(t *testing.T) {
	be := newGatedBackend(t)
	g := startGateway(t, restAPI(t, be.url, "", `<policies>
  <inbound><set-variable name="boom" value="@(context.Variables[&quot;missing&quot;].Field)" /></inbound>
  <backend><forward-request/></backend>
  <outbound/>
  <on-error>
    <limit-concurrency key="errors" max-count="1">
      <send-request mode="new" response-variable-name="report" timeout="60">
        <set-url>`+be.url+`/report</set-url>
        <set-method>POST</set-method>
      </send-request>
      <set-header name="X-In-Slot" exists-action="override"><value>yes</value></set-header>
    </limit-concurrency>
  </on-error>
</policies>`))
	url := g.url + "/orders/1"
	first := make(chan answer, 1)
	go func() { first <- send(t, url, "a") }()
	be.waitEntered(t)

	second := send(t, url, "b")
	if second.err != nil || second.status != 500 || second.header.Get("X-In-Slot") != "" {
		t.Fatalf("second: %d %q %v, want the plain 500 of a failed on-error", second.status, second.body, second.err)
	}
	if _, msg := jsonError(t, second.body); msg != "Internal server error" {
		t.Errorf("second: message %q", msg)
	}
	be.open()
	if a := <-first; a.err != nil || a.status != 500 || a.header.Get("X-In-Slot") != "yes" {
		t.Fatalf("first: %d %q %v; want on-error's answer with X-In-Slot", a.status, a.body, a.err)
	}
	if a := send(t, url, "c"); a.header.Get("X-In-Slot") != "yes" {
		t.Errorf("after the first: %d %q: the slot was not given back", a.status, a.body)
	}
}

// For a WebSocket API, APIM's form around forward-request holds its slot
// for the backend's handshake only: with max-count 1, a second session
// opens while the first is still open (tollgate's form, counter-key in
// inbound, is the one that counts sessions).
func TestLimitConcurrencyWebSocketHandshake(t *testing.T) {
	be := newWSBackend(t)
	dir := t.TempDir()
	writeAPI(t, dir, "chat", `type="websocket" path="/chat" service-url="`+be.url+`"`,
		`<policies><inbound/><backend><limit-concurrency key="chat" max-count="1"><forward-request timeout="5"/></limit-concurrency></backend><outbound/><on-error/></policies>`)
	g := startGateway(t, dir)
	var conns []*websocket.Conn
	for i := range 2 {
		c := dial(t, g.ws+"/chat", nil)
		conns = append(conns, c)
		msg := fmt.Sprintf("hello %d", i)
		mustWrite(t, c, msg)
		if got := mustRead(t, c); got != msg {
			t.Errorf("session %d: echo %q", i, got)
		}
	}
	for _, c := range conns {
		c.Close(websocket.StatusNormalClosure, "")
	}
}
