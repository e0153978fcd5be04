package gateway

import (
	"net/http"

	"tollgate/gateway/internal/evloop"
)

// leaveLoopUnless releases the event-loop task serving r (h1.Server with
// EventLoop; none with a goroutine per connection or net/http's server)
// unless the request is a REST call to an API whose whole path never
// blocks (API.RunsInline, inline.go) on a server whose backend client can
// dial and wait on the loop (Server.onLoop), or a WebSocket handshake
// whose policies never block (API.HandshakeInline) on a server whose
// WebSocket dialer is tollgate's own (Server.wsOnLoop: it dials a plain
// ws backend at an IP address from the loop, and releases the task for
// anything else). A released request goes on
// as an ordinary goroutine: a call-out, a Redis store, a WebSocket
// handshake's backend dial, anything that waits, waits there without
// holding up the loop's other connections. It comes back to the loop at
// its next wait on the client's or a loop backend connection.
func (s *Server) leaveLoopUnless(r *http.Request, api *API) {
	t := evloop.TaskFrom(r.Context())
	if t == nil {
		return
	}
	if api.Type == "websocket" {
		if s.wsOnLoop && api.HandshakeInline() {
			return // the dialer dials from the loop (wsproxy.Dialer)
		}
	} else if s.onLoop && api.RunsInline() {
		return
	}
	t.Release()
}
