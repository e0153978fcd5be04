package policies

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"tollgate/engine"
)

// <cors allow-credentials="false" terminate-unmatched-request="true">
//
//	<allowed-origins><origin>*</origin><origin>https://app.example.com</origin></allowed-origins>
//	<allowed-methods preflight-result-max-age="300"><method>GET</method><method>*</method></allowed-methods>
//	<allowed-headers><header>Content-Type</header><header>*</header></allowed-headers>
//	<expose-headers><header>X-Request-Id</header></expose-headers>
//
// </cors>
// A preflight (OPTIONS with Origin and Access-Control-Request-Method) is
// answered here, without the backend. A cross-origin request that matches
// gets Access-Control-Allow-Origin (and -Credentials, -Expose-Headers,
// Vary: Origin) on its response through State.SetResponseHeader. See
// docs/policies-security.md for unmatched requests.
type cors struct {
	credentials bool
	terminate   bool
	anyOrigin   bool
	origins     map[string]bool // lower-case scheme://host[:port]
	// exprOrigins are <origin> expressions, evaluated per request (the
	// policy APIM writes for an A2A agent API has one).
	exprOrigins []engine.Str
	anyMethod   bool
	methods     []string
	methodSet   map[string]bool
	methodList  string // methods, comma-separated: Access-Control-Allow-Methods
	maxAge      int64  // -1: not sent
	maxAgeText  string
	anyHeader   bool
	headers     map[string]bool // lower case
	expose      string
}

func (k *kit) parseCors(p *engine.Parser) engine.Step {
	c := &cors{
		credentials: p.LitBool("allow-credentials", false),
		terminate:   p.LitBool("terminate-unmatched-request", true),
		origins:     map[string]bool{},
		methodSet:   map[string]bool{},
		headers:     map[string]bool{},
		maxAge:      -1,
	}
	var sawOrigins, sawHeaders, sawMethods bool
	for _, n := range p.Children() {
		cp := p.Child(n)
		switch n.Name {
		case "allowed-origins":
			sawOrigins = true
			for _, v := range splitOrigins(corsList(cp, "origin")) {
				if v.expr != nil {
					c.exprOrigins = append(c.exprOrigins, *v.expr)
					continue
				}
				if v.text == "*" {
					c.anyOrigin = true
					if c.credentials {
						cp.ErrorAt(v.pos, "origin \"*\" cannot be used with allow-credentials=\"true\" (browsers reject it): list the origins")
					}
					continue
				}
				o, err := normOrigin(v.text)
				if err != "" {
					cp.ErrorAt(v.pos, "%s", err)
					continue
				}
				c.origins[o] = true
			}
		case "allowed-methods":
			sawMethods = true
			c.maxAge = cp.LitInt("preflight-result-max-age", -1, 0, 86400*365)
			for _, v := range corsList(cp, "method") {
				if v.text == "*" {
					c.anyMethod = true
					continue
				}
				if strings.ContainsAny(v.text, " \t,/") {
					cp.ErrorAt(v.pos, "%q is not an HTTP method", v.text)
					continue
				}
				m := strings.ToUpper(v.text)
				if !c.methodSet[m] {
					c.methodSet[m] = true
					c.methods = append(c.methods, m)
				}
			}
		case "allowed-headers":
			sawHeaders = true
			for _, v := range corsList(cp, "header") {
				if v.text == "*" {
					c.anyHeader = true
					continue
				}
				c.headers[strings.ToLower(v.text)] = true
			}
		case "expose-headers":
			var names []string
			for _, v := range corsList(cp, "header") {
				names = append(names, v.text)
			}
			c.expose = strings.Join(names, ", ")
		default:
			cp.Errorf("unexpected element <%s> inside <cors> (want allowed-origins, allowed-methods, allowed-headers, expose-headers)", n.Name)
		}
	}
	if !sawOrigins {
		p.Errorf("<cors> needs <allowed-origins>")
	}
	if !sawHeaders {
		// APIM's page marks it required, but APIM saves and runs cors
		// without it (production policies omit it): no header is allowed
		// beyond those a browser sends without asking.
		p.Noticef("<cors> has no <allowed-headers>: a preflight that asks for any request header is refused (APIM's documentation marks the element required; its gateway accepts the policy without it)")
	}
	if !sawMethods {
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			c.methodSet[m] = true
			c.methods = append(c.methods, m)
		}
	}
	// What every preflight answer sends, made once.
	c.methodList = strings.Join(c.methods, ", ")
	if c.maxAge >= 0 {
		c.maxAgeText = strconv.FormatInt(c.maxAge, 10)
	}
	return c
}

type corsItem struct {
	text string
	pos  engine.Pos
	expr *engine.Str // an <origin> expression
}

// corsList reads the <name> children of p: literal texts, at least one.
func corsList(p *engine.Parser, name string) []corsItem {
	var out []corsItem
	for _, n := range p.Children() {
		if n.Name != name {
			continue // reported as unexpected
		}
		cp := p.Child(n)
		t := cp.TextStr()
		if !t.IsConst() && name == "origin" {
			out = append(out, corsItem{pos: n.TextPos, expr: &t})
			continue
		}
		if !t.IsConst() {
			cp.Errorf("<%s> must be written out, not an expression", name)
			continue
		}
		v := strings.TrimSpace(t.Const())
		if v == "" {
			cp.Errorf("<%s> is empty", name)
			continue
		}
		out = append(out, corsItem{text: v, pos: n.TextPos})
	}
	if len(out) == 0 && len(p.Children()) == 0 {
		p.Errorf("<%s> needs at least one <%s>", p.Node().Name, name)
	}
	return out
}

// splitOrigins splits each <origin> on commas: one element may list
// several origins, as a named value holding a list does
// (<origin>{{page-origins}}</origin>). Empty parts are dropped.
func splitOrigins(items []corsItem) []corsItem {
	var out []corsItem
	for _, it := range items {
		if it.expr != nil {
			out = append(out, it)
			continue
		}
		for _, part := range strings.Split(it.text, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, corsItem{text: part, pos: it.pos})
			}
		}
	}
	return out
}

// normOrigin checks an allowed origin and returns it in the form browsers
// send (lower case, no default port, no path).
func normOrigin(s string) (string, string) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", "origin " + strconv.Quote(s) + " must be \"*\" or scheme://host[:port], such as https://app.example.com"
	}
	host := strings.ToLower(u.Host)
	if (u.Scheme == "https" && strings.HasSuffix(host, ":443")) || (u.Scheme == "http" && strings.HasSuffix(host, ":80")) {
		host = host[:strings.LastIndexByte(host, ':')]
	}
	return u.Scheme + "://" + host, ""
}

func (c *cors) originAllowed(s *engine.State, origin string) bool {
	if c.anyOrigin || c.origins[origin] { // browsers send it as normOrigin writes it
		return true
	}
	o, err := normOrigin(origin)
	if err != "" {
		return false
	}
	if c.origins[o] {
		return true
	}
	// The expressions' values: "*", or origins (a comma list), as a
	// literal <origin> takes them.
	for _, e := range c.exprOrigins {
		v, eerr := e.Eval(s)
		if eerr != nil {
			s.Tracef("<origin> expression failed: %v", eerr)
			continue
		}
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if part == "*" {
				return true
			}
			if p, perr := normOrigin(part); perr == "" && p == o {
				return true
			}
		}
	}
	return false
}

func (c *cors) methodAllowed(m string) bool {
	return c.anyMethod || c.methodSet[strings.ToUpper(m)]
}

func (c *cors) allowOrigin(origin string) string {
	if c.anyOrigin && !c.credentials {
		return "*"
	}
	return origin
}

func (c *cors) Run(_ context.Context, s *engine.State) error {
	req := s.Context().Request
	origin := req.Headers.GetValueOrDefault("Origin", "")
	if origin == "" {
		return nil // not a cross-origin request
	}
	reqMethod := req.Headers.GetValueOrDefault("Access-Control-Request-Method", "")
	if req.Method == http.MethodOptions && reqMethod != "" {
		return c.preflight(s, origin, reqMethod)
	}
	if !c.originAllowed(s, origin) || !c.methodAllowed(req.Method) {
		s.Tracef("origin %q / method %s not allowed", origin, req.Method)
		if c.terminate && (req.Method == http.MethodGet || req.Method == http.MethodHead) {
			s.SetResponse(engine.NewResponse(http.StatusOK))
			s.Stop()
		}
		return nil
	}
	s.SetResponseHeader("Access-Control-Allow-Origin", c.allowOrigin(origin))
	if c.credentials {
		s.SetResponseHeader("Access-Control-Allow-Credentials", "true")
	}
	if c.expose != "" {
		s.SetResponseHeader("Access-Control-Expose-Headers", c.expose)
	}
	if !c.anyOrigin || c.credentials {
		s.SetResponseHeader("Vary", "Origin")
	}
	return nil
}

func (c *cors) preflight(s *engine.State, origin, reqMethod string) error {
	// The requested headers, each compared as it stands in the list: no
	// slice of them is made (a browser sends them lower case, as the
	// allowed ones are kept).
	asked := s.Context().Request.Headers.GetValueOrDefault("Access-Control-Request-Headers", "")
	ok := c.originAllowed(s, origin) && c.methodAllowed(reqMethod)
	n := 0 // requested headers
	for h := range strings.SplitSeq(asked, ",") {
		if h = strings.TrimSpace(h); h == "" {
			continue
		}
		n++
		if ok && !c.anyHeader && !c.headers[lowerASCII(h)] {
			ok = false
		}
	}
	if !ok {
		s.Tracef("preflight from %q for %s %q not allowed", origin, reqMethod, asked)
		if !c.terminate {
			return nil // let a later policy or the backend answer
		}
	}
	r := engine.NewResponse(http.StatusOK)
	r.Headers["Vary"] = []string{"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}
	if !ok {
		// An empty 200 without CORS headers: the browser blocks the call.
		s.SetResponse(r)
		s.Stop()
		return nil
	}
	r.Headers["Access-Control-Allow-Origin"] = []string{c.allowOrigin(origin)}
	if c.credentials {
		r.Headers["Access-Control-Allow-Credentials"] = []string{"true"}
	}
	if c.anyMethod {
		r.Headers["Access-Control-Allow-Methods"] = []string{strings.ToUpper(reqMethod)}
	} else {
		r.Headers["Access-Control-Allow-Methods"] = []string{c.methodList}
	}
	if n > 0 {
		r.Headers["Access-Control-Allow-Headers"] = []string{joinTrimmed(asked)}
	}
	if c.maxAge >= 0 {
		r.Headers["Access-Control-Max-Age"] = []string{c.maxAgeText}
	}
	s.SetResponse(r)
	s.Stop()
	return nil
}

// lowerASCII is strings.ToLower for a header name: s itself, without
// allocating, when it has no upper-case letter.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// joinTrimmed is list's non-empty comma-separated items, trimmed, joined
// with ", ", in one allocation.
func joinTrimmed(list string) string {
	var b strings.Builder
	b.Grow(len(list) + strings.Count(list, ","))
	for h := range strings.SplitSeq(list, ",") {
		if h = strings.TrimSpace(h); h == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(h)
	}
	return b.String()
}
