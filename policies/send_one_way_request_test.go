package policies

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"tollgate/engine"
)

// APIM's example (a Slack alert when the backend answers >= 500), with its
// C# body written as an expr expression and the Slack URL pointing at a
// local server.
func TestSendOneWayRequestDocExample(t *testing.T) {
	got := make(chan map[string]any, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		m["method"] = r.Method
		got <- m
	}))
	defer srv.Close()
	policy := `<policies><inbound/><backend/><outbound>
<choose>
    <when condition="@(context.Response.StatusCode >= 500)">
      <send-one-way-request mode="new" timeout="20">
        <set-url>` + srv.URL + `/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX</set-url>
        <set-method>POST</set-method>
        <set-body>@(toJSON({"username": "APIM Alert", "icon_emoji": ":ghost:",
            "text": context.Request.Method + " " + context.Request.Url.Path + context.Request.Url.QueryString + "\nHost: " + context.Request.Url.Host + "\n" + string(context.Response.StatusCode) + " " + context.Response.StatusReason}))</set-body>
      </send-one-way-request>
    </when>
</choose>
</outbound><on-error/></policies>`
	plan := compile(t, testDeps(), policy)
	for _, status := range []int{200, 503} {
		s := request("http://gw/chat/x?a=1")
		s.SetResponse(engine.NewResponse(status))
		if plan.Run(context.Background(), engine.Outbound, s) {
			t.Fatalf("outbound ended the pipeline: %+v", s.Context().LastError)
		}
		s.Release()
	}
	m := <-got // only the 503 sends
	if m["method"] != "POST" || m["username"] != "APIM Alert" || m["text"] != "GET /chat/x?a=1\nHost: gw\n503 Service Unavailable" {
		t.Fatalf("got %v", m)
	}
	select {
	case m := <-got:
		t.Fatalf("a second request was sent: %v", m)
	default:
	}
}

// The policy never waits for the target: with every worker stuck on a
// target that does not answer and the queue full, further requests are
// dropped and counted, and each Run still returns (the test would hang
// otherwise). Released, the target gets exactly the queued requests.
func TestSendOneWayRequestNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 100)
	const queue = 3
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if !strings.HasPrefix(string(b), "n=") {
			t.Errorf("body %q", b)
		}
		<-release
		arrived <- struct{}{}
	}))
	defer srv.Close()
	var dropped atomic.Int64
	d := testDeps()
	d.OneWayQueue = queue
	d.OnOneWayDropped = func() { dropped.Add(1) }
	plan := compile(t, d, `<send-one-way-request timeout="30"><set-url>`+srv.URL+`</set-url><set-method>PUT</set-method><set-body>@("n=" + context.RequestId)</set-body></send-one-way-request>`)
	const n = 50
	for range n {
		s := request("http://gw/chat")
		if runInbound(plan, s) {
			t.Fatalf("inbound ended the pipeline: %+v", s.Context().LastError)
		}
		s.Release()
	}
	// Workers take jobs asynchronously, so between queue and workers
	// n - dropped requests are held; at most workers+queue of them.
	held := n - dropped.Load()
	if held < queue || held > oneWayWorkers+queue {
		t.Fatalf("held %d requests (dropped %d), want between %d and %d", held, dropped.Load(), queue, oneWayWorkers+queue)
	}
	close(release)
	for range held {
		<-arrived // every request that was not dropped is delivered
	}
}

func TestSendOneWayRequestLoadErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{`<send-one-way-request/>`, `needs <set-url>`},
		{`<send-one-way-request mode="clone"><set-url>http://x</set-url></send-one-way-request>`, `mode`},
		{`<send-one-way-request timeout="0"><set-url>http://x</set-url></send-one-way-request>`, `timeout`},
		{`<send-one-way-request response-variable-name="r"><set-url>http://x</set-url></send-one-way-request>`, `has no attribute "response-variable-name"`},
		{`<send-one-way-request><set-url>ftp://x</set-url></send-one-way-request>`, `http`},
		{`<send-one-way-request><set-url>https:///receipt/timer</set-url></send-one-way-request>`, `URL "https:///receipt/timer" has no host`},
		{"<send-one-way-request><set-url>https://wisp.example.net/receipt\n/timer?sig=s3cr3t</set-url></send-one-way-request>", `URL "https://wisp.example.net/receipt\n/timer?…" is not a URL: net/url: invalid control character in URL`},
		{`<send-one-way-request><set-url>http://x</set-url><set-query>a</set-query></send-one-way-request>`, `unexpected element <set-query>`},
	}
	for _, c := range cases {
		_, errs := compileErrs(testDeps(), c.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.src, errs, c.want)
		}
	}
}

// A callout's <set-body template="none"> (what APIM's form-based editor
// writes, found in an APIOps extract: rocardorm/apiazurelab's operation
// policies) is the plain body; template="liquid" there is refused at load.
func TestCalloutSetBodyTemplateNone(t *testing.T) {
	got := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r.Method + " " + string(b)
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	card := `<set-body template="none">@{
      return new JObject(
        new JProperty("type","MessageCard"),
        new JProperty("sections",
          new JArray (
            new JObject (
              new JProperty("text", "Hello!")
            )
          )
        )
      ).ToString(Newtonsoft.Json.Formatting.None);
      }</set-body>`
	for _, tc := range []struct{ name, policy, want string }{
		{"one-way", `<send-one-way-request mode="new"><set-url>` + srv.URL + `</set-url><set-method>POST</set-method>` + card + `</send-one-way-request>`,
			`POST {"type":"MessageCard","sections":[{"text":"Hello!"}]}`},
		{"send-request", `<send-request mode="new" response-variable-name="r"><set-url>` + srv.URL + `</set-url><set-method>PUT</set-method><set-body template="none">plain text</set-body></send-request>`,
			`PUT plain text`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := compile(t, testDeps(), tc.policy)
			s := request("http://gw/bin/get")
			defer s.Release()
			if runInbound(plan, s) {
				t.Fatalf("inbound ended the pipeline: %+v", s.Context().LastError)
			}
			if b := <-got; b != tc.want {
				t.Fatalf("the callout got %q, want %q", b, tc.want)
			}
		})
	}
	for _, c := range []struct{ src, want string }{
		{`<send-request response-variable-name="r"><set-url>http://x</set-url><set-body template="liquid">{{body}}</set-body></send-request>`, `template="liquid" is not supported in the <set-body> of <send-request>`},
		{`<send-one-way-request><set-url>http://x</set-url><set-body template="liquid">x</set-body></send-one-way-request>`, `template="liquid" is not supported in the <set-body> of <send-one-way-request>`},
		{`<send-request response-variable-name="r"><set-url>http://x</set-url><set-body template="None">x</set-body></send-request>`, `template`},
		{`<send-request response-variable-name="r"><set-url>http://x</set-url><set-body templat="none">x</set-body></send-request>`, `has no attribute "templat"`},
	} {
		_, errs := compileErrs(testDeps(), c.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.src, errs, c.want)
		}
	}
}
