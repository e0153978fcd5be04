package gateway

import (
	"context"
	"sync"
)

// session is one live proxied WebSocket connection.
type session struct {
	api    string
	hash   string // the API's config hash when the session started
	cancel context.CancelCauseFunc
	ctx    context.Context
	// draining: a drain is scheduled (guarded by sessionSet.mu).
	draining bool
}

// sessionSet tracks live sessions for shutdown and drain-on-change.
type sessionSet struct {
	mu    sync.Mutex
	m     map[*session]struct{}
	empty chan struct{} // closed when m becomes empty; replaced when it fills
	// onAdd, when set, sees every new session (drain-on-change uses it to
	// catch a handshake that loaded the snapshot just before a swap).
	onAdd func(*session)
}

func (ss *sessionSet) init() {
	ss.m = map[*session]struct{}{}
	ss.empty = make(chan struct{})
	close(ss.empty)
}

func (ss *sessionSet) add(parent context.Context, api, hash string) *session {
	ctx, cancel := context.WithCancelCause(parent)
	s := &session{api: api, hash: hash, ctx: ctx, cancel: cancel}
	ss.mu.Lock()
	if len(ss.m) == 0 {
		ss.empty = make(chan struct{})
	}
	ss.m[s] = struct{}{}
	hook := ss.onAdd
	ss.mu.Unlock()
	if hook != nil {
		hook(s)
	}
	return s
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
	s.cancel(nil)
	ss.mu.Lock()
	delete(ss.m, s)
	if len(ss.m) == 0 {
		close(ss.empty)
	}
	ss.mu.Unlock()
}

// count returns the number of live sessions.
func (ss *sessionSet) count() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.m)
}

// apis returns the names of the APIs that have live sessions.
func (ss *sessionSet) apis() map[string]bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	out := map[string]bool{}
	for s := range ss.m {
		out[s.api] = true
	}
	return out
}

// stale returns the sessions of api whose config hash differs from hash and
// that no earlier reload already scheduled for draining, and marks them as
// scheduled.
func (ss *sessionSet) stale(api, hash string) []*session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	var out []*session
	for s := range ss.m {
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
	ch := ss.empty
	ss.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
