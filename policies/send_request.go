package policies

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"tollgate/engine"
	"tollgate/internal/lazyctx"
)

// <send-request mode="new|copy" response-variable-name="r" timeout="60" ignore-error="false">
//
//	<set-url>…</set-url> <set-method>POST</set-method>
//	<set-header name="…" exists-action="…"><value>…</value></set-header>
//	<set-body>…</set-body>
//
// </send-request>
// Calls out over HTTP and stores the response (an engine.Response: StatusCode,
// Headers, Body.AsString(), Body.AsJSON()) in the variable. A non-2xx answer
// is not an error. A failed call (connection, timeout, body over the size
// cap) jumps to on-error with reason Timeout / SendRequestFailure /
// ResponseTooLarge and a default 502 (504 for timeouts), unless ignore-error
// is true: then the variable is set to nil.
type sendRequest struct {
	k         *kit
	cert      *tls.Certificate // <authentication-certificate> inside
	proxy     *url.URL         // <proxy> inside
	identity  *managedIdentity // <authentication-managed-identity> inside
	copyMode  bool
	variable  string
	timeout   engine.Int
	ignoreErr bool
	url       *engine.Str
	method    engine.Str
	headers   []*setHeader
	body      *engine.Str
	maxBytes  int64
}

func (k *kit) parseSendRequest(p *engine.Parser) engine.Step {
	sr := &sendRequest{
		k:         k,
		copyMode:  p.LitStr("mode", "new", "new", "copy") == "copy",
		timeout:   p.Int("timeout", 60, 1, 3600),
		ignoreErr: p.LitBool("ignore-error", false),
		method:    engine.ConstStr(http.MethodGet),
		maxBytes:  k.maxCalloutBytes,
	}
	if p.Has("response-variable-name") {
		sr.variable = p.RequiredLitStr("response-variable-name")
	} else {
		// The send-request page marks it required, but the
		// authentication-managed-identity page's example has none: the
		// call is made and its answer dropped.
		p.Noticef("<send-request> has no response-variable-name: the call is made and its response is not kept (APIM's send-request page marks the attribute required; its authentication-managed-identity page's example has none)")
	}
	sr.parseChildren(p)
	return sr
}

// parseChildren reads the request's description (shared with
// send-one-way-request).
// CopiesRequest: mode="copy" copies the client's request (engine.RequestCopier).
func (sr *sendRequest) CopiesRequest() bool { return sr.copyMode }

func (sr *sendRequest) parseChildren(p *engine.Parser) {
	for _, n := range p.Children() {
		c := p.Child(n)
		switch n.Name {
		case "set-url":
			u := c.TextStr()
			if u.IsConst() {
				if err := checkHTTPURL(u.Const()); err != nil {
					c.Errorf("%s", err.Error())
				}
			}
			sr.url = &u
		case "set-method":
			sr.method = c.TextStr()
			if sr.method.IsConst() && (sr.method.Const() == "" || strings.ContainsAny(sr.method.Const(), " \t/")) {
				c.Errorf("<set-method> must be an HTTP method such as GET or POST, not %q", sr.method.Const())
			}
		case "set-header":
			sh := &setHeader{}
			sh.name, sh.action, sh.values = parseNameActionValues(c, "header")
			sr.headers = append(sr.headers, sh)
		case "set-body":
			// template="none" is what APIM's form-based editor writes (the
			// default: the text, or the expression's value, is the body).
			// A Liquid template in a callout is not rendered here.
			if c.LitStr("template", "none", "none", "liquid") == "liquid" {
				c.ErrorAt(c.Node().Attr("template").ValuePos, "template=\"liquid\" is not supported in the <set-body> of <%s>: tollgate renders Liquid only in a <set-body> policy; build the callout's body with an expression", p.Node().Name)
			}
			b := c.TextStr()
			sr.body = &b
		case "authentication-certificate":
			sr.cert = sr.k.parseAuthenticationCertificate(c).(*authenticationCertificate).cert
		case "authentication-managed-identity":
			mi := sr.k.parseManagedIdentity(c).(*managedIdentity)
			if mi.variable != "" {
				c.ErrorAt(c.Node().Attr("output-token-variable-name").Pos, "output-token-variable-name does not apply inside <%s>: the token goes in the call's Authorization header", p.Node().Name)
			}
			sr.identity = mi
		case "proxy":
			sr.proxy = sr.k.parseProxy(c).(*proxyPolicy).u
		default:
			c.Errorf("unexpected element <%s> inside <%s> (want set-url, set-method, set-header, set-body)", n.Name, p.Node().Name)
		}
	}
	if sr.url == nil && !sr.copyMode {
		p.Errorf("<%s> needs <set-url> (unless mode=\"copy\")", p.Node().Name)
	}
}

func (sr *sendRequest) Run(ctx context.Context, s *engine.State) error {
	resp, err := sr.call(ctx, s)
	if err != nil {
		var pe *engine.PolicyError
		if errors.As(err, &pe) && pe.Reason == engine.ReasonExpression {
			return err // a broken expression is never ignored
		}
		if sr.ignoreErr {
			if sr.variable != "" {
				s.Variables()[sr.variable] = nil
			}
			s.Tracef("%s = nil (ignored error: %s)", sr.variable, err.Error())
			return nil
		}
		return err
	}
	if sr.variable == "" {
		s.Tracef("no response-variable-name: the %d response is dropped", resp.StatusCode)
		return nil
	}
	s.Variables()[sr.variable] = resp
	return nil
}

// outgoing is a callout evaluated against a request, ready to send.
type outgoing struct {
	method, target string
	header         engine.Headers
	body           []byte

	// send-one-way-request's: the client to send with, and the token to
	// add before sending (fetched by the worker).
	client    *http.Client
	authorize func(context.Context) error
	end       CalloutEnd // the gateway's record of the call (callout_sink.go), nil when none
	// ctx is what the client's TransportWrapper keeps of the request's
	// context (callout_wrap.go), the worker's base; nil: none.
	ctx context.Context
}

// newRequest builds the http.Request (the body is buffered, so it can be
// sent from another goroutine after the State is gone).
func (o *outgoing) newRequest(ctx context.Context) (*http.Request, error) {
	var rdr io.Reader
	if o.body != nil {
		rdr = bytes.NewReader(o.body)
	}
	req, err := http.NewRequestWithContext(ctx, o.method, o.target, rdr)
	if err != nil {
		return nil, engine.NewPolicyError(engine.ReasonCallout, 502, "cannot build request to "+engine.RedactURL(o.target)+": "+err.Error(), err)
	}
	req.Header = http.Header(o.header)
	if host := o.header.GetValueOrDefault("Host", ""); host != "" {
		req.Host = host
	}
	return req, nil
}

// prepare evaluates the method, URL, headers and body for this request.
func (sr *sendRequest) prepare(s *engine.State) (*outgoing, error) {
	cur := s.Context().Request
	method, err := sr.method.Eval(s)
	if err != nil {
		return nil, err
	}
	var target string
	if sr.url != nil {
		if target, err = sr.url.Eval(s); err != nil {
			return nil, err
		}
		if err := checkHTTPURL(target); err != nil {
			return nil, engine.NewPolicyError(engine.ReasonExpression, 500, err.Error(), nil)
		}
	} else if cur != nil && cur.Url != nil {
		target = cur.Url.String()
	}
	var body []byte
	switch {
	case sr.body != nil:
		b, err := sr.body.Eval(s)
		if err != nil {
			return nil, err
		}
		body = []byte(b)
	case sr.copyMode && cur != nil && cur.Body != nil:
		if body, err = cur.Body.Bytes(); err != nil {
			return nil, engine.NewPolicyError(engine.ReasonCallout, 502, "cannot read the request body to copy: "+err.Error(), err)
		}
	}
	if sr.copyMode && sr.url == nil && cur != nil {
		method = cur.Method
	}

	// Headers: evaluate set-header children against a scratch header map.
	h := engine.Headers{}
	if sr.copyMode && cur != nil {
		for k, v := range cur.Headers {
			// not the client's Host: the call goes to set-url's host,
			// which the request names as the gateway's forward does (a
			// <set-header name="Host"> child still sets one)
			if strings.EqualFold(k, "Host") {
				continue
			}
			h[k] = append([]string(nil), v...)
		}
	}
	for _, sh := range sr.headers {
		name, action, vals, err := evalAll(s, sh.name, sh.action, sh.values)
		if err != nil {
			return nil, err
		}
		applyHeader(h, name, action, vals)
	}
	return &outgoing{method: method, target: target, header: h, body: body}, nil
}

func (sr *sendRequest) call(ctx context.Context, s *engine.State) (*engine.Response, error) {
	out, err := sr.prepare(s)
	if err != nil {
		return nil, err
	}
	timeout, err := sr.timeout.Seconds(s)
	if err != nil {
		return nil, err
	}
	c := calloutCall{client: sr.k.calloutClient(sr.cert, sr.proxy), direct: sr.k.direct, out: out, timeout: timeout,
		max: sr.maxBytes, identity: sr.identity, failed: calloutError, tooLarge: responseTooLarge}
	return c.do(ctx, s)
}

// calloutCall is one HTTP call-out that waits for its answer: send-request's,
// and the Dapr policies' call to their sidecar (dapr.go). failed and
// tooLarge word its errors for the policy (plain functions, so a call
// builds no closure).
type calloutCall struct {
	client   *http.Client
	direct   bool // followsNoRedirects(client)
	out      *outgoing
	timeout  time.Duration
	max      int64            // the answer's body, at most
	identity *managedIdentity // <authentication-managed-identity> inside: the Authorization (nil: none)
	failed   func(target string, ctx context.Context, err error) error
	tooLarge func(target string, max int64) error
}

// do sends the call within its timeout (or the section's, when sooner),
// reads the answer and records the call in the step trace.
func (c *calloutCall) do(ctx context.Context, s *engine.State) (*engine.Response, error) {
	method, target := c.out.method, c.out.target
	// The call's own deadline, unless the section's (policy-timeout)
	// comes first anyway. Built lazily: behind the front server, whose
	// request context cannot be cancelled, the backend client sets the
	// deadline on its connection (lazyctx.Ctx.DeadlineOnly) and no timer,
	// channel or registration with the section's context is made.
	cctx := ctx
	if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > c.timeout {
		lc := lazyctx.New(ctx, time.Now().Add(c.timeout))
		defer lc.Release()
		cctx = lc
	}
	req, err := c.out.newRequest(cctx)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	if c.identity != nil {
		// nothing when ignore-error let a failure through
		tok, err := c.identity.token(cctx, s)
		if err != nil {
			return nil, err
		}
		if tok != "" {
			c.out.header["Authorization"] = []string{"Bearer " + tok}
		}
	}
	var end CalloutEnd // the gateway's record of the call (callout_sink.go)
	var sent time.Time
	if sink := calloutSink(s); sink != nil {
		if end = sink(method, target, req.Header); end != nil {
			sent = time.Now()
		}
	}
	res, err := calloutDo(c.client, c.direct, req)
	if err != nil {
		err = c.failed(target, cctx, err)
		c.ended(s, end, sent, 0, t0, err)
		return nil, err
	}
	defer res.Body.Close()
	data, err := readBody(res, c.max)
	status := res.StatusCode
	if err == nil && cctx.Err() != nil {
		// The call's deadline (or the request's end) came before the
		// answer was in: what came raced the cancellation, and may be
		// its product. net/http's Transport hands over an answer read
		// as it cancels (it closes the connection; a server whose
		// handler returns on its request's end then writes an empty
		// 200 in the moment before the close). It is the timeout's
		// failure, whatever it holds, and no answer is recorded.
		err, status = cctx.Err(), 0
	}
	if err != nil {
		err = c.failed(target, cctx, err)
		c.ended(s, end, sent, status, t0, err)
		return nil, err
	}
	if int64(len(data)) > c.max {
		err := c.tooLarge(target, c.max)
		c.ended(s, end, sent, res.StatusCode, t0, err)
		return nil, err
	}
	c.ended(s, end, sent, res.StatusCode, t0, nil)
	return &engine.Response{
		StatusCode:   res.StatusCode,
		StatusReason: http.StatusText(res.StatusCode),
		Headers:      engine.Headers(res.Header),
		Body:         engine.NewBody(data),
	}, nil
}

// ended records the call in the step trace (begun at t0) and tells end,
// when the gateway records it (sent: when it was sent).
func (c *calloutCall) ended(s *engine.State, end CalloutEnd, sent time.Time, status int, t0 time.Time, err error) {
	traceCallout(s, c.out.method, c.out.target, status, t0, err)
	if end != nil {
		end(sent, status, err)
	}
}

// responseTooLarge is send-request's error for an answer over its size.
func responseTooLarge(target string, max int64) error {
	return engine.NewPolicyError(engine.ReasonResponseTooLarge, 502,
		fmt.Sprintf("response from %s is larger than %d bytes", engine.RedactURL(target), max), nil)
}

// readBody reads a call-out's response body, up to max+1 bytes (more
// than max is an error for the caller): into one buffer of the announced
// length when there is one.
func readBody(res *http.Response, max int64) ([]byte, error) {
	if n := res.ContentLength; n >= 0 && n <= max {
		data := make([]byte, n)
		if _, err := io.ReadFull(res.Body, data); err != nil {
			return nil, err
		}
		return data, nil
	}
	return io.ReadAll(io.LimitReader(res.Body, max+1))
}

// traceCallout records a call-out in the step trace (when tracing is on),
// with the URL's secret query values redacted.
func traceCallout(s *engine.State, method, target string, status int, t0 time.Time, err error) {
	if s.Trace() == nil {
		return
	}
	c := engine.TraceCallout{Method: method, URL: engine.RedactURL(target), Status: status, Duration: time.Since(t0)}
	if err != nil {
		c.Error = err.Error()
	}
	s.TraceCallout(c)
}

func calloutError(target string, ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return engine.NewPolicyError(engine.ReasonTimeout, 504, "send-request to "+engine.RedactURL(target)+" timed out", err)
	}
	return engine.NewPolicyError(engine.ReasonCallout, 502, "send-request to "+engine.RedactURL(target)+" failed: "+errWithoutURL(err), err)
}
