package policies

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"time"

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

// newBackendRequest is a JSON POST of payload to u (a backend entity's
// URL) under ctx, with the entity's credential headers.
func newBackendRequest(ctx context.Context, be *PolicyBackend, u string, payload []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	for k, v := range be.Header {
		req.Header[k] = append([]string(nil), v...)
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

// doBackend sends req to the backend entity be (through its own transport
// when it has one, wrapped as the call-out client's is, else the call-out
// client) and reads at most max+1 bytes of the answer: a longer body is
// the caller's "too large". The entity's circuit breaker and metrics are
// told the outcome under ctx (the request's). sendErr: no answer came;
// readErr: the answer broke off.
//
// The request's CalloutSink (callout_sink.go), when it has one, is told of
// the call as of send-request's: shown is the URL it is told (the policy's
// trace shows it: without the query, which may hold the entity's
// credentials.query), its trace context goes in req's headers, and the
// call ended with the answer read whole, or with no answer (status 0), or
// with an answer that broke off or was over max (an error, its status).
func (k *kit) doBackend(ctx context.Context, s *engine.State, be *PolicyBackend, req *http.Request, shown string, max int64) (status int, body []byte, sendErr, readErr error) {
	status, _, body, sendErr, readErr = k.doBackendHeader(ctx, s, be, req, shown, max)
	return status, body, sendErr, readErr
}

// doBackendHeader is doBackend that also returns the answer's headers
// (nil when no answer came).
func (k *kit) doBackendHeader(ctx context.Context, s *engine.State, be *PolicyBackend, req *http.Request, shown string, max int64) (status int, header http.Header, body []byte, sendErr, readErr error) {
	client, direct := k.client, k.direct
	if be.Transport != nil {
		client, direct = &http.Client{Transport: wrapLike(k.client.Transport, be.Transport), CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}, true
	}
	var end CalloutEnd // the gateway's record of the call
	var sent time.Time
	if sink := calloutSink(s); sink != nil {
		if end = sink(req.Method, shown, req.Header); end != nil {
			sent = time.Now()
		}
	}
	res, err := calloutDo(client, direct, req)
	if err != nil {
		if be.Done != nil {
			be.Done(ctx, 0, "")
		}
		if end != nil {
			end(sent, 0, err)
		}
		return 0, nil, nil, err, nil
	}
	defer res.Body.Close()
	if be.Done != nil {
		be.Done(ctx, res.StatusCode, res.Header.Get("Retry-After"))
	}
	body, readErr = io.ReadAll(io.LimitReader(res.Body, max+1))
	if err := req.Context().Err(); errors.Is(err, context.DeadlineExceeded) {
		// Past the call's deadline, what came raced the cancellation (the
		// connection's end lets a server finish an empty answer): it is
		// the deadline's failure, whatever it holds.
		if end != nil {
			end(sent, 0, err)
		}
		return 0, nil, nil, err, nil
	}
	if end != nil {
		switch {
		case readErr != nil:
			end(sent, res.StatusCode, readErr)
		case int64(len(body)) > max:
			end(sent, res.StatusCode, errAnswerTooLarge)
		default:
			end(sent, res.StatusCode, nil)
		}
	}
	return res.StatusCode, res.Header, body, nil, readErr
}

// errAnswerTooLarge is what a CalloutEnd is told of a backend entity's
// answer over the caller's bound.
var errAnswerTooLarge = errors.New("the answer is larger than the policy reads")

// errNoIdentity: the managed identity a backend entity names is not among
// Deps.Identities.
var errNoIdentity = errors.New("the identity is not configured (--identities)")

// bearer sets req's Authorization to a token of the identity clientID (""
// the system-assigned one) for resource: errNoIdentity when the identity
// is unknown, else the token endpoint's error.
func (k *kit) bearer(ctx context.Context, req *http.Request, clientID, resource string) error {
	tp := k.tokens[clientID]
	if tp == nil {
		return errNoIdentity
	}
	tok, err := tp.token(ctx, resource)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return nil
}
