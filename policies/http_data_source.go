package policies

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"tollgate/engine"
)

// <http-data-source>
//
//	<http-request> get-authorization-context, set-backend-service, set-method,
//	               set-url, include-fragment, set-header, set-body,
//	               authentication-certificate </http-request>
//	<backend> <forward-request …/> </backend>
//	<http-response> set-body, xml-to-json, find-and-replace, include-fragment </http-response>
//
// </http-data-source>
//
// The resolver of one field of a synthetic GraphQL API (the root of the
// resolver's policy document, engine.Resolver). The children of
// http-request are the inbound policies tollgate has, compiled as they are
// and acting on the resolver's own request (context.Request: a GET with no
// header, body or URL until they set them); set-url is the request's URL.
// The request is sent (timeout: forward-request's, bounded by the
// gateway's resolver timeout), its answer becomes context.Response, and
// the children of http-response, outbound policies, transform it. What is
// left in context.Response is the field's value (the gateway's executor
// reads it: gateway/graphql_synthetic.go).
type httpDataSource struct {
	k        *kit
	request  engine.Block
	backend  engine.Block
	response engine.Block
	maxBytes int64
}

// dataSourceURL is the State's private key of the URL set-url gave.
type dataSourceURL struct{}

// initialBody is the State's private key of the arguments body
// PrepareResolverState gave the request.
type initialBody struct{}

// setURL is http-data-source's <set-url>: the resolver request's URL, an
// absolute http(s) URL or a path on the backend set-backend-service chose.
type setURL struct{ url engine.Str }

func (u *setURL) Run(_ context.Context, s *engine.State) error {
	v, err := u.url.Eval(s)
	if err != nil {
		return err
	}
	s.SetPrivate(dataSourceURL{}, strings.TrimSpace(v))
	return nil
}

// The children each part of http-data-source allows (APIM's policy
// reference), in the order it lists them.
var (
	dataSourceRequestChildren = []string{"get-authorization-context", "set-backend-service", "set-method", "set-url",
		"include-fragment", "set-header", "set-body", "authentication-certificate"}
	dataSourceResponseChildren = []string{"set-body", "xml-to-json", "find-and-replace", "publish-event", "include-fragment"}
)

func (k *kit) parseHTTPDataSource(p *engine.Parser) engine.Step {
	ds := &httpDataSource{k: k, maxBytes: k.maxCalloutBytes}
	order := map[string]int{"http-request": 1, "backend": 2, "http-response": 3}
	last, seen := 0, map[string]bool{}
	for _, n := range p.Children() {
		c := p.Child(n)
		at, ok := order[n.Name]
		switch {
		case !ok:
			c.Errorf("unexpected element <%s> inside <http-data-source> (want http-request, backend, http-response)", n.Name)
			skipAll(c)
			continue
		case seen[n.Name]:
			c.Errorf("<%s> given twice inside <http-data-source>", n.Name)
			skipAll(c)
			continue
		case at < last:
			c.Errorf("<%s> must come before <%s> (APIM's order: http-request, backend, http-response)", n.Name, lastName(order, last))
		}
		seen[n.Name], last = true, max(last, at)
		switch n.Name {
		case "http-request":
			ds.request = parseDataSourceRequest(c)
		case "backend":
			for _, m := range c.Children() {
				if m.Name != "forward-request" {
					sub := c.Child(m)
					sub.Errorf("unexpected element <%s> inside <backend> of <http-data-source> (want forward-request)", m.Name)
					skipAll(sub)
					continue
				}
				ds.backend = append(ds.backend, c.BlockIn([]*engine.Node{m}, engine.Backend)...)
			}
		case "http-response":
			ds.response = parseChildrenIn(c, dataSourceResponseChildren, engine.Outbound)
		}
	}
	if !seen["http-request"] {
		p.Errorf("<http-data-source> needs <http-request> (with <set-url>)")
	}
	return ds
}

func lastName(order map[string]int, at int) string {
	for k, v := range order {
		if v == at {
			return k
		}
	}
	return ""
}

// skipAll marks p's children read: the element is reported as a whole.
func skipAll(p *engine.Parser) {
	for _, m := range p.Children() {
		p.Skip(m)
	}
	for _, a := range p.Node().Attrs {
		p.Attr(a.Name)
	}
}

func parseDataSourceRequest(c *engine.Parser) engine.Block {
	var b engine.Block
	hasURL := false
	for _, m := range c.Children() {
		if m.Name != "set-url" {
			b = append(b, parseChildrenOf(c, m, dataSourceRequestChildren, engine.Inbound)...)
			continue
		}
		uc := c.Child(m)
		u := uc.TextStr()
		if hasURL {
			uc.Errorf("<set-url> given twice inside <http-request>")
			continue
		}
		hasURL = true
		if u.IsConst() {
			if err := checkDataSourceURL(strings.TrimSpace(u.Const())); err != nil {
				uc.Errorf("%s", err.Error())
			}
		}
		b = append(b, &engine.Compiled{Step: &setURL{url: u}, Name: "set-url", Path: m.Path, Pos: m.Pos, Scope: "resolver", Section: engine.Inbound})
	}
	if !hasURL {
		c.Errorf("<http-request> needs <set-url>")
	}
	return b
}

// parseChildrenIn compiles p's children, policies of section sec, each
// one of allowed.
func parseChildrenIn(p *engine.Parser, allowed []string, sec engine.Section) engine.Block {
	var b engine.Block
	for _, m := range p.Children() {
		b = append(b, parseChildrenOf(p, m, allowed, sec)...)
	}
	return b
}

func parseChildrenOf(p *engine.Parser, m *engine.Node, allowed []string, sec engine.Section) engine.Block {
	for _, a := range allowed {
		if a != m.Name {
			continue
		}
		b := p.BlockIn([]*engine.Node{m}, sec)
		if m.Name != "include-fragment" {
			return b
		}
		// A fragment's policies stand where it is included: each must be
		// one this part allows.
		kept := b[:0]
		for _, c := range b {
			if c.Name == "include-fragment" || !slices.Contains(allowed, c.Name) {
				p.ErrorAt(c.Pos, "<%s> (from fragment %q) is not allowed inside <%s> of <http-data-source> (allowed: %s)",
					c.Name, m.Attr("fragment-id").Value, p.Node().Name, strings.Join(allowed, ", "))
				continue
			}
			kept = append(kept, c)
		}
		return kept
	}
	c := p.Child(m)
	c.Errorf("<%s> is not allowed inside <%s> of <http-data-source> (allowed: %s)", m.Name, p.Node().Name, strings.Join(allowed, ", "))
	skipAll(c)
	return nil
}

// checkDataSourceURL accepts an absolute http(s) URL, or a path (starting
// with "/") on the backend set-backend-service chooses.
func checkDataSourceURL(s string) error {
	if strings.HasPrefix(s, "/") {
		return nil
	}
	if err := checkHTTPURL(s); err != nil {
		return errors.New("<set-url> must be an absolute http:// or https:// URL, or a path starting with '/' on the backend <set-backend-service> sets; not " + quoteShort(s))
	}
	if u, err := url.Parse(s); err != nil || u.Host == "" {
		return errors.New("<set-url> " + quoteShort(s) + " is not a valid URL")
	}
	return nil
}

func quoteShort(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return `"` + s + `"`
}

// DataSourceTimeout is how long a resolver's call may take when its
// <backend><forward-request timeout> does not say (the gateway's resolver
// timeout bounds it too).
const DataSourceTimeout = 30 * time.Second

func (ds *httpDataSource) Run(ctx context.Context, s *engine.State) error {
	if err := ds.request.Run(ctx, s); err != nil {
		return err
	}
	if err := ds.backend.Run(ctx, s); err != nil {
		return err
	}
	timeout := DataSourceTimeout
	if s.Forward.Set {
		timeout = s.Forward.Timeout
		if timeout <= 0 {
			timeout = 300 * time.Second // forward-request's default, as APIM's
		}
	}
	resp, err := ds.call(ctx, s, timeout)
	if err != nil {
		return err
	}
	s.SetResponse(resp)
	return ds.response.Run(ctx, s)
}

// call sends the resolver's request as the http-request policies left it.
func (ds *httpDataSource) call(ctx context.Context, s *engine.State, timeout time.Duration) (*engine.Response, error) {
	req := s.Context().Request
	target, _ := s.Private(dataSourceURL{}).(string)
	h := req.Headers
	if h == nil {
		h = engine.Headers{}
	}
	var body []byte
	if req.Body == s.Private(initialBody{}) {
		// No policy set a body: the arguments body is for reading only,
		// and so is the Content-Type that comes with it.
		if ct := h["Content-Type"]; len(ct) == 1 && ct[0] == "application/json" {
			delete(h, "Content-Type")
		}
	} else if req.Body != nil {
		b, err := req.Body.Bytes()
		if err != nil {
			return nil, engine.NewPolicyError(engine.ReasonCallout, 502, "cannot read the resolver's request body: "+err.Error(), err)
		}
		body = b
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	if s.BackendID != "" {
		return ds.callBackend(ctx, s, method, target, h, body, timeout)
	}
	if strings.HasPrefix(target, "/") {
		if s.BackendURL == "" {
			return nil, engine.NewPolicyError("BackendServiceUrlMissing", 500,
				"the resolver's <set-url> is a path, and no <set-backend-service> of the resolver chose the backend it is on", nil)
		}
		target = strings.TrimSuffix(s.BackendURL, "/") + target
	}
	if err := checkDataSourceURL(target); err != nil {
		return nil, engine.NewPolicyError(engine.ReasonExpression, 500, err.Error(), nil)
	}
	out := &outgoing{method: method, target: target, header: h, body: body}
	c := calloutCall{client: ds.k.calloutClient(s.BackendCertificate, nil), direct: ds.k.direct, out: out, timeout: timeout,
		max: ds.maxBytes, failed: dataSourceError, tooLarge: dataSourceTooLarge}
	return c.do(ctx, s)
}

// callBackend sends the request to the backend entity set-backend-service
// named (its URL, credentials, TLS settings and circuit breaker).
func (ds *httpDataSource) callBackend(ctx context.Context, s *engine.State, method, target string, h engine.Headers, body []byte, timeout time.Duration) (*engine.Response, error) {
	if ds.k.backends == nil {
		return nil, engine.NewPolicyError("BackendUnavailable", 500, "backend "+s.BackendID+": "+errNoBackends.Error(), errNoBackends)
	}
	be, err := ds.k.backends.PolicyBackend(ctx, s, s.BackendID)
	if err != nil {
		return nil, engine.NewPolicyError("BackendUnavailable", 503, "backend "+s.BackendID+": "+err.Error(), err)
	}
	u := be.URL
	if strings.HasPrefix(target, "/") {
		pu, err := url.Parse(be.URL)
		if err != nil {
			return nil, engine.NewPolicyError("BackendUnavailable", 500, "backend "+s.BackendID+" has no valid URL", err)
		}
		path, query, _ := strings.Cut(target, "?")
		pu.Path = strings.TrimSuffix(pu.Path, "/") + path
		pu.RawPath = ""
		if query != "" {
			if pu.RawQuery != "" {
				pu.RawQuery += "&"
			}
			pu.RawQuery += query
		}
		u = pu.String()
	} else if target != "" {
		u = target
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(cctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, engine.NewPolicyError(engine.ReasonCallout, 502, "cannot build the resolver's request to backend "+s.BackendID, err)
	}
	hreq.Header = http.Header(h).Clone()
	for k, v := range be.Header {
		hreq.Header[k] = append([]string(nil), v...)
	}
	shown := "backend " + s.BackendID
	status, header, data, sendErr, readErr := ds.k.doBackendHeader(ctx, s, be, hreq, shown, ds.maxBytes)
	switch {
	case sendErr != nil:
		return nil, dataSourceError(shown, cctx, sendErr)
	case readErr != nil:
		return nil, dataSourceError(shown, cctx, readErr)
	case int64(len(data)) > ds.maxBytes:
		return nil, dataSourceTooLarge(shown, ds.maxBytes)
	}
	// The answer's headers, as a data source's called by URL has them
	// (context.Response.Headers in http-response).
	return &engine.Response{StatusCode: status, StatusReason: http.StatusText(status), Headers: engine.Headers(header), Body: engine.NewBody(data)}, nil
}

func dataSourceError(target string, ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return engine.NewPolicyError(engine.ReasonTimeout, 504, "the resolver's call to "+shownTarget(target)+" timed out", err)
	}
	return engine.NewPolicyError(engine.ReasonCallout, 502, "the resolver's call to "+shownTarget(target)+" failed: "+errWithoutURL(err), err)
}

func dataSourceTooLarge(target string, max int64) error {
	return engine.NewPolicyError(engine.ReasonResponseTooLarge, 502,
		"the resolver's answer from "+shownTarget(target)+" is larger than "+strconv.FormatInt(max, 10)+" bytes", nil)
}

// shownTarget is a call's target as an error shows it: a URL with its
// secrets redacted, or "backend <id>" (callBackend's) as it is, not
// escaped as a URL's path would be.
func shownTarget(target string) string {
	if strings.Contains(target, "://") {
		return engine.RedactURL(target)
	}
	return target
}

// PrepareResolverState makes s's request the resolver's own, as
// http-data-source's policies start from it: a GET with no URL, no backend
// chosen, no response yet, and, as APIM documents ("the HTTP request
// context contains arguments that are passed in the GraphQL query as its
// body"), a JSON body {"arguments": {...}} that policies read
// (set-body's Liquid {{body.arguments.id}}) but that is sent only if a
// policy sets a body of its own; context.GraphQL is g. The gateway calls it
// for each field it resolves, on a fork of the GraphQL request's State
// (which may have chosen a backend of its own).
func PrepareResolverState(s *engine.State, g *engine.GraphQL) {
	s.SetRequest(http.MethodGet, "", "", &url.URL{}, http.Header{"Content-Type": {"application/json"}}, "")
	args := []byte("{}")
	if g != nil && g.Arguments != nil {
		if b, err := g.Arguments.MarshalJSON(); err == nil {
			args = b
		}
	}
	initial := engine.NewBody(append(append([]byte(`{"arguments":`), args...), '}'))
	s.Context().Request.Body = initial
	s.SetPrivate(initialBody{}, initial)
	s.SetResponse(nil)
	s.BackendURL, s.BackendID, s.BackendFixedPath = "", "", false
	s.BackendCertificate, s.BackendProxy = nil, nil
	s.Forward = engine.ForwardSettings{}
	s.SetGraphQL(g)
}
