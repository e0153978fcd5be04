package gateway

import (
	"net/http"

	"tollgate/gateway/internal/evloop"
)

// leaveLoopUnless releases the event-loop task serving r (h1.Server with
// EventLoop; none with a goroutine per connection or net/http's server)
// unless the request is a REST call to an API whose whole path never
// blocks (API.RunsInline, inline.go) on a server whose backend client can
// dial and wait on the loop (Server.onLoop). A released request goes on
// as an ordinary goroutine: a call-out, a Redis store, a WebSocket
// handshake's backend dial, anything that waits, waits there without
// holding up the loop's other connections. It comes back to the loop at
// its next wait on the client's or a loop backend connection.
func (s *Server) leaveLoopUnless(r *http.Request, api *API) {
	t := evloop.TaskFrom(r.Context())
	if t == nil {
		return
	}
	if s.onLoop && api.Type != "websocket" && api.RunsInline() {
		return
	}
	t.Release()
}
