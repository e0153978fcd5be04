package policies

import (
	"context"

	"tollgate/engine"
)

// <xml-to-json kind="javascript-friendly|direct" apply="always|content-type-xml"
//
//	consider-accept-header="true" always-array-child-elements="false"/>
//
// Converts the request body (inbound) or the response body (outbound,
// on-error) from XML to JSON and sets Content-Type: application/json. A
// body that is not well-formed XML is left as it is.
type xmlToJSONStep struct {
	kind, apply                 engine.Str
	considerAccept, alwaysArray engine.Bool
	response                    bool
}

func (k *kit) parseXMLToJSON(p *engine.Parser) engine.Step {
	return &xmlToJSONStep{
		kind:           choiceAttr(p, "kind", true, "", "javascript-friendly", "direct"),
		apply:          choiceAttr(p, "apply", true, "", "always", "content-type-xml"),
		considerAccept: p.Bool("consider-accept-header", true),
		alwaysArray:    p.Bool("always-array-child-elements", false),
		response:       isResponseSection(p.Section()),
	}
}

func (x *xmlToJSONStep) Run(_ context.Context, s *engine.State) error {
	kind, err := evalChoice(s, x.kind, "kind", "javascript-friendly", "direct")
	if err != nil {
		return err
	}
	apply, err := evalChoice(s, x.apply, "apply", "always", "content-type-xml")
	if err != nil {
		return err
	}
	consider, err := x.considerAccept.Eval(s)
	if err != nil {
		return err
	}
	always, err := x.alwaysArray.Eval(s)
	if err != nil {
		return err
	}
	m := messageOf(s, x.response)
	if apply == "content-type-xml" && !isXMLType(m.contentType()) {
		s.Tracef("Content-Type %q is not XML: not converted", m.contentType())
		return nil
	}
	if consider && !accepts(s.Context().Request.Headers, func(mt string) bool { return isJSONType(mt) }) {
		s.Tracef("the request's Accept does not ask for JSON: not converted")
		return nil
	}
	data, err := m.read(x.response)
	if err != nil {
		return err
	}
	out, err := xmlToJSON(data, xmlToJSONOptions{JavaScriptFriendly: kind == "javascript-friendly", AlwaysArray: always})
	if err != nil {
		s.Tracef("not converted: %v", err)
		return nil
	}
	m.replace(out, "application/json")
	return nil
}
