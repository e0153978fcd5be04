package gateway_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestPipelinedAfterUpgrade: an HTTP request sent right after a WebSocket
// handshake, in the same write, is never read as a request (it would
// reach another API past its policies): after the 101 those bytes are
// frames, and "GET …" is not a valid one (reserved bits, reserved
// opcode), so the client is closed with 1002 and the other API's backend
// never sees a request. The backend's handshake was the only one.
func TestPipelinedAfterUpgrade(t *testing.T) {
	ws := newWSBackend(t)
	var otherCalls atomic.Int64
	other := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) { otherCalls.Add(1) })
	dir := wsAPI(t, ws.url, "", "")
	writeAPI(t, dir, "other", `type="http" path="/other" service-url="`+other.URL+`"`, "")
	g := startGateway(t, dir)
	c, err := net.Dial("tcp", strings.TrimPrefix(g.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(testTimeout))
	fmt.Fprint(c, "GET /chat HTTP/1.1\r\nHost: gw\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"+
		"GET /other/x HTTP/1.1\r\nHost: gw\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	rest, _ := io.ReadAll(br) // the gateway closes the connection
	if len(rest) < 4 || rest[0] != 0x88 || rest[2] != 0x03 || rest[3] != 0xea {
		t.Fatalf("after the 101: %q, want a close frame with 1002", rest)
	}
	if strings.Contains(string(rest), "HTTP/1.1") {
		t.Fatalf("an HTTP answer after the 101: %q", rest)
	}
	if n := otherCalls.Load(); n != 0 {
		t.Fatalf("the other API's backend got %d requests", n)
	}
	if n := ws.handshakes.Load(); n != 1 {
		t.Fatalf("%d backend handshakes", n)
	}
}
