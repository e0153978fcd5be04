package policies

import (
	"context"
	"strconv"

	"tollgate/engine"
)

// <validate-status-code unspecified-status-code-action="ignore | prevent | detect"
//
//	errors-variable-name="variable name">
//	<status-code code="HTTP status code number" action="ignore | prevent | detect" />
//
// </validate-status-code>
// A response status the operation's OpenAPI responses do not list (exact
// code, range such as "4XX", or "default") is unspecified; a status-code
// element overrides the action for one code, and only for an unspecified one.
type validateStatusCode struct {
	validator
	unspecified engine.Str // an action; expressions allowed
	codes       map[int]action
}

func (k *kit) parseValidateStatusCode(p *engine.Parser) engine.Step {
	v := &validateStatusCode{
		validator:   validator{k: k, policy: "validate-status-code", varName: p.LitStr("errors-variable-name", ""), response: true},
		unspecified: actionStr(p, "unspecified-status-code-action"),
		codes:       map[int]action{},
	}
	for _, n := range p.Children() {
		cp := p.Child(n)
		if n.Name != "status-code" {
			cp.Errorf("<validate-status-code> has no child element <%s> (only <status-code>)", n.Name)
			continue
		}
		code := int(cp.RequiredLitInt("code", 100, 599))
		a := litAction(cp, "action", true, actIgnore)
		if _, dup := v.codes[code]; dup {
			cp.Errorf("status code %d is already listed", code)
		}
		v.codes[code] = a
	}
	return v
}

func (v *validateStatusCode) Run(_ context.Context, s *engine.State) error {
	unspecified, err := evalAction(s, v.unspecified)
	if err != nil {
		return err
	}
	var val validation
	spec := opSpec(s)
	if spec == nil {
		val.add(unspecified, noSchema())
		return v.finish(s, &val)
	}
	code := s.Response().StatusCode
	if specResponse(spec, code) == nil {
		a := unspecified
		if o, ok := v.codes[code]; ok {
			a = o
		}
		val.add(a, validationError{Name: strconv.Itoa(code), Type: "StatusCode", ValidationRule: "Unspecified",
			Details: "Response status code " + strconv.Itoa(code) + " is not allowed."})
	}
	return v.finish(s, &val)
}
