package policies

import (
	"context"
	"errors"
	"net/textproto"

	"github.com/getkin/kin-openapi/openapi3"

	"tollgate/engine"
)

// <validate-headers specified-header-action="ignore | prevent | detect"
//
//	unspecified-header-action="ignore | prevent | detect"
//	errors-variable-name="variable name">
//	<header name="header name" action="ignore | prevent | detect" />
//
// </validate-headers>
// Validates the response's headers against the headers the operation's
// OpenAPI response (for the response's status) declares. A header element
// overrides the action for one header. Headers that describe the message
// rather than the API (Content-Type, Content-Length, Date, hop-by-hop
// headers) are never "unspecified".
type validateHeaders struct {
	validator
	specified, unspecified engine.Str
	headers                map[string]action // canonical name -> action
}

func (k *kit) parseValidateHeaders(p *engine.Parser) engine.Step {
	v := &validateHeaders{
		validator:   validator{k: k, policy: "validate-headers", varName: p.LitStr("errors-variable-name", ""), response: true},
		specified:   actionStr(p, "specified-header-action"),
		unspecified: actionStr(p, "unspecified-header-action"),
		headers:     map[string]action{},
	}
	for _, n := range p.Children() {
		cp := p.Child(n)
		if n.Name != "header" {
			cp.Errorf("<validate-headers> has no child element <%s> (only <header>)", n.Name)
			continue
		}
		name := textproto.CanonicalMIMEHeaderKey(cp.RequiredLitStr("name"))
		if _, dup := v.headers[name]; dup {
			cp.Errorf("header %q is already listed", name)
		}
		v.headers[name] = litAction(cp, "action", true, actIgnore)
	}
	return v
}

// messageHeaders describe the HTTP message, not the API: never unspecified.
var messageHeaders = map[string]bool{
	"Content-Type": true, "Content-Length": true, "Date": true, "Connection": true, "Keep-Alive": true,
	"Transfer-Encoding": true, "Trailer": true, "Upgrade": true, "Proxy-Connection": true, "Te": true,
}

func (v *validateHeaders) Run(_ context.Context, s *engine.State) error {
	specified, err := evalAction(s, v.specified)
	if err != nil {
		return err
	}
	unspecified, err := evalAction(s, v.unspecified)
	if err != nil {
		return err
	}
	var val validation
	spec := opSpec(s)
	if spec == nil {
		val.add(specified, noSchema())
		return v.finish(s, &val)
	}
	resp := s.Response()
	declared := map[string]*openapi3.Header{}
	if r := specResponse(spec, resp.StatusCode); r != nil {
		for name, h := range r.Headers {
			if h != nil && h.Value != nil {
				declared[textproto.CanonicalMIMEHeaderKey(name)] = h.Value
			}
		}
	}
	actionFor := func(name string, def action) action {
		if a, ok := v.headers[name]; ok {
			return a
		}
		return def
	}
	for _, name := range sortedKeys(declared) {
		checkParam(&val, actionFor(name, specified), &declared[name].Parameter, resp.Headers[name], "ResponseHeader", "header", name, true)
	}
	for _, name := range sortedKeys(resp.Headers) {
		cn := textproto.CanonicalMIMEHeaderKey(name)
		if declared[cn] != nil || messageHeaders[cn] {
			continue
		}
		val.add(actionFor(cn, unspecified), validationError{Name: name, Type: "ResponseHeader", ValidationRule: "Unspecified",
			Details: "Unspecified header " + name + " is not allowed."})
	}
	return v.finish(s, &val)
}

// actionStr reads a required action attribute that may be an expression.
func actionStr(p *engine.Parser, name string) engine.Str {
	st := p.RequiredStr(name)
	if a := p.Attr(name); a != nil && st.IsConst() {
		if _, ok := parseAction(st.Const()); !ok {
			p.ErrorAt(a.ValuePos, "attribute %q must be one of ignore, detect, prevent, not %q", name, st.Const())
		}
	}
	return st
}

func parseAction(v string) (action, bool) {
	for i, n := range actionNames {
		if n == v {
			return action(i), true
		}
	}
	return actIgnore, false
}

// evalAction evaluates an action attribute; a bad value from an
// expression fails the policy.
func evalAction(s *engine.State, st engine.Str) (action, error) {
	v, err := st.Eval(s)
	if err != nil {
		return actIgnore, err
	}
	a, ok := parseAction(v)
	if !ok {
		return actIgnore, errors.New("the action " + v + " is not one of ignore, detect, prevent")
	}
	return a, nil
}

// checkParam validates one declared parameter or header: presence when
// required, a single value unless it is an array, its type and schema.
func checkParam(val *validation, a action, p *openapi3.Parameter, vals []string, typ, kind, name string, response bool) {
	if a == actIgnore {
		return
	}
	msgSubject := "Request"
	if response {
		msgSubject = "Response"
	}
	if len(vals) == 0 {
		if p.Required {
			d := "Value of the " + kind + " " + name + " does not conform to the definition.\n\nThe " + kind + " is required but missing."
			val.add(a, validationError{Name: name, Type: typ, ValidationRule: "IncorrectMessage", Details: d, public: publicFor(response, "The value of the "+kind+" "+name+" does not conform to the definition.\n\nThe "+kind+" is required but missing.")})
		}
		return
	}
	var sch *openapi3.Schema
	if p.Schema != nil {
		sch = p.Schema.Value
	} else if mt := p.Content.Get("application/json"); mt != nil && mt.Schema != nil {
		sch = mt.Schema.Value
	}
	isArray := sch != nil && sch.Type.Is("array")
	if len(vals) > 1 && !isArray {
		d := msgSubject + " cannot contain multiple values for the " + kind + " " + name + "."
		val.add(a, validationError{Name: name, Type: typ, ValidationRule: "IncorrectMessage", Details: d, public: publicFor(response, d)})
		return
	}
	v, err := coerce(sch, vals)
	if err != nil {
		d := "Value of the " + kind + " " + name + " cannot be parsed according to the definition. \n\n" + err.Error()
		pub := "Value of the " + kind + " " + name + " couldn't be parsed according to the definition. \n\n" + err.Error()
		if response {
			d = "Value of the " + kind + " " + name + " couldn't be parsed according to the definition."
		}
		val.add(a, validationError{Name: name, Type: typ, ValidationRule: "IncorrectMessage", Details: d, public: publicFor(response, pub)})
		return
	}
	if sch == nil {
		return
	}
	opts := []openapi3.SchemaValidationOption{openapi3.VisitAsRequest()}
	if response {
		opts = []openapi3.SchemaValidationOption{openapi3.VisitAsResponse()}
	}
	opts = append(opts, openAPIRegexOpt)
	err, lim := catchPatternLimit(func() error { return sch.VisitJSON(v, opts...) })
	if lim != nil {
		err = errors.New(lim.message(v))
	}
	if err != nil {
		msg := schemaMessage(err)
		d := "Value of the " + kind + " " + name + " does not conform to the definition.\n\n" + msg
		val.add(a, validationError{Name: name, Type: typ, ValidationRule: "IncorrectMessage", Details: d,
			public: publicFor(response, "The value of the "+kind+" "+name+" does not conform to the definition.\n\n"+msg)})
	}
}

// publicFor is the client's message: a response error never leaks.
func publicFor(response bool, msg string) string {
	if response {
		return ""
	}
	return msg
}
