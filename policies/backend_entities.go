package policies

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"

	"tollgate/engine"
)

// Backend entities a policy calls itself (llm-content-safety's
// backend-id), rather than forwarding the request to them: the gateway
// owns the entities (backends/NAME/backendInformation.json) and resolves
// one for a policy through Deps.Backends.

// PolicyBackend is one backend entity as a policy that calls it sees it: a
// pool already resolved to one member, its circuit breaker consulted.
type PolicyBackend struct {
	// URL is the backend's absolute URL, credentials.query merged in (it
	// may carry a secret: never quote its query).
	URL string
	// Header holds the credential headers (credentials.header and
	// credentials.authorization). Secret.
	Header http.Header
	// Identity, when set, is credentials.managedIdentity's clientId (""
	// for the system-assigned identity): the policy adds a Bearer token for
	// IdentityResource from the identities it knows (Deps.Identities).
	Identity         *string
	IdentityResource string
	// Transport, when set, is the backend's own (its tls settings); nil:
	// the policies' call-out client.
	Transport http.RoundTripper
	// Done, when set, is told the outcome of the call (status 0: no
	// answer) for the backend's circuit breaker and metrics.
	Done func(ctx context.Context, status int, retryAfter string)
}

// BackendResolver finds a backend entity by name for the request s is
// serving.
type BackendResolver interface {
	PolicyBackend(ctx context.Context, s *engine.State, name string) (*PolicyBackend, error)
}

// LateBackends is a BackendResolver set after the registry is built (the
// gateway that owns the backends is made from the registry): until Set,
// every lookup fails.
type LateBackends struct {
	r atomic.Pointer[BackendResolver]
}

// Set installs the resolver lookups go to.
func (l *LateBackends) Set(r BackendResolver) { l.r.Store(&r) }

// PolicyBackend asks the resolver Set installed.
func (l *LateBackends) PolicyBackend(ctx context.Context, s *engine.State, name string) (*PolicyBackend, error) {
	r := l.r.Load()
	if r == nil || *r == nil {
		return nil, errNoBackends
	}
	return (*r).PolicyBackend(ctx, s, name)
}

var errNoBackends = errors.New("this gateway resolves no backend entities for policies (Deps.Backends is not set)")
