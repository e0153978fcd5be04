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
// dial and wait on the loop (Server.onLoop), or a WebSocket handshake to
// an API whose handshake never blocks but for its dial
// (API.HandshakeInline) on a server whose dialer can read the backend's
// 101 on the loop and whose relay takes sockets (Server.hsOnLoop): its
// dial then stays on the loop or releases the task itself
// (wsproxy.Dialer.DialCheckedOn). A released request goes on
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
	if api.servesWebSocket(r) {
		if s.hsOnLoop && api.HandshakeInline() {
			return t // the dial stays on the loop, or releases t (dial)
		}
	} else if s.onLoop && api.RunsInline() {
		return t
	}
	t.Release()
	return nil
}

// heldLoop counts a request that ran on its loop and that the loops'
// watchdog moved off it for holding the loop too long (forced is the
// task's count before the request). Either the request kept the loop (a
// policy that blocks although it was classified as never blocking, long
// work on the CPU) or the loop's thread did not run for that long (a busy
// machine's scheduler, a garbage collection assist): a few requests in
// ten thousand on a saturated machine, whatever their policy. So an API
// is logged, once, only when its moved requests are at least
// heldWarnMin and one in heldWarnRatio of its requests. A request that
// was not moved costs one atomic load here: the API's request count is
// read from its duration histogram only when one was.
func (s *Server) heldLoop(t *evloop.Task, forced int, api *API) {
	if t.Forced() == forced {
		return
	}
	rt := s.runtimeOf(api)
	rt.metrics.m.LoopHeld.WithLabelValues(api.Name).Inc()
	held := rt.held.Add(1)
	if rt.heldLogged.Load() {
		return
	}
	if n := rt.metrics.requestCount(); heldWarn(held, n) && rt.heldLogged.CompareAndSwap(false, true) {
		s.log.Warn("requests hold their event loop too long and are moved off it: a policy of the API blocks or works long on the CPU (tollgate_event_loop_held_total counts them; see docs/http-server.md)",
			zap.String("api", api.Name), zap.Int64("moved", held), zap.Int64("requests", n))
	}
}

// When heldLoop logs an API: at least this many requests moved off their
// loop, and at least one in this many of its requests.
const (
	heldWarnMin   = 20
	heldWarnRatio = 100
)

// heldWarn reports whether held moved requests of an API's requests call
// for the warning.
func heldWarn(held, requests int64) bool {
	return held >= heldWarnMin && held*heldWarnRatio >= requests
}
