package policies

import (
	"context"

	"tollgate/engine"
)

// <publish-event>
//
//	<targets> <graphql-subscription id="onUserCreated"/> … </targets>
//
// </publish-event>
//
// In a synthetic GraphQL API's resolver (http-data-source's http-response):
// publishes the resolver's answer as it stands (context.Response's body,
// after the policies before it) to the clients subscribed to each target,
// a field of the schema's Subscription type. The gateway checks the
// targets against the schema at load and delivers the events
// (gateway/graphql_subscriptions.go); the policy only hands them over.
type publishEvent struct {
	targets []string
	pos     []engine.Pos // of each target's id
}

func (k *kit) parsePublishEvent(p *engine.Parser) engine.Step {
	pe := &publishEvent{}
	if p.Scope() != "resolver" {
		p.Errorf("<publish-event> belongs in the <http-response> of a synthetic GraphQL API's resolver (docs/graphql.md)")
		skipAll(p)
		return pe
	}
	sawTargets := false
	for _, n := range p.Children() {
		c := p.Child(n)
		if n.Name != "targets" || sawTargets {
			if n.Name == "targets" {
				c.Errorf("<targets> given twice inside <publish-event>")
			} else {
				c.Errorf("unexpected element <%s> inside <publish-event> (want targets)", n.Name)
			}
			skipAll(c)
			continue
		}
		sawTargets = true
		for _, m := range c.Children() {
			t := c.Child(m)
			if m.Name != "graphql-subscription" {
				t.Errorf("unexpected element <%s> inside <targets> (want graphql-subscription)", m.Name)
				skipAll(t)
				continue
			}
			if id := t.RequiredLitStr("id"); id != "" {
				pe.targets = append(pe.targets, id)
				pe.pos = append(pe.pos, m.Attr("id").ValuePos)
			}
		}
	}
	if len(pe.targets) == 0 {
		p.Errorf("<publish-event> needs <targets> with at least one <graphql-subscription id=\"…\"/>")
	}
	return pe
}

// EventPublisher delivers a published event: target is a Subscription
// field, payload the resolver's answer.
type EventPublisher func(target string, payload []byte)

type eventPublisherKey struct{}

// SetEventPublisher gives a resolver's State the gateway's publisher.
func SetEventPublisher(s *engine.State, p EventPublisher) { s.SetPrivate(eventPublisherKey{}, p) }

// PublishTarget is a subscription field a resolver's publish-event names,
// and where.
type PublishTarget struct {
	Field string
	Pos   engine.Pos
}

// PublishTargets lists the targets of the publish-event elements of a
// compiled resolver (engine.Compiler.CompileResolver), for the gateway to
// check against the schema.
func PublishTargets(b engine.Block) []PublishTarget {
	var out []PublishTarget
	for _, c := range b {
		ds, ok := c.Step.(*httpDataSource)
		if !ok {
			continue
		}
		for _, rc := range ds.response {
			if pe, ok := rc.Step.(*publishEvent); ok {
				for i, t := range pe.targets {
					out = append(out, PublishTarget{Field: t, Pos: pe.pos[i]})
				}
			}
		}
	}
	return out
}

func (pe *publishEvent) Run(_ context.Context, s *engine.State) error {
	pub, _ := s.Private(eventPublisherKey{}).(EventPublisher)
	resp := s.Context().Response
	if pub == nil || resp == nil {
		s.Tracef("no subscribers can be reached here: nothing published")
		return nil
	}
	data, err := resp.Body.Bytes()
	if err != nil {
		return engine.NewPolicyError(engine.ReasonExpression, 500, "publish-event cannot read the answer: "+err.Error(), err)
	}
	for _, t := range pe.targets {
		pub(t, data)
	}
	s.Tracef("published to %d subscription field(s)", len(pe.targets))
	return nil
}
