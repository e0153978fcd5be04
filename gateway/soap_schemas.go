package gateway

import (
	"errors"
	"strconv"
	"strings"

	"tollgate/engine"
	"tollgate/internal/xsd"
)

// wsdlSchemas compiles the XML schemas of a WSDL's <types> (every
// xs:schema there, together: they may import each other by namespace),
// for validate-content's validate-as="soap" and "xml" (APIM validates a
// SOAP API's messages against them). It returns nil when the WSDL has no
// schema. A schema problem is a load error at its line and column in the
// WSDL; an xs:import or xs:include with a schemaLocation is one too, since
// nothing is fetched (put the schema in <types>).
func wsdlSchemas(file string, data []byte, errs *engine.ErrorList) *xsd.Set {
	root, err := xsd.Parse(data, maxWSDLDepth)
	if err != nil || root.Space != nsWSDL || root.Local != "definitions" {
		return nil // parseWSDL reports it
	}
	var docs []xsd.Doc
	for _, t := range root.Children {
		if t.Space != nsWSDL || t.Local != "types" {
			continue
		}
		for _, s := range t.Children {
			if s.Space == xsd.XSNamespace && s.Local == "schema" {
				docs = append(docs, xsd.Doc{Name: file + "#" + strconv.Itoa(len(docs)+1), Root: s})
			}
		}
	}
	if len(docs) == 0 {
		return nil
	}
	set, err := xsd.Compile(docs, xsd.Limits{})
	if err != nil {
		var ce xsd.CompileErrors
		if !errors.As(err, &ce) {
			errs.Add(engine.Pos{File: file, Line: 1, Col: 1}, "", "XML schema in the WSDL's types: %s", err.Error())
			return nil
		}
		for _, e := range ce {
			f, _, _ := strings.Cut(e.File, "#")
			if f == "" {
				f = file
			}
			errs.Add(engine.Pos{File: f, Line: e.Line, Col: e.Col}, "", "XML schema in the WSDL's types: %s", e.Msg)
		}
		return nil
	}
	return set
}

// wsdlMessages reads what each operation of a WSDL's SOAP bindings
// carries: its input's and output's message parts (the elements of a
// document-style Body), or that it is RPC-style. Keyed by operation name;
// problems are parseWSDL's to report.
func wsdlMessages(data []byte) map[string]*engine.SOAPOperation {
	root, err := xsd.Parse(data, maxWSDLDepth)
	if err != nil || root.Space != nsWSDL || root.Local != "definitions" {
		return nil
	}
	tns, _ := root.Attr("targetNamespace")
	qn := func(n *xsd.Node, v string) (xsd.QName, bool) {
		prefix, local := splitQName(v)
		ns, ok := n.Lookup(prefix)
		return xsd.QName{Space: ns, Local: local}, ok
	}
	messages := map[xsd.QName][]xsd.QName{} // message → part elements
	typed := map[xsd.QName]bool{}           // messages with a part by type
	portOps := map[xsd.QName]map[string][2]xsd.QName{}
	for _, d := range root.Children {
		if d.Space != nsWSDL {
			continue
		}
		name, _ := d.Attr("name")
		switch d.Local {
		case "message":
			m := xsd.QName{Space: tns, Local: name}
			messages[m] = []xsd.QName{}
			for _, p := range d.Children {
				if p.Space != nsWSDL || p.Local != "part" {
					continue
				}
				if el, ok := p.Attr("element"); ok {
					if q, ok := qn(p, el); ok {
						messages[m] = append(messages[m], q)
					}
				} else {
					typed[m] = true
				}
			}
		case "portType":
			ops := map[string][2]xsd.QName{}
			for _, o := range d.Children {
				if o.Space != nsWSDL || o.Local != "operation" {
					continue
				}
				on, _ := o.Attr("name")
				var io [2]xsd.QName
				for _, k := range o.Children {
					msg, _ := k.Attr("message")
					q, _ := qn(k, msg)
					switch {
					case k.Space == nsWSDL && k.Local == "input":
						io[0] = q
					case k.Space == nsWSDL && k.Local == "output":
						io[1] = q
					}
				}
				ops[on] = io
			}
			portOps[xsd.QName{Space: tns, Local: name}] = ops
		}
	}
	out := map[string]*engine.SOAPOperation{}
	for _, b := range root.Children {
		if b.Space != nsWSDL || b.Local != "binding" {
			continue
		}
		t, _ := b.Attr("type")
		pt, _ := qn(b, t)
		style := "document"
		for _, k := range b.Children {
			if k.Local == "binding" && (k.Space == nsSOAP11 || k.Space == nsSOAP12) {
				if s, ok := k.Attr("style"); ok {
					style = s
				}
			}
		}
		for _, o := range b.Children {
			if o.Space != nsWSDL || o.Local != "operation" {
				continue
			}
			on, _ := o.Attr("name")
			if out[on] != nil {
				continue
			}
			opStyle := style
			for _, k := range o.Children {
				if k.Local == "operation" && (k.Space == nsSOAP11 || k.Space == nsSOAP12) {
					if s, ok := k.Attr("style"); ok {
						opStyle = s
					}
				}
			}
			io, ok := portOps[pt][on]
			if !ok {
				continue
			}
			op := &engine.SOAPOperation{RPC: opStyle == "rpc" || typed[io[0]] || typed[io[1]]}
			if !op.RPC {
				op.Input, op.Output = messages[io[0]], messages[io[1]]
			}
			out[on] = op
		}
	}
	return out
}
