package gateway_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestStalledBodies: a client that announces a body and does not send it
// (a Content-Length body cut short, an Expect: 100-continue whose body
// never comes, a chunked body dripped a byte at a time) gets 408 once
// body-timeout (1 s here) has passed since the request started, and its
// connection is closed; raw sockets, whether a policy reads the body or
// the body streams to the backend. The client's own deadline (the test's)
// is far past the bound: no timing margin is asserted.
func TestStalledBodies(t *testing.T) {
	be := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			return
		}
		fmt.Fprintf(w, "got %d", n)
	})
	dir := t.TempDir()
	attrs := `type="http" path="/%s" service-url="` + be.URL + `" body-timeout="1"`
	writeAPI(t, dir, "stream", fmt.Sprintf(attrs, "stream"), "")
	writeAPI(t, dir, "reads", fmt.Sprintf(attrs, "reads"), `<policies><inbound><set-variable name="b" value="@(context.Request.Body.As&lt;string&gt;(preserveContent: true))"/></inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	g := startGateway(t, dir)
	addr := strings.TrimPrefix(g.url, "http://")
	for _, api := range []string{"stream", "reads"} {
		for _, tc := range []struct {
			name string
			head string
			drip bool // then a byte every 100 ms, forever
		}{
			{"cut short", "POST /%s/x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc", false},
			{"expect 100-continue, no body", "POST /%s/x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", false},
			{"chunked, dripped", "POST /%s/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", true},
		} {
			t.Run(api+"/"+tc.name, func(t *testing.T) {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if dl, ok := t.Deadline(); ok {
					_ = c.SetDeadline(dl.Add(-time.Second))
				}
				fmt.Fprintf(c, tc.head, api)
				stop := make(chan struct{})
				defer close(stop)
				if tc.drip {
					go func() {
						tick := time.NewTicker(100 * time.Millisecond)
						defer tick.Stop()
						for {
							select {
							case <-stop:
								return
							case <-tick.C:
								if _, err := io.WriteString(c, "1\r\nx\r\n"); err != nil {
									return
								}
							}
						}
					}()
				}
				br := bufio.NewReader(c)
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode == http.StatusContinue {
					resp, err = http.ReadResponse(br, nil)
					if err != nil {
						t.Fatal(err)
					}
				}
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusRequestTimeout {
					t.Fatalf("%d %s, want 408", resp.StatusCode, body)
				}
				if _, err := br.ReadByte(); err == nil {
					t.Fatal("the connection stayed open after the 408")
				} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
					t.Fatal("the connection stayed open after the 408 (client deadline)")
				}
			})
		}
	}
}
