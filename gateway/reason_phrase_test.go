package gateway_test

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"tollgate/gateway/h1/h1test"
)

// A policy's set-status reason is the status line's reason phrase, as APIM
// sends it: real policies answer "403 Certificate must be included in the
// request" with no body at all (corpus5's 017). Characters a reason phrase
// cannot hold become spaces, so an expression cannot split the head.
func TestSetStatusReasonPhrase(t *testing.T) {
	dir := t.TempDir()
	rr := func(code, reason string) string {
		return `<policies><inbound><return-response><set-status code="` + code + `" reason="` + reason + `"/><set-body>b</set-body></return-response></inbound><backend/><outbound/><on-error/></policies>`
	}
	writeAPI(t, dir, "cert", `type="http" path="/cert" service-url="http://127.0.0.1:1"`, rr("403", "Certificate must be included in the request"))
	writeAPI(t, dir, "std", `type="http" path="/std" service-url="http://127.0.0.1:1"`, rr("403", "Forbidden"))
	writeAPI(t, dir, "none", `type="http" path="/none" service-url="http://127.0.0.1:1"`, `<policies><inbound><return-response><set-status code="418"/></return-response></inbound><backend/><outbound/><on-error/></policies>`)
	writeAPI(t, dir, "blank", `type="http" path="/blank" service-url="http://127.0.0.1:1"`, rr("200", "@(&quot;  &quot;)"))
	writeAPI(t, dir, "split", `type="http" path="/split" service-url="http://127.0.0.1:1"`, rr("400", `@(&quot;bad\r\nX-Evil: 1&quot;)`))
	writeAPI(t, dir, "utf8", `type="http" path="/utf8" service-url="http://127.0.0.1:1"`, rr("409", "Conflit déjà"))
	writeAPI(t, dir, "onerror", `type="http" path="/onerror" service-url="http://127.0.0.1:1"`,
		`<policies><inbound><set-variable name="x" value="@(((string)null).Length)"/></inbound><backend/><outbound/>`+
			`<on-error><return-response><set-status code="500" reason="@(context.LastError.Source + &quot; failed&quot;)"/></return-response></on-error></policies>`)
	g := startGateway(t, dir)
	addr := strings.TrimPrefix(g.url, "http://")
	for _, tc := range []struct{ path, status string }{
		{"/cert", "403 Certificate must be included in the request"},
		{"/std", "403 Forbidden"},
		{"/none", "418 I'm a teapot"},
		{"/blank", "200 OK"},
		{"/split", "400 bad  X-Evil: 1"},
		{"/utf8", "409 Conflit déjà"},
		{"/onerror", "500 set-variable failed"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			// one connection, two requests: the reason is the response's own
			checkStatusLines(t, addr, []string{tc.path, "/std"}, []string{tc.status, "403 Forbidden"}, nil)
		})
	}
}

// An outbound set-status on a proxied answer sends its reason too (corpus7's
// 003, UK Parliament's historic-hansard policy, rewrites the backend's 404 as a
// 301 in outbound). Without a policy's reason the standard text is sent, whatever
// the backend's own reason was.
func TestOutboundSetStatusReasonPhrase(t *testing.T) {
	backend, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	go func() { // a backend whose own reason phrase is not the standard text
		for {
			c, err := backend.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					code := "200 Backend Says Hi"
					if strings.HasPrefix(req.URL.Path, "/missing") {
						code = "404 Nothing Here"
					}
					if _, err := c.Write([]byte("HTTP/1.1 " + code + "\r\nContent-Length: 2\r\n\r\nok")); err != nil {
						return
					}
				}
			}(c)
		}
	}()
	svc := `service-url="http://` + backend.Addr().String() + `"`
	out := func(outbound string) string {
		return `<policies><inbound/><backend><forward-request/></backend><outbound>` + outbound + `</outbound><on-error/></policies>`
	}
	dir := t.TempDir()
	writeAPI(t, dir, "hansard", `type="http" path="/hansard" `+svc, out(
		`<choose><when condition="@(context.Response.StatusCode == 404)"><set-body/><set-status code="301" reason="Moved to the index"/>`+
			`<set-header name="Location" exists-action="override"><value>@(context.Request.OriginalUrl + &quot;/index.html&quot;)</value></set-header></when></choose>`))
	writeAPI(t, dir, "std", `type="http" path="/std" `+svc, out(`<set-status code="301" reason="Moved Permanently"/>`))
	writeAPI(t, dir, "same", `type="http" path="/same" `+svc, out(`<set-status code="200" reason="@(&quot;Fine &quot; + context.Response.StatusCode)"/>`))
	writeAPI(t, dir, "split", `type="http" path="/split" `+svc, out(`<set-status code="200" reason="@(&quot;a\r\nX-Evil: 1&quot;)"/>`))
	writeAPI(t, dir, "plain", `type="http" path="/plain" `+svc, out(``))
	g := startGateway(t, dir)
	addr := strings.TrimPrefix(g.url, "http://")
	for _, tc := range []struct{ path, status string }{
		{"/hansard/missing/page", "301 Moved to the index"},
		{"/hansard/here", "200 OK"},
		{"/std/x", "301 Moved Permanently"},
		{"/same/x", "200 Fine 200"},
		{"/split/x", "200 a  X-Evil: 1"},
		{"/plain/x", "200 OK"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			// two requests on one connection: the reason is the response's own
			checkStatusLines(t, addr, []string{tc.path, "/plain/x"}, []string{tc.status, "200 OK"}, func(path string, resp *http.Response) {
				if path == "/hansard/missing/page" && resp.Header.Get("Location") != "http://x/hansard/missing/page/index.html" {
					t.Errorf("Location %q", resp.Header.Get("Location"))
				}
			})
		})
	}
}

// checkStatusLines sends GET paths[i] one after another on one connection
// to addr and checks each answer's status line is wants[i] (the standard
// text on the net/http front, which sends no other: docs/policies.md) and
// that no reason split the head; more, when not nil, checks each answer
// further.
func checkStatusLines(t *testing.T, addr string, paths, wants []string, more func(path string, resp *http.Response)) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(testTimeout))
	br := bufio.NewReader(c)
	for i, path := range paths {
		if _, err := c.Write([]byte("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		want := wants[i]
		if h1test.Front() == "nethttp" {
			code, _, _ := strings.Cut(want, " ")
			n, _ := strconv.Atoi(code)
			want = code + " " + http.StatusText(n)
		}
		if resp.Status != want {
			t.Errorf("GET %s: status line %q, want %q", path, resp.Status, want)
		}
		if resp.Header.Get("X-Evil") != "" {
			t.Errorf("GET %s: the reason split the head: X-Evil %q", path, resp.Header.Get("X-Evil"))
		}
		if more != nil {
			more(path, resp)
		}
	}
}
