package gateway

import (
	"sort"
	"time"

	"github.com/coder/websocket"

	"go.uber.org/zap"

	"tollgate/gateway/wsproxy"
)

// Reload results.
const (
	ReloadSuccess   = "success"
	ReloadFailure   = "failure"
	ReloadUnchanged = "unchanged"
)

// ReloadStatus is the outcome of the last reload, served at /status/reload.
type ReloadStatus struct {
	// Time is when the reload started.
	Time time.Time `json:"time"`
	// Trigger is what asked for it: startup, watch, SIGHUP.
	Trigger string `json:"trigger"`
	// Result is success (swapped in), failure (nothing changed; see
	// Errors) or unchanged (the parsed content is the running one).
	Result string `json:"result"`
	// Errors are the load errors, one "file:line:col: message" each.
	Errors []string `json:"errors,omitempty"`
	// ConfigHash is the hash of the configuration served after this
	// reload: the new one on success, the running one otherwise.
	ConfigHash string `json:"config_hash"`
	// PreviousHash is the hash served before this reload ("" at startup).
	PreviousHash string `json:"previous_hash,omitempty"`
	// Duration is the reload itself: reading, compiling, swapping.
	Duration string `json:"duration"`
	// APIs is how many APIs are served after this reload.
	APIs int `json:"apis"`
	// Changed lists the APIs added, changed or removed by a successful
	// reload, as "+name", "~name", "-name".
	Changed []string `json:"changed,omitempty"`
	// Events is how many file events the watcher folded into this reload
	// (watch trigger only).
	Events int `json:"events,omitempty"`
	// EventToSwap is the time from the first file event of the burst to
	// the end of the reload (the swap, for a success): debounce included
	// (watch trigger only).
	EventToSwap string `json:"event_to_swap,omitempty"`

	eventToSwap time.Duration
	err         error
}

// Reload builds a new snapshot from the apis folder aside and swaps it in
// only when everything loads. On any error the running snapshot stays and
// each error is logged as file:line:col: message. A reload whose parsed
// content is unchanged does nothing. Requests and sessions in flight keep
// the snapshot they started with.
func (s *Server) Reload(trigger string) *ReloadStatus { return s.reload(trigger, nil) }

// reload is Reload; burst describes the file events behind a watch reload.
func (s *Server) reload(trigger string, burst *watchBurst) *ReloadStatus {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	s.sessions.setOnAdd(s.lateSession) // from the first (startup) reload on
	t0 := time.Now()
	old := s.current.Load()
	snap, errs := Load(s.opt.Dir, s.opt.Registry, LoadOptions{Getenv: s.opt.Getenv, Previous: old, SubscriptionKeys: s.opt.SubscriptionKeys,
		Overrides: s.opt.Overrides, NamedValuesFile: s.opt.NamedValuesFile, Transport: s.transport, Certificates: s.opt.Certificates,
		LocalSubscriptions: s.localSubscriptions(), LocalStore: s.localStore(), Loggers: s.opt.Loggers,
		Gateway: s.opt.Gateway, Workspaces: s.opt.Workspaces, KeyVault: s.opt.KeyVault, Credentials: s.opt.Credentials})
	st := &ReloadStatus{Time: t0, Trigger: trigger}
	if old != nil {
		st.PreviousHash = old.Hash
	}
	// since is the time from the first file event to now: called right
	// after the swap (or the decision not to swap).
	since := func() {
		st.Duration = time.Since(t0).String()
		if burst != nil {
			st.Events = burst.events
			st.eventToSwap = time.Since(burst.first)
			st.EventToSwap = st.eventToSwap.String()
			s.metrics.ReloadEventToSwap.Observe(st.eventToSwap.Seconds())
		}
	}
	switch {
	case len(errs) > 0:
		st.Result = ReloadFailure
		since()
		for _, e := range errs {
			st.Errors = append(st.Errors, e.Error())
			s.log.Error("config error", zap.String("error", e.Error()))
		}
		st.err = errs
		if snap != nil {
			snap.loggers.Discard()
		}
		if old != nil {
			st.ConfigHash, st.APIs = old.Hash, len(old.APIs)
			s.log.Warn("reload failed; still serving the previous configuration",
				zap.String("trigger", trigger), zap.Int("errors", len(errs)), zap.String("config_hash", old.Hash))
		}
	case old != nil && old.Hash == snap.Hash:
		snap.loggers.Discard()
		since()
		st.Result, st.ConfigHash, st.APIs = ReloadUnchanged, old.Hash, len(old.APIs)
		s.log.Debug("reload: nothing changed", zap.String("trigger", trigger), zap.Int("events", st.Events))
	default:
		s.setDeployment(snap.Gateway)
		s.prepareServed(snap)
		s.current.Store(snap)
		snap.loggers.Commit()     // start its new loggers, stop those it dropped
		snap.credentials.Commit() // forget the connection states no served set uses
		since()
		st.Result, st.ConfigHash, st.APIs = ReloadSuccess, snap.Hash, len(snap.APIs)
		st.Changed = changedAPIs(old, snap)
		s.metrics.LastReloadSuccess.Set(float64(time.Now().Unix()))
		s.metrics.ConfigInfo.Reset()
		s.metrics.ConfigInfo.WithLabelValues(snap.Hash).Set(1)
		for _, a := range snap.APIs {
			if old != nil && old.API(a.Name) != nil && old.API(a.Name).Hash == a.Hash {
				continue // log only what this reload added or changed
			}
			s.log.Info("api", zap.String("api", a.Name), zap.String("type", a.Type), zap.String("path", a.Path),
				zap.String("service_url", a.Info.ServiceUrl))
		}
		fields := []zap.Field{zap.String("trigger", trigger), zap.String("config_hash", snap.Hash),
			zap.Int("apis", len(snap.APIs)), zap.Strings("changed", st.Changed), zap.String("took", st.Duration)}
		if burst != nil {
			fields = append(fields, zap.Int("events", st.Events), zap.Duration("event_to_swap", st.eventToSwap))
		}
		s.log.Info("configuration loaded", fields...)
		logNotices(s.log, old, snap)
		if old != nil {
			s.drainChanged(snap)
		}
	}
	s.metrics.Reloads.WithLabelValues(st.Result).Inc()
	s.lastReload.Store(st)
	return st
}

// LastReload returns the last reload's outcome.
func (s *Server) LastReload() *ReloadStatus { return s.lastReload.Load() }

// changedAPIs lists what a swap changed: "+name" added, "~name" changed,
// "-name" removed, sorted by name.
func changedAPIs(old, snap *Snapshot) []string {
	if old == nil {
		return nil
	}
	var out []string
	for _, a := range snap.APIs {
		switch o := old.API(a.Name); {
		case o == nil:
			out = append(out, "+"+a.Name)
		case o.Hash != a.Hash:
			out = append(out, "~"+a.Name)
		}
	}
	for _, o := range old.APIs {
		if snap.API(o.Name) == nil {
			out = append(out, "-"+o.Name)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][1:] < out[j][1:] })
	return out
}

// drainChanged closes, with 1012 (service restart), the open sessions of
// the APIs that opted into drain-on-change (in the new configuration) and
// whose configuration this reload changed (the session's API hash differs
// from the new one): after DrainAfter, spread evenly over DrainWindow so
// clients do not all reconnect at once. The client sees 1012 and should
// reconnect, and its new handshake runs the new policy.
//
// Never touched: sessions of APIs without the option, of unchanged APIs,
// and of APIs the reload removed (or renamed): those have no new plan to be
// re-checked against, and closing them would turn a config edit into an
// outage, so they finish under the plan they started with. A session
// already scheduled by an earlier reload keeps its first deadline.
func (s *Server) drainChanged(snap *Snapshot) {
	for name := range s.sessions.apis() {
		a := snap.API(name)
		if a == nil || !a.Limits.DrainOnChange {
			continue // removed: finishes under its old plan; or not opted in
		}
		limits := a.Limits
		stale := s.sessions.stale(name, a.Hash)
		if len(stale) == 0 {
			continue
		}
		s.log.Info("draining sessions of a changed API", zap.String("api", name), zap.Int("sessions", len(stale)),
			zap.Duration("after", limits.DrainAfter), zap.Duration("window", limits.DrainWindow))
		step := time.Duration(0)
		if len(stale) > 1 {
			step = limits.DrainWindow / time.Duration(len(stale)-1)
		}
		for i, sess := range stale {
			s.scheduleDrain(sess, limits.DrainAfter+time.Duration(i)*step)
		}
	}
}

// scheduleDrain closes sess with 1012 after delay, unless by then a later
// reload reverted the change, removed the API or turned the option off.
func (s *Server) scheduleDrain(sess *session, delay time.Duration) {
	time.AfterFunc(delay, func() {
		if s.drainTarget(sess) == nil {
			s.sessions.unmarkDraining(sess)
			return
		}
		if sess.ctx.Err() == nil {
			s.metrics.Drained.WithLabelValues(sess.api).Inc()
		}
		sess.ctx.Cancel(&wsproxy.CloseCause{Code: websocket.StatusServiceRestart, Reason: "service restart: configuration changed"})
	})
}

// lateSession sees every new session. A handshake that loaded the snapshot
// just before a swap registers its session with the old hash, possibly
// after drainChanged looked: if its API opted in and has changed since, it
// is drained at the end of the drain window.
func (s *Server) lateSession(sess *session) {
	cur := s.drainTarget(sess)
	if cur == nil || !s.sessions.markDraining(sess) {
		return
	}
	s.scheduleDrain(sess, cur.Limits.DrainAfter+cur.Limits.DrainWindow)
}

// drainTarget returns sess's API in the served configuration when sess is
// to be drained (the API opted in and changed since sess started), else
// nil (removed, reverted, or the option is off).
func (s *Server) drainTarget(sess *session) *API {
	cur := s.current.Load().API(sess.api)
	if cur == nil || cur.Hash == sess.hash || !cur.Limits.DrainOnChange {
		return nil
	}
	return cur
}

// logNotices reports what the new configuration holds that tollgate
// ignores (Azure-only settings), once: the ones the old one had too were
// reported already.
func logNotices(log *zap.Logger, old, snap *Snapshot) {
	seen := map[string]bool{}
	if old != nil {
		for _, n := range old.Notices {
			seen[n] = true
		}
	}
	for _, n := range snap.Notices {
		if !seen[n] {
			log.Warn("ignored", zap.String("what", n))
		}
	}
}
