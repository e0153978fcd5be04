package gateway

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"net/http"
	"testing"

	"tollgate/gateway/wsproxy"
)

// FuzzClientUpgrade feeds raw request heads to the client side of the
// upgrade: net/http's request parser, the path normaliser and
// wsproxy.CheckRequest. An accepted upgrade has a valid key and a
// normalised path; after isUpgrade, wsproxy.CheckUpgrade answers as
// CheckRequest does.
func FuzzClientUpgrade(f *testing.F) {
	for _, s := range []string{
		"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
		"GET /a/../b HTTP/1.1\r\nHost: a\r\nUpgrade: WebSocket\r\nConnection: keep-alive, upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n\r\n",
		"GET /%2e%2e/x HTTP/1.1\r\nHost: a\r\nSec-WebSocket-Key: a\r\nSec-WebSocket-Key: b\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return
		}
		u, uerr := normalizeRequestURL(r.URL)
		key, err := wsproxy.CheckRequest(r)
		if isUpgrade(r) { // serveWebSocket's order: CheckUpgrade after isUpgrade
			k2, err2 := wsproxy.CheckUpgrade(r)
			if k2 != key || (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
				t.Fatalf("CheckUpgrade %q, %v; CheckRequest %q, %v", k2, err2, key, err)
			}
		}
		if err != nil {
			return
		}
		if b, err := base64.StdEncoding.DecodeString(key); err != nil || len(b) != 16 {
			t.Fatalf("accepted key %q", key)
		}
		if !isUpgrade(r) {
			t.Fatalf("accepted a request isUpgrade refuses")
		}
		if uerr == nil {
			if again, err := normalizePath(u.EscapedPath()); err != nil || again != u.EscapedPath() {
				t.Fatalf("path %q normalises to %q, %v", u.EscapedPath(), again, err)
			}
		}
	})
}
