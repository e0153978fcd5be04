package policies

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"tollgate/engine"
)

// <rewrite-uri template="/new/path/{id}?x={x}&amp;y=lit" copy-unmatched-params="true"/>
// Changes the path (and query) the backend receives: the backend URL is the
// service URL (or set-backend-service's) + the template's path, as in APIM.
// context.Request.Url is the backend URL, so its Path becomes the backend's
// base path + the template's path (State.RefreshUrl, the gateway's), and
// its Query and QueryString the new query; the path the gateway routes by
// is the API's path + the template's (State.SetRoutePath). Inbound only.
//
// {name} takes the request's path parameter of that name, as the matched
// operation's URL template gave it (context.Request.MatchedParameters, as
// APIM fills it), or else its query parameter. A query parameter used by a placeholder is "matched". A
// placeholder with no value is an error (400, reason
// TemplateParameterNotFound) in the path; in the query, the parameter is
// left out. Values are substituted as they are (decoded) and encoded when
// the URL is built.
//
// copy-unmatched-params (default true, expressions allowed) keeps the
// original query parameters that are neither matched (by a placeholder, or
// by the query part of the operation's URL template) nor named in the
// template; false drops them.
//
// template may be an expression (@(…)): its result is used as it is, with
// no {placeholder} substitution. A template without a leading "/" is taken
// as if it had one (as APIM does); a full URL is refused.
type rewriteURI struct {
	template engine.Str
	copyRest engine.Bool
	parsed   *uriTemplate // for a literal template
}

// ReasonTemplateParameter is rewrite-uri's reason when a path placeholder
// has no value.
const ReasonTemplateParameter = "TemplateParameterNotFound"

type uriTemplate struct {
	path  []tmplPart
	query []tmplQuery
}

type tmplPart struct {
	lit   string
	param string // when not "", a {param} placeholder
}

type tmplQuery struct {
	name  string
	value []tmplPart
}

func (k *kit) parseRewriteURI(p *engine.Parser) engine.Step {
	r := &rewriteURI{template: p.RequiredStr("template"), copyRest: p.Bool("copy-unmatched-params", true)}
	if r.template.IsConst() && p.Has("template") {
		t, err := parseURITemplate(r.template.Const())
		if err != nil {
			p.ErrorAt(p.Node().Attr("template").ValuePos, "attribute \"template\": %s", err.Error())
		}
		r.parsed = t
	}
	return r
}

// relativeTemplate gives a template without a leading "/" one (APIM
// takes "v2/items" as "/v2/items", and its published samples write them
// so); a full URL is refused, as set-backend-service is where it goes.
func relativeTemplate(s string) (string, error) {
	if strings.Contains(s, "://") {
		return "", fmt.Errorf("the template is a path and query (%q is a URL: set the backend with set-backend-service)", s)
	}
	if !strings.HasPrefix(s, "/") {
		s = "/" + s
	}
	return s, nil
}

func parseURITemplate(s string) (*uriTemplate, error) {
	s, err := relativeTemplate(s)
	if err != nil {
		return nil, err
	}
	pathPart, query, _ := strings.Cut(s, "?")
	t := &uriTemplate{}
	if t.path, err = parsePlaceholders(pathPart, url.PathUnescape); err != nil {
		return nil, err
	}
	for _, kv := range strings.Split(query, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		name, err := url.QueryUnescape(k)
		if err != nil || strings.ContainsAny(name, "{}") {
			return nil, fmt.Errorf("bad query parameter name %q", k)
		}
		parts, err := parsePlaceholders(v, url.QueryUnescape)
		if err != nil {
			return nil, err
		}
		t.query = append(t.query, tmplQuery{name: name, value: parts})
	}
	return t, nil
}

func parsePlaceholders(s string, unescape func(string) (string, error)) ([]tmplPart, error) {
	var parts []tmplPart
	for s != "" {
		i := strings.IndexAny(s, "{}")
		if i < 0 {
			lit, err := unescape(s)
			if err != nil {
				return nil, fmt.Errorf("bad escape in %q", s)
			}
			parts = append(parts, tmplPart{lit: lit})
			break
		}
		if s[i] == '}' {
			return nil, fmt.Errorf("unmatched \"}\" in %q", s)
		}
		if i > 0 {
			lit, err := unescape(s[:i])
			if err != nil {
				return nil, fmt.Errorf("bad escape in %q", s[:i])
			}
			parts = append(parts, tmplPart{lit: lit})
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("unterminated \"{\" in %q", s)
		}
		name := s[i+1 : i+j]
		if name == "" || strings.ContainsAny(name, "{/?&=") {
			return nil, fmt.Errorf("bad placeholder {%s}", name)
		}
		parts = append(parts, tmplPart{param: name})
		s = s[i+j+1:]
	}
	return parts, nil
}

func (r *rewriteURI) Run(_ context.Context, s *engine.State) error {
	req := s.Context().Request
	if req == nil || req.Url == nil {
		return nil
	}
	t := r.parsed
	if t == nil {
		raw, err := r.template.Eval(s)
		if err != nil {
			return err
		}
		if raw, err = relativeTemplate(raw); err != nil {
			return engine.NewPolicyError(engine.ReasonExpression, 500, "rewrite-uri: "+err.Error(), nil)
		}
		pathPart, query, _ := strings.Cut(raw, "?")
		t = &uriTemplate{path: []tmplPart{{lit: pathPart}}}
		if p, err := url.PathUnescape(pathPart); err == nil {
			t.path[0].lit = p
		}
		q, _ := url.ParseQuery(query)
		for k, vs := range q {
			for _, v := range vs {
				t.query = append(t.query, tmplQuery{name: k, value: []tmplPart{{lit: v}}})
			}
		}
	}
	copyRest, err := r.copyRest.Eval(s)
	if err != nil {
		return err
	}
	matched := map[string]bool{}
	lookup := func(name string) (string, bool) {
		if v, ok := req.MatchedParameters[name]; ok {
			return v, true
		}
		if vs, ok := req.Url.Query[name]; ok && len(vs) > 0 {
			matched[name] = true
			return vs[0], true
		}
		return "", false
	}
	newPath, missing := expand(t.path, lookup)
	if missing != "" {
		return engine.NewPolicyError(ReasonTemplateParameter, 400, fmt.Sprintf("rewrite-uri: no value for {%s}", missing), nil)
	}
	newQuery := engine.Query{}
	for _, q := range t.query {
		if v, missing := expand(q.value, lookup); missing == "" {
			newQuery[q.name] = append(newQuery[q.name], v)
		}
	}
	var kept map[string]bool // the unmatched parameters copied: as the client wrote them
	if copyRest {
		// The query parameters of the operation's URL template are
		// matched too: APIM's page, for a request /get?a=b&c=d to the
		// operation /get?a={b}, rewrites "/put" to /put?c=d.
		var opQuery string
		if op := s.Context().Operation; op != nil {
			_, opQuery, _ = strings.Cut(op.UrlTemplate, "?")
		}
		for k, vs := range req.Url.Query {
			if matched[k] || opQuery != "" && templateNamesQuery(opQuery, k) {
				continue
			}
			if _, named := newQuery[k]; named || t.names(k) {
				continue
			}
			newQuery[k] = append([]string(nil), vs...)
			if kept == nil {
				kept = map[string]bool{}
			}
			kept[k] = true
		}
	}
	if api := s.Context().Api; api != nil && api.Path != "" && api.Path != "/" {
		newPath = strings.TrimSuffix(api.Path, "/") + newPath
	}
	s.SetRoutePath(newPath)
	req.Url.Path = newPath // what the view shows without a gateway (RefreshUrl)
	req.Url.SetQueryKeeping(newQuery, kept)
	s.RefreshUrl()
	s.Tracef("-> %s%s", newPath, req.Url.QueryString)
	return nil
}

// templateNamesQuery says whether the query part of a URL template
// ("a={b}&v=2") names the query parameter name.
func templateNamesQuery(q, name string) bool {
	for q != "" {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		k, _, _ := strings.Cut(pair, "=")
		if k == name {
			return true
		}
		if strings.ContainsAny(k, "%+") {
			if u, err := url.QueryUnescape(k); err == nil && u == name {
				return true
			}
		}
	}
	return false
}

// expand fills the placeholders of parts with lookup; missing is the first
// placeholder without a value ("" when every one has one).
func expand(parts []tmplPart, lookup func(string) (string, bool)) (s, missing string) {
	var b strings.Builder
	for _, part := range parts {
		if part.param == "" {
			b.WriteString(part.lit)
			continue
		}
		v, ok := lookup(part.param)
		if !ok {
			return "", part.param
		}
		b.WriteString(v)
	}
	return b.String(), ""
}

// names reports whether the template names query parameter k.
func (t *uriTemplate) names(k string) bool {
	for _, q := range t.query {
		if q.name == k {
			return true
		}
	}
	return false
}
