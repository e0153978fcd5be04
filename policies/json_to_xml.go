package policies

import (
	"context"

	"tollgate/engine"
)

// <json-to-xml apply="always|content-type-json" consider-accept-header="true"
//
//	parse-date="true" namespace-separator="_" namespace-prefix="xmlns" attribute-block-name="#attrs"/>
//
// Converts the request body (inbound) or the response body (outbound,
// on-error) from JSON to XML and sets Content-Type: application/xml. A body
// that is not JSON is left as it is (see docs/policies-transform.md).
type jsonToXMLStep struct {
	apply, separator, prefix, block engine.Str
	considerAccept                  engine.Bool
	parseDate                       bool
	response                        bool
}

func (k *kit) parseJSONToXML(p *engine.Parser) engine.Step {
	j := &jsonToXMLStep{
		apply:          choiceAttr(p, "apply", true, "", "always", "content-type-json"),
		considerAccept: p.Bool("consider-accept-header", true),
		parseDate:      p.LitBool("parse-date", true),
		separator:      p.Str("namespace-separator", "_"),
		prefix:         p.Str("namespace-prefix", ""),
		block:          p.Str("attribute-block-name", ""),
		response:       isResponseSection(p.Section()),
	}
	if j.separator.IsConst() && j.separator.Const() == "" && p.Has("namespace-separator") {
		p.ErrorAt(p.Node().Attr("namespace-separator").ValuePos, "attribute \"namespace-separator\" must not be empty")
	}
	return j
}

func (j *jsonToXMLStep) Run(_ context.Context, s *engine.State) error {
	apply, err := evalChoice(s, j.apply, "apply", "always", "content-type-json")
	if err != nil {
		return err
	}
	consider, err := j.considerAccept.Eval(s)
	if err != nil {
		return err
	}
	m := messageOf(s, j.response)
	if apply == "content-type-json" && !isJSONType(m.contentType()) {
		s.Tracef("Content-Type %q is not JSON: not converted", m.contentType())
		return nil
	}
	if consider && !accepts(s.Context().Request.Headers, func(mt string) bool { return isXMLType(mt) }) {
		s.Tracef("the request's Accept does not ask for XML: not converted")
		return nil
	}
	var o jsonToXMLOptions
	o.ParseDate = j.parseDate
	if o.NamespaceSeparator, err = j.separator.Eval(s); err != nil {
		return err
	}
	if o.NamespacePrefix, err = j.prefix.Eval(s); err != nil {
		return err
	}
	if o.AttributeBlockName, err = j.block.Eval(s); err != nil {
		return err
	}
	data, err := m.read(j.response)
	if err != nil {
		return err
	}
	out, err := jsonToXML(data, o)
	if err != nil {
		s.Tracef("not converted: %v", err)
		return nil
	}
	m.replace(out, "application/xml")
	return nil
}
