package policies

import (
	"context"
	"fmt"
	"net/url"

	"tollgate/engine"
)

// <set-backend-service base-url="ws://host:port/path?query"/>
// <set-backend-service backend-id="NAME"/>
// <set-backend-service backend-id="dapr" dapr-app-id="APP" dapr-method="METHOD" dapr-namespace="NS"/>
// Replaces the API's service-url for this request. The rest of the request
// path is appended; the base URL's query comes first, then the request's
// parameters that it does not already set. backend-id names a backend
// entity (docs/resource-model.md: URL, credentials, TLS, circuit breaker,
// pool), which the gateway resolves when it forwards. The Dapr form sends
// the request to the Dapr sidecar's service invocation API (dapr.go): that
// URL is the whole path, the request's query still follows.
type setBackendService struct {
	baseURL   engine.Str
	backendID string
	// backendExpr: backend-id given as an expression (APIM allows it),
	// evaluated per request; the gateway resolves the name it gives.
	backendExpr *engine.Str
	dapr        *daprTarget // backend-id="dapr" dapr-app-id=… (dapr.go)
}

// daprTarget is set-backend-service's Dapr form: the request goes to the
// sidecar's service invocation API for that app and method.
type daprTarget struct {
	base                  string
	appID, method, nspace engine.Str
}

// serviceFabricAttrs are set-backend-service's Service Fabric attributes:
// Azure's Service Fabric backends, which a self-hosted gateway cannot reach
// by their service names.
var serviceFabricAttrs = []string{"sf-partition-key", "sf-replica-type", "sf-resolve-condition", "sf-service-instance-name", "sf-listener-name"}

func (k *kit) parseSetBackendService(p *engine.Parser) engine.Step {
	for _, a := range serviceFabricAttrs {
		if p.Has(a) {
			p.Attr(a)
			p.ErrorAt(p.Node().Attr(a).Pos, "<set-backend-service %s> is not available in a self-hosted gateway: Service Fabric backends are resolved by Azure; give the service's URL in base-url or a backend entity (backend-id)", a)
		}
	}
	for _, a := range []string{"dapr-app-id", "dapr-method", "dapr-namespace"} {
		if p.Has(a) {
			return k.parseSetBackendDapr(p)
		}
	}
	if p.Has("backend-id") {
		if p.Has("base-url") {
			p.Attr("base-url") // reported here, not as unknown too
			p.ErrorAt(p.Node().Attr("base-url").Pos, "give base-url or backend-id, not both")
		}
		id := p.RequiredStr("backend-id")
		if !id.IsConst() {
			// Any of the scope's backends at run time: one that is no
			// backend, or cannot be used, fails the request (the gateway).
			p.UseBackend("backend-id", "", true)
			return &setBackendService{backendExpr: &id}
		}
		if id.Const() == "" && p.Has("backend-id") {
			p.ErrorAt(p.Node().Attr("backend-id").ValuePos, "attribute \"backend-id\" must not be empty")
		}
		p.UseBackend("backend-id", id.Const(), false)
		return &setBackendService{backendID: id.Const()}
	}
	b := &setBackendService{baseURL: p.RequiredStr("base-url")}
	if b.baseURL.IsConst() && p.Has("base-url") {
		if err := checkBackendURL(b.baseURL.Const()); err != nil {
			p.ErrorAt(p.Node().Attr("base-url").ValuePos, "%s", err.Error())
		}
	}
	return b
}

// checkBackendURL accepts absolute ws, wss, http and https URLs.
func checkBackendURL(s string) error {
	u, err := engine.ParseURL(s) // parsed once per distinct string, for the gateway too
	return checkParsedBackendURL(s, u, err)
}

// checkParsedBackendURL is checkBackendURL of s parsed as u (err: it is
// not a URL).
func checkParsedBackendURL(s string, u *url.URL, err error) error {
	if err != nil {
		return fmt.Errorf("base-url %q is not a URL: %s", s, err.Error())
	}
	switch u.Scheme {
	case "ws", "wss", "http", "https":
	default:
		return fmt.Errorf("base-url %q must start with ws://, wss://, http:// or https://", s)
	}
	if u.Host == "" {
		return fmt.Errorf("base-url %q has no host", s)
	}
	return nil
}

// <set-backend-service backend-id="dapr" dapr-app-id="echo" dapr-method="back" dapr-namespace="ns"/>
func (k *kit) parseSetBackendDapr(p *engine.Parser) engine.Step {
	if p.Has("base-url") {
		p.Attr("base-url")
		p.ErrorAt(p.Node().Attr("base-url").Pos, "give base-url or the Dapr attributes (dapr-app-id, dapr-method), not both")
	}
	if id := p.RequiredLitStr("backend-id"); id != "dapr" && p.Has("backend-id") {
		p.ErrorAt(p.Node().Attr("backend-id").ValuePos, "with dapr-app-id, backend-id must be \"dapr\", not %q", id)
	}
	d := &daprTarget{base: k.daprURL, appID: p.RequiredStr("dapr-app-id"), method: p.RequiredStr("dapr-method"), nspace: p.Str("dapr-namespace", "")}
	if d.appID.IsConst() && d.method.IsConst() && d.nspace.IsConst() && p.Has("dapr-app-id") && p.Has("dapr-method") {
		if _, err := daprInvokeURL(d.base, d.appID.Const(), d.nspace.Const(), d.method.Const()); err != nil {
			p.Errorf("%s", err.Error())
		}
	}
	return &setBackendService{dapr: d}
}

// QueryBlind (engine.QueryBlind): the backend URL it sets is read with the query string alone (RefreshUrl).
func (*setBackendService) QueryBlind() {}

func (b *setBackendService) Run(ctx context.Context, s *engine.State) error {
	err := b.run(ctx, s)
	if err == nil {
		s.RefreshUrl() // context.Request.Url is the backend URL: it follows
	}
	return err
}

func (b *setBackendService) run(_ context.Context, s *engine.State) error {
	s.BackendFixedPath = false
	if d := b.dapr; d != nil {
		app, err := d.appID.Eval(s)
		if err != nil {
			return err
		}
		method, err := d.method.Eval(s)
		if err != nil {
			return err
		}
		ns, err := d.nspace.Eval(s)
		if err != nil {
			return err
		}
		u, err := daprInvokeURL(d.base, app, ns, method)
		if err != nil {
			return daprPathError("set-backend-service", err)
		}
		s.BackendURL, s.BackendID, s.BackendFixedPath = u, "", true
		if s.Trace() != nil {
			s.Tracef("backend %s (Dapr)", engine.RedactURL(u))
		}
		return nil
	}
	if b.backendID != "" {
		s.BackendID, s.BackendURL = b.backendID, ""
		if s.Trace() != nil {
			s.Tracef("backend %s", b.backendID)
		}
		return nil
	}
	if b.backendExpr != nil {
		id, err := b.backendExpr.Eval(s)
		if err != nil {
			return err
		}
		if id == "" {
			return engine.NewPolicyError(engine.ReasonBackendNotFound, 500, "set-backend-service: the backend-id expression gave an empty name", nil)
		}
		s.BackendID, s.BackendURL = id, ""
		if s.Trace() != nil {
			s.Tracef("backend %s", id)
		}
		return nil
	}
	v, err := b.baseURL.Eval(s)
	if err != nil {
		return err
	}
	if !b.baseURL.IsConst() {
		u, err := s.ParseURL(v) // (remembered for the gateway, which sends to it)
		if err := checkParsedBackendURL(v, u, err); err != nil {
			return engine.NewPolicyError(engine.ReasonExpression, 500, err.Error(), nil)
		}
	}
	s.BackendURL, s.BackendID = v, ""
	if s.Trace() != nil {
		s.Tracef("backend %s", engine.RedactURL(v))
	}
	return nil
}
