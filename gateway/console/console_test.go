package console_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap/zaptest"

	"tollgate/gateway"
	"tollgate/gateway/console"
	"tollgate/internal/testutil"
	"tollgate/policies"
	"tollgate/store"
)

const testTimeout = 20 * time.Second

type env struct {
	dir   string
	srv   *gateway.Server
	gw    *httptest.Server
	admin *httptest.Server
}

// start serves dir through a gateway on a real socket and its admin
// handler with the console (behind token when set) on another.
func start(t *testing.T, dir, token string) *env {
	t.Helper()
	srv, err := gateway.New(gateway.Options{Dir: dir, Log: zaptest.NewLogger(t),
		Registry: policies.Registry(policies.Deps{Store: store.NewMemory()}), Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(srv)
	mux := http.NewServeMux()
	mux.Handle("/", srv.AdminHandler())
	con := console.New(console.Options{Server: srv, GatewayURL: gw.URL})
	con.Register(mux)
	admin := httptest.NewServer(console.Protect(mux, token))
	t.Cleanup(func() {
		admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		_ = srv.Shutdown(ctx)
		gw.Close()
		con.Close()
	})
	return &env{dir: dir, srv: srv, gw: gw, admin: admin}
}

func write(t *testing.T, dir, rel, content string) {
	t.Helper()
	testutil.WriteFile(t, filepath.Join(dir, rel), content)
}

func getJSON(t *testing.T, u string, out any) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == 200 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s: %v: %s", u, err, data)
		}
	}
	if strings.Contains(string(data), "SECRET") {
		t.Errorf("%s shows a secret: %s", u, data)
	}
	return resp.StatusCode
}

// sampleDir is an apis folder with a global policy, a fragment with a
// call-out, a choose and a secret named value.
func sampleDir(t *testing.T, wsURL, httpURL string) string {
	dir := t.TempDir()
	write(t, dir, "named-values.xml", `<named-values>
  <named-value name="key" secret="true">SECRET1-literal</named-value>
  <named-value name="plain">visible</named-value>
</named-values>`)
	write(t, dir, "policy.xml", `<policies><inbound><set-header name="X-Global" exists-action="override"><value>1</value></set-header></inbound></policies>`)
	write(t, dir, "fragments/neg.xml", `<fragment>
  <send-request mode="new" response-variable-name="r">
    <set-url>`+httpURL+`/negotiate</set-url>
  </send-request>
</fragment>`)
	write(t, dir, "chat/api.xml", `<api name="chat" type="websocket" path="/chat" service-url="`+wsURL+`/?access_token={{key}}"/>`)
	write(t, dir, "chat/policy.xml", `<policies>
  <inbound>
    <base/>
    <include-fragment fragment-id="neg"/>
    <choose>
      <when condition="@(context.Request.Headers.GetValueOrDefault(&quot;X-User&quot;,&quot;&quot;) == &quot;bob&quot;)">
        <set-variable name="who" value="bob"/>
      </when>
      <otherwise><set-variable name="who" value="someone"/></otherwise>
    </choose>
  </inbound>
</policies>`)
	write(t, dir, "rest/api.xml", `<api name="rest" type="http" path="/rest" service-url="`+httpURL+`"/>`)
	write(t, dir, "rest/policy.xml", `<policies><inbound><base/><set-variable name="k" value="{{key}}"/></inbound></policies>`)
	return dir
}

func backends(t *testing.T) (ws, httpURL string) {
	ws = "ws" + strings.TrimPrefix(testutil.EchoBackend(t).URL, "http")
	h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"path":"`+r.URL.Path+`"}`)
	}))
	t.Cleanup(h.Close)
	return ws, h.URL
}

func TestAPIsAndPlan(t *testing.T) {
	ws, hu := backends(t)
	e := start(t, sampleDir(t, ws, hu), "")
	var v struct {
		Ready  bool
		APIs   []console.APIView
		Errors []console.LoadError
	}
	if code := getJSON(t, e.admin.URL+"/console/api/apis", &v); code != 200 {
		t.Fatalf("apis: %d", code)
	}
	if !v.Ready || len(v.APIs) != 2 || len(v.Errors) != 0 {
		t.Fatalf("apis view: %+v", v)
	}
	chat := v.APIs[0]
	if chat.Name != "chat" || chat.Type != "websocket" || chat.Path != "/chat" || !chat.Loaded ||
		!strings.HasSuffix(chat.Backend, "/?access_token=REDACTED") || len(chat.Series) != 30 {
		t.Errorf("chat row: %+v", chat)
	}

	var plan struct {
		Sections map[string][]console.Node
	}
	if code := getJSON(t, e.admin.URL+"/console/api/apis/chat/plan", &plan); code != 200 {
		t.Fatalf("plan: %d", code)
	}
	in := plan.Sections["inbound"]
	if len(in) != 3 {
		t.Fatalf("inbound = %+v", in)
	}
	// <base/> spliced the global step in, the fragment its call-out.
	if in[0].Policy != "set-header" || in[0].Scope != "global" || in[0].File != "policy.xml" || in[0].Line != 1 {
		t.Errorf("global step: %+v", in[0])
	}
	if in[1].Policy != "send-request" || !in[1].Callout || in[1].File != "fragments/neg.xml" || in[1].Line != 2 {
		t.Errorf("call-out step: %+v", in[1])
	}
	ch := in[2]
	if ch.Policy != "choose" || ch.File != "chat/policy.xml" || ch.Line != 5 || len(ch.Branches) != 2 {
		t.Fatalf("choose: %+v", ch)
	}
	if b := ch.Branches[0]; b.Name != "when" || b.Line != 6 || !strings.Contains(b.Condition, `"bob"`) ||
		len(b.Steps) != 1 || b.Steps[0].Policy != "set-variable" || b.Steps[0].Line != 7 {
		t.Errorf("when branch: %+v", b)
	}
	if b := ch.Branches[1]; b.Name != "otherwise" || len(b.Steps) != 1 {
		t.Errorf("otherwise branch: %+v", b)
	}
	if code := getJSON(t, e.admin.URL+"/console/api/apis/nope/plan", nil); code != 404 {
		t.Errorf("plan of an unknown API: %d", code)
	}
}

// The file view serves files inside the apis folder only, read-only, with
// secrets masked.
func TestFileView(t *testing.T) {
	ws, hu := backends(t)
	dir := sampleDir(t, ws, hu)
	outside := filepath.Join(t.TempDir(), "outside.txt")
	write(t, filepath.Dir(outside), "outside.txt", "SECRET2 outside")
	if err := os.Symlink(outside, filepath.Join(dir, "chat", "link.xml")); err != nil {
		t.Fatal(err)
	}
	// A certificate folder kept inside the apis folder: the key is never
	// shown, nor a binary bundle.
	write(t, dir, "certs/client.pem", "-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n-----BEGIN RSA PRIVATE KEY-----\nSECRETKEY1\n-----END RSA PRIVATE KEY-----\n")
	write(t, dir, "certs/cut.pem", "-----BEGIN PRIVATE KEY-----\nSECRETKEY2 with no end")
	write(t, dir, "certs/client.pfx", "0\x82\x05\x00SECRETKEY3\xff\xfe")
	e := start(t, dir, "")
	for _, c := range []struct {
		path string
		code int
	}{
		{"certs/client.pem", 200},
		{"certs/cut.pem", 200},
		{"certs/client.pfx", 415},
		{"chat/policy.xml", 200},
		{"named-values.xml", 200},
		{"", 400},
		{"../outside.txt", 400},
		{"chat/../../outside.txt", 400},
		{"/etc/passwd", 400},
		{filepath.Dir(outside) + "/outside.txt", 400},
		{"chat/link.xml", 404}, // a symlink out of the folder
		{"chat", 404},          // a folder
		{"chat/missing.xml", 404},
		{"chat/policy.xml\x00.txt", 400},
	} {
		t.Run(c.path, func(t *testing.T) {
			var f struct{ Text string }
			if code := getJSON(t, e.admin.URL+"/console/api/file?path="+url.QueryEscape(c.path), &f); code != c.code {
				t.Fatalf("code %d, want %d", code, c.code)
			}
			if c.code == 200 && f.Text == "" {
				t.Error("empty file text")
			}
			if strings.Contains(f.Text, "SECRETKEY") || (c.path == "certs/client.pem" && !strings.Contains(f.Text, "MIIBcert")) {
				t.Errorf("%s shown as %q", c.path, f.Text)
			}
			if c.path == "named-values.xml" && (!strings.Contains(f.Text, ">REDACTED<") || !strings.Contains(f.Text, "visible")) {
				t.Errorf("named values view: %s", f.Text)
			}
		})
	}
	// A secret edited on disk but not loaded (the reload failed) is masked too.
	write(t, dir, "named-values.xml", `<named-values><named-value name="key" secret="true">SECRET3-new</named-value><broken</named-values>`)
	var f struct{ Text string }
	getJSON(t, e.admin.URL+"/console/api/file?path=named-values.xml", &f)
	if strings.Contains(f.Text, "SECRET3") {
		t.Errorf("unloaded secret shown: %s", f.Text)
	}
}

// A broken policy file: the reload keeps the old configuration, and the
// console shows the error with its position, on the API's row; a new API
// that does not load shows as not loaded.
func TestReloadErrors(t *testing.T) {
	ws, hu := backends(t)
	dir := sampleDir(t, ws, hu)
	e := start(t, dir, "")
	write(t, dir, "chat/policy.xml", "<policies>\n  <inbound>\n    <set-header name=\"X\" exist-action=\"override\"><value>1</value></set-header>\n  </inbound>\n</policies>")
	write(t, dir, "newapi/api.xml", `<api name="newapi" type="http" path="/new" service-url="`+hu+`" bogus="1"/>`)
	if st := e.srv.Reload("test"); st.Result != gateway.ReloadFailure {
		t.Fatalf("reload: %+v", st)
	}
	var v struct {
		APIs   []console.APIView
		Errors []console.LoadError
	}
	getJSON(t, e.admin.URL+"/console/api/apis", &v)
	if len(v.Errors) != 2 {
		t.Fatalf("errors: %+v", v.Errors)
	}
	le := v.Errors[0]
	if le.File != "chat/policy.xml" || le.Line != 3 || le.Col != 26 || le.API != "chat" || !strings.Contains(le.Message, "exists-action") {
		t.Errorf("error: %+v", le)
	}
	var chat, newapi *console.APIView
	for i := range v.APIs {
		switch v.APIs[i].Name {
		case "chat":
			chat = &v.APIs[i]
		case "newapi":
			newapi = &v.APIs[i]
		}
	}
	if chat == nil || !chat.Loaded || len(chat.Errors) != 1 {
		t.Errorf("chat row: %+v", chat)
	}
	if newapi == nil || newapi.Loaded || len(newapi.Errors) != 1 || newapi.Errors[0].File != "newapi/api.xml" {
		t.Errorf("newapi row: %+v", newapi)
	}
}

func wsURL(u string) string { return "ws" + strings.TrimPrefix(u, "http") }

type event struct {
	Type, Dir, Text, Reason, Error, By string
	OK                                 bool
	Status, Size, Code                 int
	TraceID                            string `json:"trace_id"`
	Protocol                           string `json:"subprotocol"`
	Trace                              *gateway.RequestTrace
}

func readEvent(t *testing.T, c *websocket.Conn) event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	_, data, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("bridge read: %v", err)
	}
	var e event
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "SECRET") {
		t.Errorf("bridge event shows a secret: %s", data)
	}
	return e
}

func send(t *testing.T, c *websocket.Conn, v any) {
	t.Helper()
	data, _ := json.Marshal(v)
	if err := c.Write(context.Background(), websocket.MessageText, data); err != nil {
		t.Fatal(err)
	}
}

// The WebSocket test tab's bridge: connect through the gateway with a trace
// token, get the handshake's trace, send and receive frames, close.
func TestTestWebSocket(t *testing.T) {
	ws, hu := backends(t)
	e := start(t, sampleDir(t, ws, hu), "")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, _, err := websocket.Dial(ctx, wsURL(e.admin.URL)+"/console/api/apis/chat/test-ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	send(t, c, map[string]any{"type": "connect", "query": "a=1", "headers": []map[string]string{{"name": "X-User", "value": "bob"}}})
	hs := readEvent(t, c)
	if hs.Type != "handshake" || !hs.OK || hs.Status != 101 || hs.TraceID == "" || hs.Trace == nil {
		t.Fatalf("handshake event: %+v", hs)
	}
	var branch string
	for _, st := range hs.Trace.Steps {
		if st.Branch != "" {
			branch = st.Branch
		}
	}
	if len(hs.Trace.Steps) != 4 || branch != "when[1]" || hs.Trace.URL != "/chat?a=1" {
		t.Errorf("handshake trace: %+v", hs.Trace)
	}
	send(t, c, map[string]any{"type": "send", "text": "hello"})
	out, in := readEvent(t, c), readEvent(t, c)
	if out.Type != "frame" || out.Dir != "out" || out.Text != "hello" || out.Size != 5 ||
		in.Type != "frame" || in.Dir != "in" || in.Text != "hello" {
		t.Errorf("frames: %+v %+v", out, in)
	}
	send(t, c, map[string]any{"type": "close", "code": 4000, "reason": "bye"})
	cl := readEvent(t, c)
	if cl.Type != "close" || cl.Code != 4000 || cl.Reason != "bye" || cl.By != "client" {
		t.Errorf("close: %+v", cl)
	}
	// The test's trace is listed with the recent traces.
	var list []struct{ ID, API, Source string }
	getJSON(t, e.admin.URL+"/console/api/traces?api=chat", &list)
	if len(list) != 1 || list[0].ID != hs.TraceID || list[0].Source != "token" {
		t.Errorf("traces: %+v", list)
	}
}

// A handshake the gateway refuses is reported with its status and trace.
func TestTestWebSocketRefused(t *testing.T) {
	ws, hu := backends(t)
	dir := sampleDir(t, ws, hu)
	write(t, dir, "chat/policy.xml", `<policies><inbound><return-response><set-status code="401"/><set-body>no</set-body></return-response></inbound></policies>`)
	e := start(t, dir, "")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, _, err := websocket.Dial(ctx, wsURL(e.admin.URL)+"/console/api/apis/chat/test-ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	send(t, c, map[string]any{"type": "connect"})
	hs := readEvent(t, c)
	if hs.Type != "handshake" || hs.OK || hs.Status != 401 || hs.Trace == nil || hs.Trace.Status != 401 || hs.Error == "" {
		t.Fatalf("refused handshake: %+v", hs)
	}
}

func TestTestHTTP(t *testing.T) {
	ws, hu := backends(t)
	e := start(t, sampleDir(t, ws, hu), "")
	body := `{"method":"POST","path":"/x","query":"access_token=SECRET4-q","headers":[{"name":"Authorization","value":"Bearer SECRET5-b"}],"body":"hi"}`
	resp, err := http.Post(e.admin.URL+"/console/api/apis/rest/test-http", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if strings.Contains(string(data), "SECRET") {
		t.Errorf("test-http shows a secret: %s", data)
	}
	var r struct {
		Status int
		Body   string
		Trace  *gateway.RequestTrace
	}
	json.Unmarshal(data, &r)
	if r.Status != 200 || r.Body != `{"path":"/x"}` || r.Trace == nil || len(r.Trace.Steps) != 2 || r.Trace.Method != "POST" {
		t.Fatalf("test-http: %s", data)
	}
}

// Acting endpoints refuse requests a browser sends from another origin.
func TestCrossOriginRefused(t *testing.T) {
	ws, hu := backends(t)
	e := start(t, sampleDir(t, ws, hu), "")
	req, _ := http.NewRequest("POST", e.admin.URL+"/console/api/apis/chat/trace-token", strings.NewReader("{}"))
	req.Header.Set("Origin", "http://evil.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin trace-token: %d", resp.StatusCode)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	_, resp, err = websocket.Dial(ctx, wsURL(e.admin.URL)+"/console/api/apis/chat/test-ws",
		&websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"http://evil.example"}}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin bridge: %v %v", err, resp)
	}
	// Same origin works.
	req, _ = http.NewRequest("POST", e.admin.URL+"/console/api/apis/chat/trace-token", strings.NewReader(`{"ttl_seconds":60}`))
	req.Header.Set("Origin", e.admin.URL)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct{ Token, Header string }
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != 200 || tok.Token == "" || tok.Header != gateway.TraceTokenHeader {
		t.Errorf("trace-token: %d %+v", resp.StatusCode, tok)
	}
	// A lifetime out of range is refused, however many seconds it names:
	// 18446744074 s in nanoseconds wraps around to a third of a second.
	for _, ttl := range []string{"-5", "3601", "9223372037", "18446744074"} {
		req, _ = http.NewRequest("POST", e.admin.URL+"/console/api/apis/chat/trace-token", strings.NewReader(`{"ttl_seconds":`+ttl+`}`))
		req.Header.Set("Origin", e.admin.URL)
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "between 1s and 1h0m0s") {
			t.Errorf("trace-token for %s s: %d %s", ttl, resp.StatusCode, body)
		}
	}
}

func TestConsolePage(t *testing.T) {
	ws, hu := backends(t)
	e := start(t, sampleDir(t, ws, hu), "")
	for _, p := range []string{"/console/", "/console/app.js", "/console/style.css"} {
		resp, err := http.Get(e.admin.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(data) < 100 {
			t.Errorf("%s: %d (%d bytes)", p, resp.StatusCode, len(data))
		}
		// No CDN, no external fonts: nothing is loaded from elsewhere
		// (the SVG namespace URI is a name, not a fetch).
		text := strings.ReplaceAll(string(data), "http://www.w3.org/2000/svg", "")
		for _, ext := range []string{"https://", "http://", "//cdn", "@import", "url("} {
			if strings.Contains(text, ext) {
				t.Errorf("%s refers to an external resource (%s)", p, ext)
			}
		}
	}
}

// The console keeps answering while the gateway reloads: an API that a
// reload removes gives 404 (never a 500 or a torn answer), and the list
// always shows one configuration.
func TestConsoleDuringReloads(t *testing.T) {
	ws, hu := backends(t)
	dir := sampleDir(t, ws, hu)
	e := start(t, dir, "")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 30 {
			if i%2 == 0 {
				os.RemoveAll(filepath.Join(dir, "rest"))
			} else {
				write(t, dir, "rest/api.xml", `<api name="rest" type="http" path="/rest" service-url="`+hu+`"/>`)
			}
			e.srv.Reload("test")
		}
	}()
	for n := 0; ; n++ {
		select {
		case <-done:
			if n == 0 {
				t.Fatal("no request ran during the reloads")
			}
			return
		default:
		}
		var v struct {
			ConfigHash string `json:"config_hash"`
			APIs       []console.APIView
		}
		if code := getJSON(t, e.admin.URL+"/console/api/apis", &v); code != 200 || v.ConfigHash == "" || len(v.APIs) == 0 {
			t.Fatalf("apis during reloads: %d %+v", code, v)
		}
		if code := getJSON(t, e.admin.URL+"/console/api/apis/rest/plan", nil); code != 200 && code != 404 {
			t.Fatalf("plan during reloads: %d", code)
		}
	}
}

// Hostile input on the bridge: a bad first message closes it with 1008; a
// header that would split the request is refused before anything is sent.
func TestBridgeBadInput(t *testing.T) {
	ws, hu := backends(t)
	e := start(t, sampleDir(t, ws, hu), "")
	for _, c := range []struct {
		name  string
		first string
		want  string
	}{
		{"not json", "hello", "error"},
		{"not connect", `{"type":"send","text":"x"}`, "error"},
		{"header injection", `{"type":"connect","headers":[{"name":"X-A","value":"1\r\nX-B: 2"}]}`, "handshake"},
		{"bad header name", `{"type":"connect","headers":[{"name":"X A:","value":"1"}]}`, "handshake"},
		{"bad query", `{"type":"connect","query":"%zz"}`, "handshake"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			conn, _, err := websocket.Dial(ctx, wsURL(e.admin.URL)+"/console/api/apis/chat/test-ws", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.CloseNow()
			if err := conn.Write(ctx, websocket.MessageText, []byte(c.first)); err != nil {
				t.Fatal(err)
			}
			ev := readEvent(t, conn)
			if ev.Type != c.want || ev.OK || ev.Error == "" {
				t.Errorf("event %+v", ev)
			}
			_, _, err = conn.Read(ctx)
			if code := websocket.CloseStatus(err); code != websocket.StatusPolicyViolation && code != websocket.StatusNormalClosure {
				t.Errorf("bridge ended with %v", err)
			}
		})
	}
	// An unknown API has no bridge.
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if _, resp, err := websocket.Dial(ctx, wsURL(e.admin.URL)+"/console/api/apis/nope/test-ws", nil); err == nil || resp.StatusCode != 404 {
		t.Errorf("bridge for an unknown API: %v", err)
	}
}

// The test tab offers the subprotocols it is given; the backend's choice
// comes back through the gateway.
func TestTestWebSocketSubprotocol(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"chat.v2"}})
		if err != nil {
			return
		}
		defer c.CloseNow()
		testutil.Echo(r.Context(), c)
	}))
	t.Cleanup(be.Close)
	_, hu := backends(t)
	dir := sampleDir(t, "ws"+strings.TrimPrefix(be.URL, "http"), hu)
	e := start(t, dir, "")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, _, err := websocket.Dial(ctx, wsURL(e.admin.URL)+"/console/api/apis/chat/test-ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	send(t, c, map[string]any{"type": "connect", "subprotocols": []string{"chat.v1", "chat.v2"}})
	if hs := readEvent(t, c); !hs.OK || hs.Protocol != "chat.v2" {
		t.Errorf("handshake: %+v", hs)
	}
}

// The plan says when an HTTP API's backend section forwards nothing (it
// is written empty, as in APIM); a left-out section, or a WebSocket
// API's, forwards.
func TestPlanForwardsNothing(t *testing.T) {
	ws, hu := backends(t)
	dir := t.TempDir()
	write(t, dir, "empty/api.xml", `<api name="empty" type="http" path="/empty" service-url="`+hu+`"/>`)
	write(t, dir, "empty/policy.xml", `<policies><inbound/><backend/></policies>`)
	write(t, dir, "left/api.xml", `<api name="left" type="http" path="/left" service-url="`+hu+`"/>`)
	write(t, dir, "left/policy.xml", `<policies><inbound/></policies>`)
	write(t, dir, "sock/api.xml", `<api name="sock" type="websocket" path="/sock" service-url="`+ws+`"/>`)
	write(t, dir, "sock/policy.xml", `<policies><inbound/><backend/></policies>`)
	e := start(t, dir, "")
	for api, want := range map[string]bool{"empty": true, "left": false, "sock": false} {
		var plan struct {
			ForwardsNothing bool `json:"forwards_nothing"`
		}
		if code := getJSON(t, e.admin.URL+"/console/api/apis/"+api+"/plan", &plan); code != 200 || plan.ForwardsNothing != want {
			t.Errorf("%s: %d, forwards_nothing %v, want %v", api, code, plan.ForwardsNothing, want)
		}
	}
	// Served: the empty section's API answers 200 without its backend.
	resp, err := http.Get(e.gw.URL + "/empty")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(body) != 0 {
		t.Errorf("/empty: %d %q", resp.StatusCode, body)
	}
}

// TestAPIsMCPServer: an MCP server's row names its tools instead of a
// service URL.
func TestAPIsMCPServer(t *testing.T) {
	ws, hu := backends(t)
	dir := sampleDir(t, ws, hu)
	write(t, dir, "ops/api.xml", `<api name="ops" type="http" path="/ops" service-url="`+hu+`">
  <operations><operation id="get-x" method="GET" url-template="/x/{id}"/></operations>
</api>`)
	write(t, dir, "apis/ops-mcp/apiInformation.json", `{"properties": {"type": "mcp", "path": "ops-mcp", "subscriptionRequired": false,
  "mcpTools": [{"name": "get-x", "operationId": "/apis/ops/operations/get-x"}]}}`)
	e := start(t, dir, "")
	var v struct{ APIs []console.APIView }
	if code := getJSON(t, e.admin.URL+"/console/api/apis", &v); code != 200 {
		t.Fatalf("apis: %d", code)
	}
	for _, a := range v.APIs {
		if a.Name == "ops-mcp" {
			if a.Type != "mcp" || a.Backend != "tools: get-x" || strings.Join(a.Tools, ",") != "get-x (ops/get-x)" {
				t.Errorf("row %+v", a)
			}
			return
		}
	}
	t.Fatalf("no ops-mcp row: %+v", v.APIs)
}

// The APIs view lists the served configuration's notices (what its folder
// holds that tollgate ignores), split for links as the errors are.
func TestAPIsNotices(t *testing.T) {
	ws, hu := backends(t)
	dir := sampleDir(t, ws, hu)
	write(t, dir, "apis/ops/apiInformation.json", `{"properties": {"path": "ops", "serviceUrl": "`+hu+`", "subscriptionRequired": false, "protocols": ["https"]}}`)
	e := start(t, dir, "")
	var v struct {
		Notices []console.LoadError
	}
	getJSON(t, e.admin.URL+"/console/api/apis", &v)
	var found *console.LoadError
	for i, n := range v.Notices {
		if n.File == "apis/ops/apiInformation.json" && strings.Contains(n.Message, "protocols") {
			found = &v.Notices[i]
		}
	}
	if found == nil || found.Line != 1 || found.Col < 1 || !strings.HasPrefix(found.Message, "ignored: ") {
		t.Fatalf("notices: %+v", v.Notices)
	}
}

// A synthetic GraphQL API's row lists its policy files with its
// resolvers' files and the fragments they include, relative to the apis
// folder, and the file view serves each, secrets masked.
func TestAPIsGraphQLResolverFiles(t *testing.T) {
	ws, hu := backends(t)
	dir := sampleDir(t, ws, hu)
	write(t, dir, "blog/api.xml", `<api name="blog" type="graphql" path="/blog"/>`)
	write(t, dir, "blog/policy.xml", `<policies><inbound><base/><set-header name="X-B" exists-action="override"><value>1</value></set-header></inbound></policies>`)
	write(t, dir, "blog/schema.graphql", "type Query { a: String b: String }\n")
	write(t, dir, "blog/resolvers/Query.a.xml", `<http-data-source><http-request><set-url>`+hu+`/a?k={{key}}</set-url></http-request></http-data-source>`)
	write(t, dir, "blog/resolvers/Query.b.xml", `<http-data-source><http-request><set-url>`+hu+`/b</set-url><include-fragment fragment-id="hdr"/></http-request></http-data-source>`)
	write(t, dir, "fragments/hdr.xml", `<fragment><set-header name="X-A" exists-action="override"><value>1</value></set-header></fragment>`)
	e := start(t, dir, "")
	var v struct{ APIs []console.APIView }
	if code := getJSON(t, e.admin.URL+"/console/api/apis", &v); code != 200 {
		t.Fatalf("apis: %d", code)
	}
	var files []string
	for _, a := range v.APIs {
		if a.Name == "blog" {
			files = a.PolicyFiles
		}
	}
	if got := strings.Join(files, ","); got != "blog/policy.xml,blog/resolvers/Query.a.xml,blog/resolvers/Query.b.xml,fragments/hdr.xml,policy.xml" {
		t.Fatalf("policy files: %s", got)
	}
	for _, f := range files {
		var fv struct{ Text string }
		if code := getJSON(t, e.admin.URL+"/console/api/file?path="+url.QueryEscape(f), &fv); code != 200 || fv.Text == "" {
			t.Errorf("file view of %s: %d", f, code)
		}
		if strings.Contains(fv.Text, "SECRET1") {
			t.Errorf("file view of %s shows a secret: %s", f, fv.Text)
		}
	}
}

// TestFileViewAPIOpsSecret: an APIOps named value marked secret shows its
// value masked in the file view, whether or not it is the served one (an
// edit not loaded yet, a file that does not parse).
func TestFileViewAPIOpsSecret(t *testing.T) {
	ws, hu := backends(t)
	dir := sampleDir(t, ws, hu)
	e := start(t, dir, "")
	for name, text := range map[string]string{
		"secret":       `{"properties": {"displayName": "k", "secret": true, "value": "SECRETAPIOPS1 \"quoted\""}}`,
		"broken":       `{"properties": {"value": "SECRETAPIOPS2", "secret":true,`,
		"not-a-secret": `{"properties": {"displayName": "p", "secret": false, "value": "visible"}}`,
	} {
		write(t, dir, "named values/"+name+"/namedValueInformation.json", text)
	}
	for _, name := range []string{"secret", "broken", "not-a-secret"} {
		var f struct{ Text string }
		if code := getJSON(t, e.admin.URL+"/console/api/file?path="+url.QueryEscape("named values/"+name+"/namedValueInformation.json"), &f); code != 200 {
			t.Fatalf("%s: code %d", name, code)
		}
		if strings.Contains(f.Text, "SECRETAPIOPS") || (name == "not-a-secret") != strings.Contains(f.Text, "visible") || (name != "not-a-secret" && !strings.Contains(f.Text, `"REDACTED"`)) {
			t.Errorf("%s: %s", name, f.Text)
		}
	}
}
