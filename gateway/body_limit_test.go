package gateway_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestOutboundReadOverLimitRelaysWhole: an outbound policy that reads a
// backend answer over max-body-size and goes on (cache-store does not
// store it) leaves the answer to reach the client whole, whether the
// backend gave its length or chunked it; a policy that fails on it fails
// the request as before.
func TestOutboundReadOverLimitRelaysWhole(t *testing.T) {
	payload := strings.Repeat("0123456789", 100) // 1000 bytes over a 100-byte limit
	rb := newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("len") == "1" {
			w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
		}
		w.Write([]byte(payload[:500]))
		w.(http.Flusher).Flush() // without a length: chunked
		w.Write([]byte(payload[500:]))
	})
	for _, tc := range []struct {
		name, outbound string
		status         int
		body           string
	}{
		{"cache-store skips it", `<cache-store duration="10"/>`, 200, payload},
		{"a failing read fails the request", `<set-variable name="b" value="@(context.Response.Body.As<string>(preserveContent: true))"/>`, 500, ""},
	} {
		dir := restAPI(t, rb.url, `max-body-size="100"`, `<policies><inbound><cache-lookup vary-by-developer="false" vary-by-developer-groups="false"/></inbound>
<backend><forward-request/></backend><outbound>`+tc.outbound+`</outbound><on-error/></policies>`)
		g := startGateway(t, dir)
		for _, q := range []string{"?len=1", "?len=0"} {
			t.Run(tc.name+q, func(t *testing.T) {
				resp, body := get(t, g.url+"/orders/x"+q, nil)
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
				}
				if tc.body != "" && body != tc.body {
					t.Fatalf("body of %d bytes, want the backend's %d", len(body), len(tc.body))
				}
			})
		}
	}
}
