package policies

import (
	"context"
	"net/textproto"

	"github.com/getkin/kin-openapi/openapi3"

	"tollgate/engine"
)

// <validate-parameters specified-parameter-action="ignore | prevent | detect"
//
//	unspecified-parameter-action="ignore | prevent | detect" errors-variable-name="variable name">
//	<headers specified-parameter-action="…" unspecified-parameter-action="…">
//	    <parameter name="parameter name" action="ignore | prevent | detect" />
//	</headers>
//	<query specified-parameter-action="…" unspecified-parameter-action="…">
//	    <parameter name="parameter name" action="…" />
//	</query>
//	<path specified-parameter-action="…">
//	    <parameter name="parameter name" action="…" />
//	</path>
//
// </validate-parameters>
// Validates the request's header, query and path parameters against the
// operation's OpenAPI parameters (the path item's too). A section's
// actions override the policy's; a parameter element overrides both.
// Headers that describe the message (Content-Type, Content-Length,
// hop-by-hop headers: see messageHeaders) are never "unspecified"; the
// body is validate-content's.
type validateParameters struct {
	validator
	specified, unspecified engine.Str
	sections               [3]paramSection // header, query, path
}

const (
	inHeader = iota
	inQuery
	inPath
)

// paramSection is one of <headers>, <query>, <path>.
type paramSection struct {
	specified, unspecified *engine.Str // nil: the policy's
	params                 map[string]action
}

var paramKinds = [3]struct{ elem, in, typ, kind string }{
	{"headers", openapi3.ParameterInHeader, "RequestHeader", "header"},
	{"query", openapi3.ParameterInQuery, "QueryParameter", "query parameter"},
	{"path", openapi3.ParameterInPath, "PathParameter", "path parameter"},
}

func (k *kit) parseValidateParameters(p *engine.Parser) engine.Step {
	v := &validateParameters{
		validator:   validator{k: k, policy: "validate-parameters", varName: p.LitStr("errors-variable-name", "")},
		specified:   actionStr(p, "specified-parameter-action"),
		unspecified: actionStr(p, "unspecified-parameter-action"),
	}
	seen := [3]bool{}
	for _, n := range p.Children() {
		cp := p.Child(n)
		i := -1
		for j, pk := range paramKinds {
			if pk.elem == n.Name {
				i = j
			}
		}
		if i < 0 {
			cp.Errorf("<validate-parameters> has no child element <%s> (only <headers>, <query>, <path>)", n.Name)
			continue
		}
		if seen[i] {
			cp.Errorf("<%s> may appear once", n.Name)
		}
		seen[i] = true
		sec := &v.sections[i]
		if cp.Has("specified-parameter-action") {
			st := actionStr(cp, "specified-parameter-action")
			sec.specified = &st
		}
		if i != inPath && cp.Has("unspecified-parameter-action") {
			st := actionStr(cp, "unspecified-parameter-action")
			sec.unspecified = &st
		}
		sec.params = map[string]action{}
		for _, pn := range cp.Children() {
			pp := cp.Child(pn)
			if pn.Name != "parameter" {
				pp.Errorf("<%s> has no child element <%s> (only <parameter>)", n.Name, pn.Name)
				continue
			}
			name := pp.RequiredLitStr("name")
			if i == inHeader {
				name = textproto.CanonicalMIMEHeaderKey(name)
			}
			if _, dup := sec.params[name]; dup {
				pp.Errorf("parameter %q is already listed", name)
			}
			sec.params[name] = litAction(pp, "action", true, actIgnore)
		}
	}
	return v
}

func (v *validateParameters) Run(_ context.Context, s *engine.State) error {
	top := [2]engine.Str{v.specified, v.unspecified}
	var acts [3][2]action // [section][specified, unspecified]
	for i := range v.sections {
		for j, st := range [2]*engine.Str{v.sections[i].specified, v.sections[i].unspecified} {
			if st == nil {
				st = &top[j]
			}
			a, err := evalAction(s, *st)
			if err != nil {
				return err
			}
			acts[i][j] = a
		}
	}
	var val validation
	spec := opSpec(s)
	if spec == nil {
		val.add(acts[inQuery][0], noSchema())
		return v.finish(s, &val)
	}
	req := s.Context().Request
	declared := [3]map[string]*openapi3.Parameter{{}, {}, {}}
	for _, r := range specParams(spec) {
		for i, pk := range paramKinds {
			if r.Value.In != pk.in {
				continue
			}
			name := r.Value.Name
			if i == inHeader {
				name = textproto.CanonicalMIMEHeaderKey(name)
			}
			declared[i][name] = r.Value
		}
	}
	actionFor := func(i int, name string, def action) action {
		if a, ok := v.sections[i].params[name]; ok {
			return a
		}
		return def
	}
	for i, pk := range paramKinds {
		for _, name := range sortedKeys(declared[i]) {
			var vals []string
			switch i {
			case inHeader:
				vals = req.Headers[name]
			case inQuery:
				if req.Url != nil {
					vals = req.Url.Query[name]
				}
			case inPath:
				if x, ok := req.MatchedParameters[declared[i][name].Name]; ok {
					vals = []string{x}
				}
			}
			checkParam(&val, actionFor(i, name, acts[i][0]), declared[i][name], vals, pk.typ, pk.kind, name, false)
		}
	}
	if req.Url != nil {
		for _, name := range sortedKeys(req.Url.Query) {
			if declared[inQuery][name] == nil {
				d := "Unspecified query parameter " + name + " is not allowed."
				val.add(actionFor(inQuery, name, acts[inQuery][1]), validationError{Name: name, Type: "QueryParameter", ValidationRule: "Unspecified", Details: d, public: d})
			}
		}
	}
	for _, name := range sortedKeys(req.Headers) {
		cn := textproto.CanonicalMIMEHeaderKey(name)
		if declared[inHeader][cn] == nil && !messageHeaders[cn] {
			d := "Unspecified header " + name + " is not allowed."
			val.add(actionFor(inHeader, cn, acts[inHeader][1]), validationError{Name: name, Type: "RequestHeader", ValidationRule: "Unspecified", Details: d, public: d})
		}
	}
	return v.finish(s, &val)
}
