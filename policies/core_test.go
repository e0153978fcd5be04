package policies

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestSetVariableAndChoose(t *testing.T) {
	plan := compile(t, testDeps(), `
<set-variable name="mode" value="@(context.Request.Headers.GetValueOrDefault("X-Mode","none"))"/>
<set-variable name="lit" value="42"/>
<set-variable name="n" value="@(len(context.Request.Url.Query.GetValueOrDefault("q","")) * 2)"/>
<choose>
  <when condition="@(context.Variables["mode"] == "a")"><set-variable name="picked" value="a"/></when>
  <when condition="@(context.Variables["mode"] == "b" && 1 < 2)"><set-variable name="picked" value="b"/></when>
  <otherwise><set-variable name="picked" value="other"/></otherwise>
</choose>`)
	for _, tc := range []struct{ mode, want string }{{"a", "a"}, {"b", "b"}, {"c", "other"}} {
		s := request("ws://gw/chat?q=abc", "X-Mode", tc.mode)
		if runInbound(plan, s) {
			t.Fatalf("mode %s: pipeline stopped: %+v", tc.mode, s.LastError())
		}
		v := s.Variables()
		if v["picked"] != tc.want || v["lit"] != "42" || v["n"] != 6 {
			t.Errorf("mode %s: variables = %v", tc.mode, v)
		}
		s.Release()
	}
}

func TestSetHeaderAndQuery(t *testing.T) {
	plan := compile(t, testDeps(), `
<set-header name="X-A" exists-action="override"><value>1</value><value>2</value></set-header>
<set-header name="X-Skip" exists-action="skip"><value>new</value></set-header>
<set-header name="X-Del" exists-action="delete"/>
<set-header name="X-App" exists-action="append"><value>b</value></set-header>
<set-query-parameter name="id" exists-action="override"><value>@(context.Request.Headers.GetValueOrDefault("X-Id",""))</value></set-query-parameter>
<set-query-parameter name="gone" exists-action="delete"/>
<set-backend-service base-url="{{backend}}client/"/>`)
	s := request("ws://gw/chat?gone=1&keep=2", "X-Skip", "old", "X-Del", "x", "X-App", "a", "X-Id", "77")
	defer s.Release()
	if runInbound(plan, s) {
		t.Fatalf("stopped: %+v", s.LastError())
	}
	h := s.Context().Request.Headers
	if got := h.GetValueOrDefault("x-a", ""); got != "1,2" {
		t.Errorf("X-A = %q", got)
	}
	if h.GetValueOrDefault("X-Skip", "") != "old" || h.ContainsKey("X-Del") || h.GetValueOrDefault("X-App", "") != "a,b" {
		t.Errorf("headers = %v", h)
	}
	if qs := s.Context().Request.Url.QueryString; qs != "?keep=2&id=77" { // keep as the client wrote it, id added at the end
		t.Errorf("query = %q", qs)
	}
	if s.BackendURL != "ws://127.0.0.1:9/client/" {
		t.Errorf("backend = %q", s.BackendURL)
	}
}

func TestReturnResponseAndOnError(t *testing.T) {
	plan := compile(t, testDeps(), `<policies>
<inbound>
  <choose>
    <when condition="@(!context.Request.Headers.ContainsKey("Authorization"))">
      <return-response>
        <set-status code="401" reason="Unauthorized"/>
        <set-header name="WWW-Authenticate" exists-action="override"><value>Bearer</value></set-header>
        <set-body>@("no token for " + context.Api.Name)</set-body>
      </return-response>
    </when>
  </choose>
  <set-variable name="boom" value="@(context.Variables["missing"].Field)" id="explode"/>
  <set-variable name="never" value="x"/>
</inbound>
<backend/><outbound/>
<on-error>
  <set-header name="X-Reason" exists-action="override"><value>@(context.LastError.Reason + "/" + context.LastError.PolicyId + "/" + context.LastError.Path)</value></set-header>
</on-error>
</policies>`)
	s := request("ws://gw/chat")
	if !runInbound(plan, s) {
		t.Fatal("expected a response")
	}
	r := s.Response()
	body, _ := r.Body.AsString()
	if r.StatusCode != 401 || body != "no token for test" || r.Headers.GetValueOrDefault("WWW-Authenticate", "") != "Bearer" {
		t.Errorf("response = %d %q %v", r.StatusCode, body, r.Headers)
	}
	s.Release()

	s = request("ws://gw/chat", "Authorization", "Bearer x")
	defer s.Release()
	if !runInbound(plan, s) {
		t.Fatal("expected the error to end the pipeline")
	}
	le := s.LastError()
	if le == nil || le.Reason != "ExpressionValueEvaluationFailure" || le.PolicyId != "explode" || le.Path != "inbound/set-variable[1]" || le.Section != "inbound" {
		t.Fatalf("LastError = %+v", le)
	}
	if _, ok := s.Variables()["never"]; ok {
		t.Error("the rest of the section ran after the error")
	}
	r = s.Response()
	if r.StatusCode != 500 || r.Headers.GetValueOrDefault("X-Reason", "") != "ExpressionValueEvaluationFailure/explode/inbound/set-variable[1]" {
		t.Errorf("response = %d %v", r.StatusCode, r.Headers)
	}
}

func TestCheckHeader(t *testing.T) {
	plan := compile(t, testDeps(), `<check-header name="X-Key" failed-check-httpcode="403" failed-check-error-message="bad key" ignore-case="true"><value>Alpha</value><value>beta</value></check-header>`)
	for _, tc := range []struct {
		hdr    []string
		status int
		reason string
	}{
		{nil, 403, "HeaderNotFound"},
		{[]string{"X-Key", "gamma"}, 403, "HeaderValueNotAllowed"},
		{[]string{"X-Key", "ALPHA"}, 0, ""},
		{[]string{"X-Key", "x, beta"}, 0, ""},
	} {
		s := request("ws://gw/chat", tc.hdr...)
		stopped := runInbound(plan, s)
		if tc.status == 0 {
			if stopped {
				t.Errorf("%v: rejected: %+v", tc.hdr, s.LastError())
			}
		} else {
			body, _ := s.Response().Body.AsString()
			if !stopped || s.Response().StatusCode != tc.status || s.LastError().Reason != tc.reason || !strings.Contains(body, "bad key") {
				t.Errorf("%v: stopped=%v status=%d err=%+v body=%s", tc.hdr, stopped, s.Response().StatusCode, s.LastError(), body)
			}
		}
		s.Release()
	}
}

// A check-header without ignore-case (deployed APIM policies have it; the
// reference marks it required) loads with a notice and compares values
// case-sensitively.
func TestCheckHeaderWithoutIgnoreCase(t *testing.T) {
	plan := compile(t, testDeps(), `<check-header name="X-Key" failed-check-httpcode="403" failed-check-error-message="bad key"><value>Alpha</value></check-header>`)
	for _, tc := range []struct {
		value   string
		allowed bool
	}{{"Alpha", true}, {"ALPHA", false}, {"alpha", false}} {
		s := request("ws://gw/chat", "X-Key", tc.value)
		if stopped := runInbound(plan, s); stopped == tc.allowed {
			t.Errorf("%q: stopped=%v, want allowed=%v", tc.value, stopped, tc.allowed)
		}
		s.Release()
	}
}

func TestSendRequestNegotiateFlow(t *testing.T) {
	var gotAuth, gotMethod string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chat/negotiate":
			io.WriteString(w, `{"url":"`+"http://"+r.Host+`/client/?hub=chat","accessToken":"tok123"}`)
		case "/client/negotiate":
			gotAuth, gotMethod = r.Header.Get("Authorization"), r.Method
			io.WriteString(w, `{"connectionToken":"ct-1","connectionId":"cid"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	plan := compile(t, testDeps(), `
<send-request mode="new" response-variable-name="app" timeout="5">
  <set-url>`+srv.URL+`/chat/negotiate?negotiateVersion=1</set-url>
  <set-method>GET</set-method>
</send-request>
<set-variable name="url" value="@(context.Variables["app"].Body.AsJSON().url)"/>
<set-variable name="token" value="@(context.Variables["app"].Body.AsJSON()["accessToken"])"/>
<send-request response-variable-name="svc">
  <set-url>@(replace(context.Variables["url"], "/client/?", "/client/negotiate?") + "&negotiateVersion=1")</set-url>
  <set-method>POST</set-method>
  <set-header name="Authorization" exists-action="override"><value>@("Bearer " + context.Variables["token"])</value></set-header>
</send-request>
<set-backend-service base-url="@(replace(context.Variables["url"], "http", "ws") + "&id=" + context.Variables["svc"].Body.AsJSON().connectionToken + "&access_token=" + context.Variables["token"])"/>`)
	s := request("ws://gw/chat")
	defer s.Release()
	tr := s.EnableTrace()
	if runInbound(plan, s) {
		t.Fatalf("stopped: %+v", s.LastError())
	}
	want := "ws://" + strings.TrimPrefix(srv.URL, "http://") + "/client/?hub=chat&id=ct-1&access_token=tok123"
	if s.BackendURL != want {
		t.Errorf("backend = %q, want %q", s.BackendURL, want)
	}
	if gotAuth != "Bearer tok123" || gotMethod != "POST" {
		t.Errorf("service negotiate got %q %q", gotMethod, gotAuth)
	}
	if len(tr.Steps) != 5 || !strings.Contains(strings.Join(tr.Steps[4].Notes, " "), "access_token=REDACTED") {
		t.Errorf("trace = %+v", tr.Steps)
	}
}

func TestSendRequestFailures(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, 2048))
	}))
	defer big.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()

	d := testDeps()
	d.MaxCalloutBytes = 1024
	for _, tc := range []struct {
		name, url, extra string
		status           int
		reason           string
	}{
		{"timeout", slow.URL, `timeout="1"`, 504, "Timeout"},
		{"too large", big.URL, ``, 502, "ResponseTooLarge"},
		{"refused", deadURL, ``, 502, "SendRequestFailure"},
		{"ignored", deadURL, `ignore-error="true"`, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := compile(t, d, `<send-request response-variable-name="r" `+tc.extra+`><set-url>`+tc.url+`</set-url></send-request>`)
			s := request("ws://gw/chat")
			defer s.Release()
			stopped := runInbound(plan, s)
			if tc.status == 0 {
				if v, ok := s.Variables()["r"]; stopped || !ok || v != nil {
					t.Errorf("stopped=%v r=%v (%v)", stopped, v, ok)
				}
				return
			}
			if !stopped || s.Response().StatusCode != tc.status || s.LastError().Reason != tc.reason || s.LastError().Source != "send-request" {
				t.Errorf("stopped=%v status=%d lastError=%+v", stopped, s.Response().StatusCode, s.LastError())
			}
		})
	}
}

// rtFunc is an http.RoundTripper made of a function.
type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A call-out's own timeout is a lazily built context: when nothing but
// its deadline can end it (here the request's context is Background, as
// behind the front server), it says so to the client (DeadlineOnly, which
// gateway/upstream sets on its connection instead of building a timer and
// watching the context), and it ends with the call.
func TestSendRequestDeadlineOnly(t *testing.T) {
	var seen context.Context
	d := testDeps()
	d.HTTPClient = &http.Client{Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
		seen = r.Context()
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("ok")), ContentLength: 2, Request: r}, nil
	})}
	plan := compile(t, d, `<send-request response-variable-name="r" timeout="5"><set-url>http://callout.example/x</set-url></send-request>`)
	s := request("ws://gw/chat")
	defer s.Release()
	start := time.Now()
	if runInbound(plan, s) {
		t.Fatalf("stopped: %+v", s.LastError())
	}
	do, ok := seen.(interface{ DeadlineOnly() (time.Time, bool) })
	if !ok {
		t.Fatalf("the call's context (%T) cannot say that only its deadline ends it", seen)
	}
	if dl, ok := do.DeadlineOnly(); !ok || dl.Before(start.Add(5*time.Second)) || dl.After(time.Now().Add(5*time.Second)) {
		t.Errorf("DeadlineOnly: %v %v, want the call's 5 s", dl, ok)
	}
	if !errors.Is(seen.Err(), context.Canceled) {
		t.Errorf("the call's context after the call: %v, want Canceled", seen.Err())
	}
}

// set-query-parameter changes the URL sent on, never context.Request.OriginalUrl.
func TestSetQueryKeepsOriginalUrl(t *testing.T) {
	plan := compile(t, testDeps(), `
<set-query-parameter name="a" exists-action="override"><value>changed</value></set-query-parameter>
<set-query-parameter name="b" exists-action="delete"/>
<set-variable name="orig" value="@(context.Request.OriginalUrl.Query.GetValueOrDefault("a","") + "|" + context.Request.OriginalUrl.Query.GetValueOrDefault("b",""))"/>`)
	s := request("ws://gw/chat?a=1&b=2")
	defer s.Release()
	if runInbound(plan, s) {
		t.Fatalf("stopped: %+v", s.LastError())
	}
	if got := s.Variables()["orig"]; got != "1|2" {
		t.Errorf("OriginalUrl query seen by policies = %q, want 1|2", got)
	}
	if qs := s.Context().Request.OriginalUrl.QueryString; qs != "?a=1&b=2" {
		t.Errorf("OriginalUrl.QueryString = %q", qs)
	}
	if qs := s.Context().Request.Url.QueryString; qs != "?a=changed" {
		t.Errorf("Url.QueryString = %q", qs)
	}
}

// TestExpressionSurroundedBySpace: white space around a whole expression
// is not part of it (tollgate's choice, docs/policies.md "Expressions"):
// real policies write value=" @(...)", and such a value is the expression's
// result, in an attribute and in an element's text.
func TestExpressionSurroundedBySpace(t *testing.T) {
	plan := compile(t, testDeps(), `
<set-variable name="a" value=" @(context.Request.Method + &quot;x&quot;) "/>
<set-variable name="b" value="  @{ return 1 + 1; }"/>
<set-header name="X-C" exists-action="override"><value>
  @(context.Request.Method.ToLower())
</value></set-header>`)
	s := request("ws://gw/chat")
	if runInbound(plan, s) {
		t.Fatalf("pipeline stopped: %+v", s.LastError())
	}
	v := s.Variables()
	if v["a"] != "GETx" || v["b"] != 2 {
		t.Errorf("variables = %v", v)
	}
	if got := s.Context().Request.Headers.GetValueOrDefault("X-C", ""); got != "get" {
		t.Errorf("X-C = %q", got)
	}
	s.Release()
}
