package gateway

import (
	"time"

	"go.uber.org/zap"

	"tollgate/engine"
)

// Reload results.
const (
	ReloadSuccess   = "success"
	ReloadFailure   = "failure"
	ReloadUnchanged = "unchanged"
)

// ReloadStatus is the outcome of the last reload, served at /status/reload.
type ReloadStatus struct {
	Time       time.Time `json:"time"`
	Trigger    string    `json:"trigger"`
	Result     string    `json:"result"`
	Errors     []string  `json:"errors,omitempty"`
	ConfigHash string    `json:"config_hash"`
	Duration   string    `json:"duration"`
	APIs       int       `json:"apis"`
	err        error
}

// Reload builds a new snapshot from the apis folder aside and swaps it in
// only when everything loads. On any error the running snapshot stays and
// each error is logged as file:line:col: message. A reload whose parsed
// content is unchanged does nothing. Requests and sessions in flight keep
// the snapshot they started with.
func (s *Server) Reload(trigger string) *ReloadStatus {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	t0 := time.Now()
	snap, errs := Load(s.opt.Dir, s.opt.Registry, LoadOptions{Getenv: s.opt.Getenv})
	st := &ReloadStatus{Time: t0, Trigger: trigger}
	old := s.current.Load()
	switch {
	case len(errs) > 0:
		st.Result = ReloadFailure
		for _, e := range errs {
			st.Errors = append(st.Errors, e.Error())
			s.log.Error("config error", zap.String("error", e.Error()))
		}
		st.err = errs
		if old != nil {
			st.ConfigHash, st.APIs = old.Hash, len(old.APIs)
			s.log.Warn("reload failed; still serving the previous configuration",
				zap.String("trigger", trigger), zap.Int("errors", len(errs)), zap.String("config_hash", old.Hash))
		}
	case old != nil && old.Hash == snap.Hash:
		st.Result, st.ConfigHash, st.APIs = ReloadUnchanged, old.Hash, len(old.APIs)
		s.log.Debug("reload: nothing changed", zap.String("trigger", trigger))
	default:
		s.current.Store(snap)
		st.Result, st.ConfigHash, st.APIs = ReloadSuccess, snap.Hash, len(snap.APIs)
		s.metrics.LastReloadSuccess.Set(float64(time.Now().Unix()))
		s.metrics.ConfigInfo.Reset()
		s.metrics.ConfigInfo.WithLabelValues(snap.Hash).Set(1)
		for _, a := range snap.APIs {
			s.log.Info("api", zap.String("api", a.Name), zap.String("type", a.Type), zap.String("path", a.Path),
				zap.String("service_url", engine.RedactURL(a.ServiceURL.String())))
		}
		s.log.Info("configuration loaded", zap.String("trigger", trigger), zap.String("config_hash", snap.Hash),
			zap.Int("apis", len(snap.APIs)), zap.Duration("took", time.Since(t0)))
		if old != nil {
			s.drainChanged(snap)
		}
	}
	st.Duration = time.Since(t0).String()
	s.metrics.Reloads.WithLabelValues(st.Result).Inc()
	s.lastReload.Store(st)
	return st
}

// LastReload returns the last reload's outcome.
func (s *Server) LastReload() *ReloadStatus { return s.lastReload.Load() }

// drainChanged closes, with 1012 (service restart), the sessions of APIs
// that opted into drain-on-change and whose config changed or vanished:
// after DrainAfter, spread evenly over DrainWindow so clients do not all
// reconnect at once. Other sessions are never touched.
func (s *Server) drainChanged(snap *Snapshot) {
	s.sessions.mu.Lock()
	apis := map[string]string{}
	for sess := range s.sessions.m {
		apis[sess.api] = ""
	}
	s.sessions.mu.Unlock()
	for name := range apis {
		a := snap.API(name)
		var limits Limits
		hash := ""
		if a != nil {
			limits, hash = a.Limits, a.Hash
		} else {
			continue // removed APIs: their sessions finish under their old plan
		}
		if !limits.DrainOnChange {
			continue
		}
		stale := s.sessions.stale(name, hash)
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
			sess := sess
			time.AfterFunc(limits.DrainAfter+time.Duration(i)*step, func() {
				if sess.ctx.Err() == nil {
					s.metrics.Drained.WithLabelValues(name).Inc()
				}
				sess.cancel(&CloseCause{Code: 1012, Reason: "service restart: configuration changed"})
			})
		}
	}
}
