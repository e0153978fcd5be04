package policies

import (
	"errors"
	"fmt"
	"strconv"
	"sync"

	"tollgate/engine"
	"tollgate/internal/xsd"
)

// validate-content's validate-as="xml" and "soap": the body validated with
// tollgate's XML Schema validator (internal/xsd).
//
//   - xml with schema-id: the body's root element must be a global element
//     of that schema resource (schemaType "xml", its XSD document), and
//     conform to it. Without schema-id: the API's own schemas, the <types>
//     of a SOAP API's WSDL.
//   - soap: the body must be a SOAP envelope, 1.1 for text/xml and 1.2 for
//     application/soap+xml (either when the content type is mapped to
//     something else), with an optional Header and one Body; every element
//     of the Body (a Fault excepted) must be a global element of the schema
//     (schema-id's, else the WSDL's) and conform to it.
//
// Schemas compile at load (a schema that does not compile is a load
// error); validation reads the body once into a tree.

const (
	nsSOAP11Env = "http://schemas.xmlsoap.org/soap/envelope/"
	nsSOAP12Env = "http://www.w3.org/2003/05/soap-envelope"
)

// envelopeXSD is the SOAP envelope's structure: an optional Header of
// blocks (not validated: they belong to their own specifications), then
// the Body, whose elements are validated separately. SOAP 1.1 allows
// elements of other namespaces after the Body.
const envelopeXSD = `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="%s" elementFormDefault="qualified">
  <xs:element name="Envelope"><xs:complexType><xs:sequence>
    <xs:element name="Header" minOccurs="0"><xs:complexType><xs:sequence><xs:any namespace="##other" processContents="skip" minOccurs="0" maxOccurs="unbounded"/></xs:sequence><xs:anyAttribute namespace="##other" processContents="skip"/></xs:complexType></xs:element>
    <xs:element name="Body"><xs:complexType><xs:sequence><xs:any processContents="skip" minOccurs="0" maxOccurs="unbounded"/></xs:sequence><xs:anyAttribute namespace="##other" processContents="skip"/></xs:complexType></xs:element>
    %s
  </xs:sequence><xs:anyAttribute namespace="##other" processContents="skip"/></xs:complexType></xs:element>
</xs:schema>`

var envelopes = sync.OnceValue(func() map[string]*xsd.Set {
	out := map[string]*xsd.Set{}
	for ns, tail := range map[string]string{
		nsSOAP11Env: `<xs:any namespace="##other" processContents="skip" minOccurs="0" maxOccurs="unbounded"/>`,
		nsSOAP12Env: ``,
	} {
		set, err := xsd.Compile([]xsd.Doc{{Name: "soap-envelope.xsd", Data: fmt.Appendf(nil, envelopeXSD, ns, tail)}}, xsd.Limits{})
		if err != nil {
			panic("the SOAP envelope schema does not compile: " + err.Error())
		}
		out[ns] = set
	}
	return out
})

// compileXMLSchema compiles schema-id's XML schema resource; nil after a
// load error. Other XML schema resources are given too, as the documents
// its xs:include and xs:import may name (by the resource's name).
func compileXMLSchema(p *engine.Parser, a *engine.Attr, id string) *xsd.Set {
	doc, ok := globalSchemaOf(p, a, id, "xml", "schema %q is a %s schema: validate-as=\"xml\" and \"soap\" need an XML schema (schemaType \"xml\")")
	if !ok {
		return nil
	}
	docs := []xsd.Doc{{Name: id, Data: doc.Doc}}
	for _, other := range p.GlobalSchemaIDs() {
		if o, _ := p.GlobalSchema(other); other != id && o.Type == "xml" {
			docs = append(docs, xsd.Doc{Name: other, Data: o.Doc, Library: true})
		}
	}
	set, err := xsd.Compile(docs, xsd.Limits{})
	if err != nil {
		var ce xsd.CompileErrors
		if errors.As(err, &ce) {
			for _, e := range ce {
				file := doc.File
				if e.File != id {
					if o, ok := p.GlobalSchema(e.File); ok {
						file = o.File
					}
				}
				p.ErrorAt(a.ValuePos, "schema %q does not compile: %s (its XML schema), line %d, column %d: %s", id, file, e.Line, e.Col, e.Msg)
			}
			return nil
		}
		p.ErrorAt(a.ValuePos, "schema %q does not compile: %s", id, err.Error())
		return nil
	}
	return set
}

// validateXML validates an XML or SOAP body for a content rule.
func (v *validateContent) validateXML(s *engine.State, r *contentRule, data []byte, ct, typ, what string, val *validation, pub func(string) string) {
	if r.act == actIgnore {
		return
	}
	set, def := r.xsd, r.schemaID
	if set == nil {
		set = engine.SOAPSchemas(s.Context().Api)
		if set == nil {
			val.add(r.act, noSchema())
			return
		}
	}
	fail := func(defName string, e xsd.Error) {
		if def != "" {
			defName = def
		}
		d := "Body of the " + what + " does not conform to the definition " + defName + ", which is associated with the content type " + ct + ".\n\n" +
			e.Msg + " Path '" + e.Path + "'. Line: " + strconv.Itoa(e.Line) + ", Position: " + strconv.Itoa(e.Col)
		val.add(r.act, validationError{Name: ct, Type: typ, ValidationRule: "IncorrectMessage", Details: d, public: pub(d)})
	}
	root, err := xsd.Parse(data, 0)
	if err != nil {
		var pe *xsd.ParseError
		errors.As(err, &pe)
		fail("", xsd.Error{Line: pe.Line, Col: pe.Col, Path: "/", Msg: "The body is not well-formed XML: " + pe.Msg + "."})
		return
	}
	if r.as == "xml" {
		if errs := set.ValidateNode(root); len(errs) > 0 {
			fail(root.Local, errs[0])
		}
		return
	}
	// SOAP: the envelope first.
	ns := ""
	switch ct {
	case "text/xml":
		ns = nsSOAP11Env
	case "application/soap+xml":
		ns = nsSOAP12Env
	default:
		ns = root.Space // a mapped content type: either version
		if ns != nsSOAP11Env && ns != nsSOAP12Env {
			ns = nsSOAP11Env
		}
	}
	if errs := envelopes()[ns].ValidateNode(root); len(errs) > 0 {
		fail("Envelope", errs[0])
		return
	}
	// Without schema-id, the matched operation's messages say which
	// elements the Body carries (an RPC-style operation's wrapper is not
	// validated).
	var want []xsd.QName
	checkOp := false
	if op := s.Context().Operation; r.xsd == nil && op != nil && op.SOAP != nil {
		if op.SOAP.RPC {
			return
		}
		want, checkOp = op.SOAP.Input, true
		if v.response {
			want = op.SOAP.Output
		}
	}
	for _, body := range root.Children {
		if body.Space != ns || body.Local != "Body" {
			continue
		}
		seen := 0
		for _, payload := range body.Children {
			if payload.Space == ns && payload.Local == "Fault" {
				return
			}
			if checkOp {
				if seen >= len(want) || (xsd.QName{Space: payload.Space, Local: payload.Local}) != want[seen] {
					msg := "The element " + xsd.ContentName(xsd.QName{Space: ns, Local: "Body"}) + " has invalid child element " +
						xsd.ContentName(xsd.QName{Space: payload.Space, Local: payload.Local}) + "."
					if seen < len(want) {
						msg += " List of possible elements expected: " + xsd.ExpectedElements(want[seen:seen+1]) + "."
					}
					fail(payload.Local, xsd.Error{Line: payload.Line, Col: payload.Col, Path: payload.Path(), Msg: msg})
					return
				}
				seen++
			}
			if errs := set.ValidateNode(payload); len(errs) > 0 {
				fail(payload.Local, errs[0])
				return
			}
		}
		if checkOp && seen < len(want) {
			fail(want[seen].Local, xsd.Error{Line: body.Line, Col: body.Col, Path: body.Path(),
				Msg: "The element " + xsd.ContentName(xsd.QName{Space: ns, Local: "Body"}) + " has incomplete content. List of possible elements expected: " +
					xsd.ExpectedElements(want[seen:seen+1]) + "."})
			return
		}
	}
}

// parseXMLContent reads the rest of a <content validate-as="xml|soap">:
// schema-ref and allow-additional-properties are JSON's, and a SOAP
// content type is SOAP 1.1's or 1.2's. It reports whether the rule is good.
func (v *validateContent) parseXMLContent(cp *engine.Parser, r *contentRule) bool {
	ok := true
	if a := cp.Attr("schema-ref"); a != nil {
		cp.ErrorAt(a.Pos, "schema-ref is for JSON schemas: with validate-as=%q any global element of the XML schema can be the body's root", r.as)
		ok = false
	}
	if a := cp.Attr("allow-additional-properties"); a != nil {
		cp.ErrorAt(a.Pos, "allow-additional-properties is for JSON schemas, not validate-as=%q", r.as)
		ok = false
	}
	if r.as == "soap" && r.typ != "" && r.typ != "text/xml" && r.typ != "application/soap+xml" {
		cp.ErrorAt(cp.Attr("type").ValuePos, "validate-as=\"soap\" validates text/xml (SOAP 1.1) or application/soap+xml (SOAP 1.2), not %q", r.typ)
		ok = false
	}
	if a := cp.Attr("schema-id"); a != nil {
		r.schemaID = cp.RequiredLitStr("schema-id")
		if r.schemaID != "" {
			r.xsd = compileXMLSchema(cp, a, r.schemaID)
			ok = ok && r.xsd != nil
		}
	}
	return ok
}
