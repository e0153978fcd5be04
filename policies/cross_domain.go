package policies

import (
	"context"
	"net/http"
	"strings"

	"tollgate/engine"
)

// <cross-domain>
//
//	<cross-domain-policy>
//	  <allow-http-request-headers-from domain="*" headers="*"/>
//	</cross-domain-policy>
//
// </cross-domain>
// Answers GET /crossdomain.xml (at the root, or under the API's path) with
// the Adobe cross-domain policy file written inside, for Flash and
// Silverlight clients; every other request goes on. The content is checked
// against the Adobe specification's elements and attributes at load.
type crossDomain struct {
	doc []byte
}

// crossDomainElems are the Adobe policy file's elements and their attributes.
var crossDomainElems = map[string][]string{
	"site-control":                    {"permitted-cross-domain-policies"},
	"allow-access-from":               {"domain", "to-ports", "secure"},
	"allow-access-from-identity":      {},
	"allow-http-request-headers-from": {"domain", "headers", "secure"},
}

var permittedPolicies = []string{"none", "master-only", "by-content-type", "by-ftp-filename", "all"}

func (k *kit) parseCrossDomain(p *engine.Parser) engine.Step {
	n := p.Node()
	inner := p.RawInner()
	if len(n.Children) != 1 || n.Children[0].Name != "cross-domain-policy" {
		p.Errorf("<cross-domain> needs exactly one <cross-domain-policy> element")
		return &crossDomain{}
	}
	if n.Text != "" {
		p.ErrorAt(n.TextPos, "unexpected text inside <cross-domain>")
	}
	root := n.Children[0]
	if len(root.Attrs) > 0 {
		p.ErrorAt(root.Attrs[0].Pos, "<cross-domain-policy> has no attribute %q", root.Attrs[0].Name)
	}
	for _, c := range root.Children {
		known, ok := crossDomainElems[c.Name]
		if !ok {
			p.ErrorAt(c.Pos, "unexpected element <%s> inside <cross-domain-policy> (want site-control, allow-access-from, allow-http-request-headers-from, allow-access-from-identity)", c.Name)
			continue
		}
		for _, a := range c.Attrs {
			switch {
			case !oneOf(a.Name, known):
				p.ErrorAt(a.Pos, "<%s> has no attribute %q", c.Name, a.Name)
			case a.Name == "secure" && a.Value != "true" && a.Value != "false":
				p.ErrorAt(a.ValuePos, "attribute \"secure\" must be true or false, not %q", a.Value)
			case a.Name == "permitted-cross-domain-policies" && !oneOf(a.Value, permittedPolicies):
				p.ErrorAt(a.ValuePos, "attribute %q must be one of %s, not %q", a.Name, strings.Join(permittedPolicies, ", "), a.Value)
			case strings.HasPrefix(a.Value, "@"):
				p.ErrorAt(a.ValuePos, "the cross-domain policy file is served as written: expressions are not allowed")
			}
		}
		if c.Name != "allow-access-from-identity" {
			for _, want := range known {
				if (want == "domain" || want == "permitted-cross-domain-policies") && c.Attr(want) == nil {
					p.ErrorAt(c.Pos, "<%s> needs attribute %q", c.Name, want)
				}
			}
		}
	}
	return &crossDomain{doc: []byte("<?xml version=\"1.0\"?>\n" + strings.TrimSpace(inner) + "\n")}
}

func (c *crossDomain) Run(_ context.Context, s *engine.State) error {
	ctx := s.Context()
	req := ctx.Request
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return nil
	}
	// The path the client called as the gateway routes it, not
	// context.Request.Url's (the backend URL's).
	path := s.RoutePath()
	base := ""
	if ctx.Api != nil {
		base = strings.TrimSuffix(ctx.Api.Path, "/")
	}
	if path != "/crossdomain.xml" && path != base+"/crossdomain.xml" {
		return nil
	}
	r := engine.NewResponse(http.StatusOK)
	r.Headers["Content-Type"] = []string{"application/xml"}
	r.Body = engine.NewBody(c.doc)
	s.SetResponse(r)
	s.Stop()
	return nil
}
