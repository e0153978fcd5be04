package gateway

import (
	"context"
	"sync"

	"tollgate/gateway/internal/sessctx"
)

// session is one live proxied WebSocket connection.
type session struct {
	// ctx is the session's context: cancelled with a *wsproxy.CloseCause
	// by drain-on-change, with Shutdown's error by the session set, and
	// with no cause once the session is removed. The relayer's event loop
	// watches it directly (see gateway/internal/sessctx).
	ctx  sessctx.Ctx
	api  string
	hash string // the API's config hash when the session started
	// draining: a drain is scheduled (guarded by sessionSet.mu).
	draining bool
	// prev and next link the live sessions (guarded by sessionSet.mu).
	prev, next *session
}

// sessionSet tracks live sessions for shutdown and drain-on-change: a list
// linked through the sessions themselves (a session is added and removed
// without hashing anything), which Shutdown walks to cancel each.
type sessionSet struct {
	mu    sync.Mutex
	head  *session // the oldest live session
	tail  *session // the newest
	n     int
	empty chan struct{} // made by wait while sessions are live; closed when the last one goes
	// over is Shutdown's cause once it cancelled every session: a session
	// added later starts cancelled.
	over error
	// onAdd, when set, sees every new session (drain-on-change uses it to
	// catch a handshake that loaded the snapshot just before a swap).
	onAdd func(*session)
}

func (ss *sessionSet) add(api, hash string) *session {
	return ss.addIn(new(session), api, hash)
}

// addIn is add with the session's room: s, zero (a WebSocket exchange
// holds one: both live as long as the session).
func (ss *sessionSet) addIn(s *session, api, hash string) *session {
	s.api, s.hash = api, hash
	ss.mu.Lock()
	if over := ss.over; over != nil {
		s.ctx.Cancel(over)
	}
	s.prev = ss.tail
	if ss.tail != nil {
		ss.tail.next = s
	} else {
		ss.head = s
	}
	ss.tail = s
	ss.n++
	hook := ss.onAdd
	ss.mu.Unlock()
	if hook != nil {
		hook(s)
	}
	return s
}

// cancelAll cancels every live session's context with cause (Shutdown's
// error: both legs get 1001), and every one added from now on.
func (ss *sessionSet) cancelAll(cause error) {
	ss.mu.Lock()
	if ss.over == nil {
		ss.over = cause
	}
	var live []*session
	for s := ss.head; s != nil; s = s.next {
		live = append(live, s)
	}
	ss.mu.Unlock()
	for _, s := range live {
		s.ctx.Cancel(cause) // (its watchers run here: not under ss.mu)
	}
}

// setOnAdd installs the hook called for each new session.
func (ss *sessionSet) setOnAdd(f func(*session)) {
	ss.mu.Lock()
	ss.onAdd = f
	ss.mu.Unlock()
}

// markDraining marks s as scheduled for draining; false if it already was.
func (ss *sessionSet) markDraining(s *session) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if s.draining {
		return false
	}
	s.draining = true
	return true
}

// unmarkDraining records that s's scheduled drain was called off.
func (ss *sessionSet) unmarkDraining(s *session) {
	ss.mu.Lock()
	s.draining = false
	ss.mu.Unlock()
}

func (ss *sessionSet) remove(s *session) {
	s.ctx.Cancel(nil)
	ss.mu.Lock()
	if s.prev != nil {
		s.prev.next = s.next
	} else {
		ss.head = s.next
	}
	if s.next != nil {
		s.next.prev = s.prev
	} else {
		ss.tail = s.prev
	}
	s.prev, s.next = nil, nil
	ss.n--
	if ss.n == 0 && ss.empty != nil {
		close(ss.empty)
		ss.empty = nil
	}
	ss.mu.Unlock()
}

// count returns the number of live sessions.
func (ss *sessionSet) count() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.n
}

// apis returns the names of the APIs that have live sessions.
func (ss *sessionSet) apis() map[string]bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	out := map[string]bool{}
	for s := ss.head; s != nil; s = s.next {
		out[s.api] = true
	}
	return out
}

// stale returns the sessions of api whose config hash differs from hash and
// that no earlier reload already scheduled for draining, oldest first, and
// marks them as scheduled.
func (ss *sessionSet) stale(api, hash string) []*session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	var out []*session
	for s := ss.head; s != nil; s = s.next {
		if s.api == api && s.hash != hash && !s.draining {
			s.draining = true
			out = append(out, s)
		}
	}
	return out
}

// wait blocks until no session is left or ctx is done.
func (ss *sessionSet) wait(ctx context.Context) error {
	ss.mu.Lock()
	if ss.n == 0 {
		ss.mu.Unlock()
		return nil
	}
	if ss.empty == nil {
		ss.empty = make(chan struct{})
	}
	ch := ss.empty
	ss.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
