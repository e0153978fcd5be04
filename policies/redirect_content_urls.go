package policies

import (
	"bytes"
	"context"
	"strings"

	"tollgate/engine"
)

// <redirect-content-urls/>
// In outbound, every occurrence of the backend's base URL (set-backend-service's,
// or the API's service-url) in the response body becomes the gateway's
// base URL for this API (the client's scheme, host and port, then the API's
// path), so backend links point at the gateway. In inbound it does the
// opposite to the request body. Headers (Location) are not changed: use
// set-header for those.
type redirectContentURLs struct {
	response bool
}

func (k *kit) parseRedirectContentURLs(p *engine.Parser) engine.Step {
	return &redirectContentURLs{response: isResponseSection(p.Section())}
}

// baseURLs returns the backend's and the gateway's base URL, without a
// trailing slash.
func baseURLs(s *engine.State) (backend, gateway string) {
	ctx := s.Context()
	backend = s.BackendURL
	if backend == "" && ctx.Api != nil {
		backend = ctx.Api.ServiceUrl
	}
	if u := ctx.Request.OriginalUrl; u != nil {
		g := engine.Url{Scheme: u.Scheme, Host: u.Host, Port: u.Port}
		gateway = g.String()
		if ctx.Api != nil {
			gateway += ctx.Api.Path
		}
	}
	return strings.TrimSuffix(backend, "/"), strings.TrimSuffix(gateway, "/")
}

func (r *redirectContentURLs) Run(_ context.Context, s *engine.State) error {
	backend, gateway := baseURLs(s)
	from, to := backend, gateway
	if !r.response {
		from, to = gateway, backend
	}
	if from == "" || to == "" || from == to {
		return nil
	}
	m := messageOf(s, r.response)
	data, err := m.read(r.response)
	if err != nil {
		return err
	}
	if !bytes.Contains(data, []byte(from)) {
		return nil
	}
	m.replace(bytes.ReplaceAll(data, []byte(from), []byte(to)), "")
	return nil
}
