package policies

import (
	"context"
	"strings"

	"tollgate/engine"
)

// <check-header name="Authorization" failed-check-httpcode="401"
//
//	failed-check-error-message="Not authorized" ignore-case="true">
//	<value>…</value>
//
// </check-header>
// Without values it only checks that the header exists; otherwise any one
// value must match (a comma-separated header matches on any element).
type checkHeader struct {
	name       engine.Str
	status     int
	message    engine.Str
	ignoreCase bool
	values     []engine.Str
}

func (k *kit) parseCheckHeader(p *engine.Parser) engine.Step {
	c := &checkHeader{
		name:       p.RequiredStr("name"),
		status:     int(p.RequiredLitInt("failed-check-httpcode", 100, 599)),
		message:    p.RequiredStr("failed-check-error-message"),
		ignoreCase: p.LitBool("ignore-case", false),
	}
	if !p.Has("ignore-case") {
		// APIM's reference marks it required, yet extracts of live
		// instances hold check-header without it (APIM saved them).
		p.Noticef("<check-header> has no ignore-case: values are compared case-sensitively (APIM's documentation marks the attribute required; deployed policies show APIM accepting it without one)")
	}
	c.values = textList(p, "value")
	return c
}

// QueryBlind (engine.QueryBlind): its Go code reads the headers alone.
func (*checkHeader) QueryBlind() {}

func (c *checkHeader) Run(_ context.Context, s *engine.State) error {
	name, err := c.name.Eval(s)
	if err != nil {
		return err
	}
	h := s.Context().Request.Headers
	if !h.ContainsKey(name) {
		return c.fail(s, engine.ReasonHeaderNotFound)
	}
	if len(c.values) == 0 {
		return nil
	}
	got := h.GetValueOrDefault(name, "")
	parts := strings.Split(got, ",")
	for _, v := range c.values {
		want, err := v.Eval(s)
		if err != nil {
			return err
		}
		for _, g := range parts {
			g = strings.TrimSpace(g)
			if g == want || (c.ignoreCase && strings.EqualFold(g, want)) {
				return nil
			}
		}
		if got == want || (c.ignoreCase && strings.EqualFold(got, want)) {
			return nil
		}
	}
	return c.fail(s, engine.ReasonHeaderValue)
}

func (c *checkHeader) fail(s *engine.State, reason string) error {
	msg, err := c.message.Eval(s)
	if err != nil {
		return err
	}
	return engine.NewPolicyError(reason, c.status, msg, nil)
}
