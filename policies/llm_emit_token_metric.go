package policies

import (
	"context"

	"tollgate/engine"
)

// <llm-emit-token-metric namespace="MyLLM">
//
//	<dimension name="API ID" />
//
// </llm-emit-token-metric>
// (azure-openai-emit-token-metric is the same element.) Once the answer has
// been sent, its tokens go to the Prometheus counter llm_tokens_total, one
// series per type (prompt, completion, total) and dimension values: the
// backend's usage when it reports one, else the prompt's estimate and one
// token per streamed delta. A request with a MetricSink (an
// applicationinsights diagnostic with metrics) hands them to it too, as
// Prompt Tokens, Completion Tokens and Total Tokens.
type llmEmitTokenMetric struct {
	add  func(v float64, values ...string) bool
	ns   string
	dims []metricDim
}

func (k *kit) parseLLMEmitTokenMetric(p *engine.Parser) engine.Step {
	m := &llmEmitTokenMetric{ns: p.LitStr("namespace", "API Management")}
	var labels []string
	m.dims, labels = parseDimensions(p, p.Node().Name)
	if len(m.dims) == 0 {
		p.Errorf("<%s> needs at least one <dimension> (as in APIM)", p.Node().Name)
	}
	if k.metrics == nil {
		p.Errorf("<%s> needs the gateway's metrics (this build of the registry has none)", p.Node().Name)
		return m
	}
	add, err := k.metrics.Counter("llm_tokens_total", "LLM tokens consumed (llm-emit-token-metric), by type: prompt, completion, total.",
		append([]string{"type"}, labels...))
	if err != nil {
		p.Errorf("%v", err)
	}
	m.add = add
	return m
}

func (m *llmEmitTokenMetric) Run(_ context.Context, s *engine.State) error {
	if m.add == nil {
		return nil
	}
	// Dimension values are taken now, from the request as it came in.
	values, err := dimValues(s, m.ns, m.dims)
	if err != nil {
		return err
	}
	req := readLLMRequest(s)
	sink, _ := s.Private(MetricSinkKey{}).(MetricSink)
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
	s.AtEnd(func(context.Context, *engine.State) {
		if uc == nil {
			return
		}
		u := uc.result(req.estimatedPrompt)
		for _, c := range []struct {
			typ, name string
			n         int64
		}{{"prompt", "Prompt Tokens", u.Prompt}, {"completion", "Completion Tokens", u.Completion}, {"total", "Total Tokens", u.Total}} {
			m.add(float64(c.n), append([]string{c.typ}, values...)...)
			if sink != nil { // Application Insights (gateway/diagnostics.go): APIM's metric names
				sink(m.ns, c.name, float64(c.n), dimPairs(m.dims, values))
			}
		}
	})
	return nil
}
