package gateway

import (
	"context"
	"errors"
	"fmt"

	"tollgate/engine"
	"tollgate/policies"
)

// PolicyBackend resolves a backend entity for a policy that calls it
// itself (llm-content-safety's backend-id): the served configuration's
// backend named name, a pool resolved to one member and a member whose
// circuit breaker is open skipped, as for the request's own backend
// (pickBackend). It is the policies.BackendResolver of policies.Deps
// (tollgate serve installs it with policies.LateBackends.Set). The call's
// outcome counts in the backend's breaker and metrics.
//
// The backends are the configuration's now being served: a request still
// running on the snapshot before a reload sees the new backends.
func (s *Server) PolicyBackend(ctx context.Context, _ *engine.State, name string) (*policies.PolicyBackend, error) {
	snap := s.Current()
	if snap == nil {
		return nil, errors.New("no configuration is being served")
	}
	var api *API
	for _, a := range snap.APIs {
		if a.backends[name] != nil {
			api = a
			break
		}
	}
	if api == nil {
		return nil, fmt.Errorf("backend %q is not in the served configuration", name)
	}
	var pick engine.State // pickBackend reads BackendID and sets BackendURL only
	pick.BackendID = name
	b, err := s.pickBackend(ctx, api, &pick)
	if err != nil {
		return nil, err
	}
	pb := &policies.PolicyBackend{
		URL:              b.url.String(),
		Header:           b.header.Clone(),
		Identity:         b.identity,
		IdentityResource: b.identityResource,
		Done: func(ctx context.Context, status int, retryAfter string) {
			s.backendOutcome(ctx, b, status, retryAfter)
		},
	}
	if b.transport != nil {
		pb.Transport = b.transport
	}
	return pb, nil
}
