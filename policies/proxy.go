package policies

import (
	"context"
	"net/url"

	"tollgate/engine"
)

// <proxy url="http://192.168.1.1:8080" username="{{username}}" password="{{password}}" />
// The backend call of this request goes through this HTTP proxy (Basic
// proxy authentication when username is given). Read at load: the URL and
// credentials are literals or named values.
type proxyPolicy struct {
	u *url.URL
}

func (k *kit) parseProxy(p *engine.Parser) engine.Step {
	lit := func(name string, required bool) string {
		var v engine.Str
		if required {
			v = p.RequiredStr(name)
		} else {
			v = p.Str(name, "")
		}
		if !v.IsConst() {
			p.ErrorAt(p.Node().Attr(name).ValuePos, "%s must be written out or a {{named value}}: the proxy is set up at load", name)
			return ""
		}
		return v.Const()
	}
	raw, user, pass := lit("url", true), lit("username", false), lit("password", false)
	if raw == "" {
		return &proxyPolicy{}
	}
	u, ok := ProxyURL(raw)
	if !ok {
		p.ErrorAt(p.Node().Attr("url").ValuePos, "url must be http://host:port (APIM supports plain HTTP to the proxy; credentials go in username and password), not %q", engine.RedactURL(raw))
		return &proxyPolicy{}
	}
	if user != "" {
		u.User = url.UserPassword(user, pass)
	} else if p.Has("password") {
		p.ErrorAt(p.Node().Attr("password").Pos, "password needs a username")
	}
	return &proxyPolicy{u: u}
}

// ProxyURL reads a proxy's URL as the proxy policy (and a backend entity's
// proxy) takes it: plain HTTP to host:port, no path, no credentials (they
// are given apart, as username and password). ok is false for anything else.
func ProxyURL(raw string) (u *url.URL, ok bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.User != nil {
		return nil, false
	}
	return u, true
}

func (pp *proxyPolicy) Run(_ context.Context, s *engine.State) error {
	if pp.u != nil {
		s.BackendProxy = pp.u
		s.Tracef("via proxy %s", pp.u.Host)
	}
	return nil
}
