package policies

import (
	"context"
	"net/http"
	"net/textproto"
	"strconv"
	"time"

	"tollgate/engine"
	"tollgate/store"
)

// <llm-token-limit counter-key="@(context.Request.IpAddress)" tokens-per-minute="5000"
//
//	token-quota="10000" token-quota-period="Hourly|Daily|Weekly|Monthly|Yearly"
//	estimate-prompt-tokens="false" retry-after-header-name="Retry-After" retry-after-variable-name="…"
//	remaining-tokens-header-name="…" remaining-tokens-variable-name="…"
//	remaining-quota-tokens-header-name="…" remaining-quota-tokens-variable-name="…"
//	tokens-consumed-variable-name="…"/>
//
// (azure-openai-token-limit is the same element.) Before forwarding, the
// key's token counters are checked (with the prompt's estimate when asked,
// or when the request streams); once the answer has been sent, the tokens
// it consumed — the backend's usage, or the estimate plus one token per
// streamed delta — are added. See docs/policies-ai.md.
type llmTokenLimit struct {
	limitBase
	key            engine.Str
	tpm            engine.Int
	hasTPM         bool
	quota          engine.Int
	hasQuota       bool
	period         time.Duration
	estimate       bool
	retryHeader    string
	retryVar       string
	remHeader      string
	remVar         string
	remQuotaHeader string
	remQuotaVar    string
	consumedVar    string
	consumedHeader string
}

// Token limit reasons (tollgate's names: APIM documents only the statuses).
const (
	ReasonTokenLimitExceeded = "TokenLimitExceeded"
	ReasonTokenQuotaExceeded = "TokenQuotaExceeded"
)

var quotaPeriods = map[string]time.Duration{
	"Hourly": time.Hour, "Daily": 24 * time.Hour, "Weekly": 7 * 24 * time.Hour,
	"Monthly": 30 * 24 * time.Hour, "Yearly": 365 * 24 * time.Hour,
}

func (k *kit) parseLLMTokenLimit(p *engine.Parser) engine.Step {
	l := &llmTokenLimit{
		limitBase:      k.newLimitBase(p),
		key:            parseCounterKey(p),
		estimate:       p.LitBool("estimate-prompt-tokens", false),
		retryHeader:    p.LitStr("retry-after-header-name", "Retry-After"),
		retryVar:       p.LitStr("retry-after-variable-name", ""),
		remHeader:      p.LitStr("remaining-tokens-header-name", ""),
		remVar:         p.LitStr("remaining-tokens-variable-name", ""),
		remQuotaHeader: p.LitStr("remaining-quota-tokens-header-name", ""),
		remQuotaVar:    p.LitStr("remaining-quota-tokens-variable-name", ""),
		consumedVar:    p.LitStr("tokens-consumed-variable-name", ""),
	}
	if p.Has("tokens-per-minute") {
		l.hasTPM = true
		l.tpm = p.Int("tokens-per-minute", 0, 1, maxCalls)
	}
	if p.Has("token-quota") || p.Has("token-quota-period") {
		l.hasQuota = true
		l.quota = p.RequiredInt("token-quota", 1, 1<<50)
		if !l.quota.IsConst() {
			// APIM's reference says token-quota takes no expression, yet an
			// extract of a live instance holds one (APIM saved it): it
			// loads, evaluated per request, with a notice.
			p.Noticef("<%s token-quota> is an expression: APIM's documentation says the attribute takes none (its management API saved one in a deployed policy); tollgate evaluates it on every request", p.Node().Name)
		}
		per := p.RequiredLitStr("token-quota-period", "Hourly", "Daily", "Weekly", "Monthly", "Yearly")
		l.period = quotaPeriods[per]
	}
	if !l.hasTPM && !p.Has("token-quota") && !p.Has("token-quota-period") {
		p.Errorf("<%s> needs tokens-per-minute, or token-quota with token-quota-period", p.Node().Name)
	}
	if h := p.LitStr("tokens-consumed-header-name", ""); h != "" {
		l.consumedHeader = textproto.CanonicalMIMEHeaderKey(h)
	}
	l.policy = "llm-token-limit"
	return l
}

// keys are the store keys of the two counters: by counter-key alone, shared
// by every policy and scope that uses it, as in APIM.
func (l *llmTokenLimit) keys(key string) (tpm, quota string) {
	return "llmtpm:" + key, "llmq:" + strconv.FormatInt(int64(l.period/time.Second), 10) + ":" + key
}

func (l *llmTokenLimit) Run(ctx context.Context, s *engine.State) error {
	key, err := l.key.Eval(s)
	if err != nil {
		return err
	}
	var tpm int64
	if l.hasTPM {
		if tpm, err = l.tpm.Eval(s); err != nil {
			return err
		}
	}
	var quota int64
	if l.hasQuota {
		if quota, err = l.quota.Eval(s); err != nil {
			return err
		}
	}
	req := readLLMRequest(s)
	prompt := int64(0)
	if l.estimate || req.stream {
		prompt = req.estimatedPrompt
	}
	if l.consumedVar != "" {
		s.Variables()[l.consumedVar] = prompt
	}
	tk, qk := l.keys(key)
	st := l.k.store
	if l.hasTPM {
		d, err := st.RateLimit(ctx, tk, tpm, time.Minute, 0)
		if err != nil {
			if ferr := l.storeFailed(err); ferr != nil {
				return ferr
			}
		} else {
			if !d.Allowed || prompt > d.Remaining {
				return l.refuse(s, ReasonTokenLimitExceeded, http.StatusTooManyRequests, "Token limit is exceeded.", d)
			}
			l.remaining(s, l.remHeader, l.remVar, d.Remaining-prompt)
		}
	}
	if quota > 0 {
		d, err := st.Quota(ctx, qk, quota, l.period, time.Unix(0, 0), 0)
		if err != nil {
			if ferr := l.storeFailed(err); ferr != nil {
				return ferr
			}
		} else {
			if !d.Allowed || prompt > d.Remaining {
				return l.refuse(s, ReasonTokenQuotaExceeded, http.StatusForbidden, "Token quota is exceeded.", d)
			}
			l.remaining(s, l.remQuotaHeader, l.remQuotaVar, d.Remaining-prompt)
		}
	}
	// A complete (not streamed) answer is read when it arrives, for the
	// tokens-consumed header and variable that outbound sees.
	if l.consumedHeader != "" || l.consumedVar != "" {
		s.OnBackendResponse(func(s *engine.State) {
			r := s.Context().Response
			ct := r.Headers.GetValueOrDefault("Content-Type", "")
			if mediaType(ct) == "text/event-stream" {
				return // known only once streamed
			}
			data, err := r.Body.Bytes()
			if err != nil {
				return
			}
			c := newUsageCounter(ct)
			c.write(data)
			n := c.result(prompt).Total
			if l.consumedVar != "" {
				s.Variables()[l.consumedVar] = n
			}
			if l.consumedHeader != "" {
				r.Headers[l.consumedHeader] = []string{strconv.FormatInt(n, 10)}
			}
		})
	}
	// Count what the answer consumes once it has been sent.
	var uc *usageCounter
	s.ObserveResponseBody(func(p []byte) {
		if uc == nil {
			ct := ""
			if r := s.Context().Response; r != nil {
				ct = r.Headers.GetValueOrDefault("Content-Type", "")
			}
			uc = newUsageCounter(ct)
		}
		uc.write(p)
	})
	estimate := req.estimatedPrompt
	s.AtEnd(func(ctx context.Context, s *engine.State) {
		if uc == nil {
			return // no answer from the backend (refused, failed): nothing consumed
		}
		u := uc.result(estimate)
		if l.consumedVar != "" {
			s.Variables()[l.consumedVar] = u.Total
		}
		if u.Total <= 0 {
			return
		}
		if l.hasTPM {
			l.add(func(n int64) (store.Decision, error) { return st.RateLimit(ctx, tk, tpm, time.Minute, n) }, u.Total)
		}
		if quota > 0 {
			l.add(func(n int64) (store.Decision, error) { return st.Quota(ctx, qk, quota, l.period, time.Unix(0, 0), n) }, u.Total)
		}
	})
	return nil
}

// add counts n tokens. A call that overshoots the limit fills the counter
// to it instead (the store refuses adds past the limit), so the next
// requests are refused until the window frees up.
func (l *llmTokenLimit) add(call func(n int64) (store.Decision, error), n int64) {
	d, err := call(n)
	if err != nil {
		l.laterFailure("counting tokens", err)
		return
	}
	if !d.Allowed && d.Remaining > 0 {
		if _, err := call(d.Remaining); err != nil {
			l.laterFailure("counting tokens", err)
		}
	}
}

// remaining sets the remaining-*-tokens header and variable: what is left
// after this execution of the policy, i.e. the counter's remainder less
// the prompt's estimate when the prompt is estimated (estimate-prompt-tokens,
// or a streamed request), as APIM's pages describe it ("after each policy
// execution"; with estimating off, "calculated using the actual token usage
// from the response"). The completion is not known yet; outbound sees the
// same value (the policy runs in inbound only). See docs/policies-ai.md.
func (l *llmTokenLimit) remaining(s *engine.State, header, variable string, n int64) {
	if header != "" {
		s.SetResponseHeader(header, strconv.FormatInt(n, 10))
	}
	if variable != "" {
		s.Variables()[variable] = n
	}
}

func (l *llmTokenLimit) refuse(s *engine.State, reason string, status int, msg string, d store.Decision) error {
	secs := retrySeconds(d.RetryAfter)
	if l.retryVar != "" {
		s.Variables()[l.retryVar] = secs
	}
	s.Tracef("%s: retry after %ds", reason, secs)
	return limitError(reason, status, msg, l.retryHeader, secs)
}
