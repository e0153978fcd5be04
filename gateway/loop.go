package gateway

import (
	"net/http"

	"go.uber.org/zap"

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
// its next wait on the client's or a loop backend connection. It returns
// the task when the request stays on the loop, for heldLoop.
func (s *Server) leaveLoopUnless(r *http.Request, api *API) *evloop.Task {
	t := evloop.TaskFrom(r.Context())
	if t == nil {
		return nil
	}
	if s.onLoop && api.Type != "websocket" && api.RunsInline() {
		return t
	}
	t.Release()
	return nil
}

// heldLoop counts a request that ran on its loop and that the loops'
// watchdog moved off it for holding the loop too long (forced is the
// task's count before the request): a policy that blocks although it
// was classified as never blocking, or long work on the CPU. The first
// one of an API is logged.
func (s *Server) heldLoop(t *evloop.Task, forced int, api *API) {
	if t.Forced() == forced {
		return
	}
	rt := s.runtime(api.Name)
	rt.metrics.m.LoopHeld.WithLabelValues(api.Name).Inc()
	if rt.heldLogged.CompareAndSwap(false, true) {
		s.log.Warn("a request held its event loop too long and was moved off it; if this repeats, a policy of the API blocks or works long on the CPU (tollgate_event_loop_held_total counts them; see docs/http-server.md)",
			zap.String("api", api.Name))
	}
}
