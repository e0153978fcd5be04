package policies

import "tollgate/engine"

// Placeholder until the limit policies land (being written now).
func (d *Deps) parseRateLimit(p *engine.Parser) engine.Step {
	p.Errorf("<rate-limit> is not implemented yet")
	return nil
}

func (d *Deps) parseRateLimitByKey(p *engine.Parser) engine.Step {
	p.Errorf("<rate-limit-by-key> is not implemented yet")
	return nil
}
