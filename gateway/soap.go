package gateway

import (
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"tollgate/engine"
	"tollgate/internal/xmlsafe"
)

// SOAP pass-through APIs (type="soap" in api.xml, "type": "soap" in an
// APIOps apiInformation.json), as APIM imports them from a WSDL: every
// operation of the WSDL's SOAP bindings becomes an operation POST
// /?soapAction=ACTION, and a request is matched to its operation by its SOAP
// action (the SOAPAction header of SOAP 1.1, the action parameter of SOAP
// 1.2's Content-Type), not by its path. An operation whose URL template is
// /soapAction={any} (or /?soapAction={any}) is APIM's wildcard SOAP action:
// it takes every request no other operation's action names. The body is
// passed through as it is. docs/resource-model.md has the rules.

// wsdlFiles are the names an API folder's WSDL may have.
var wsdlFiles = []string{"specification.wsdl"}

// WSDL 1.1 and its SOAP bindings.
const (
	nsWSDL   = "http://schemas.xmlsoap.org/wsdl/"
	nsWSDL20 = "http://www.w3.org/ns/wsdl"
	nsSOAP11 = "http://schemas.xmlsoap.org/wsdl/soap/"
	nsSOAP12 = "http://schemas.xmlsoap.org/wsdl/soap12/"
)

// maxWSDLDepth bounds element nesting in a WSDL (its types section holds
// XML schemas, which nest; nothing real comes near this).
const maxWSDLDepth = 256

type wsdlBinding struct {
	name string
	soap bool // has a soap:binding or soap12:binding
	ops  []specOp
}

type wsdlPort struct {
	binding string // local name of the binding QName
	pos     engine.Pos
}

// parseWSDL reads a WSDL 1.1 document: the operations of the SOAP bindings
// its services' ports use (of every SOAP binding when it has no service),
// in document order. An operation in several bindings (SOAP 1.1 and 1.2
// of one port type) is one operation. Problems are reported at their
// file:line:col.
func parseWSDL(file string, data []byte, errs *engine.ErrorList) []specOp {
	d := xmlsafe.NewDecoder(data)
	nerrs := len(*errs)
	var (
		bindings []*wsdlBinding
		ports    []wsdlPort
		stack    []xml.Name
		cur      *wsdlBinding
		curOp    *specOp
		failed   bool
	)
	at := func(off int64) engine.Pos { return offsetPos(file, data, off+1) } // the byte at off
	for {
		off := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs.Add(offsetPos(file, data, d.InputOffset()), "", "invalid WSDL: %s", xmlsafe.Message(err))
			return nil
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name)
			if len(stack) > maxWSDLDepth {
				errs.Add(at(off), "", "invalid WSDL: elements nested deeper than %d", maxWSDLDepth)
				return nil
			}
			pos := at(off)
			depth := len(stack)
			switch {
			case depth == 1 && t.Name.Space == nsWSDL20:
				errs.Add(pos, "", "WSDL 2.0 is not supported: APIM imports WSDL 1.1 (with SOAP 1.1 or 1.2 bindings)")
				return nil
			case depth == 1 && (t.Name.Space != nsWSDL || t.Name.Local != "definitions"):
				errs.Add(pos, "", "a WSDL 1.1 document starts with <definitions xmlns=%q>, not <%s>", nsWSDL, t.Name.Local)
				return nil
			case depth == 2 && t.Name == (xml.Name{Space: nsWSDL, Local: "import"}):
				errs.Add(pos, "", "wsdl:import is not supported (nor is it by APIM's WSDL import): put the imported definitions in this file")
				failed = true
			case depth == 2 && t.Name == (xml.Name{Space: nsWSDL, Local: "binding"}):
				cur = &wsdlBinding{name: attr(t, "name")}
				bindings = append(bindings, cur)
			case depth == 3 && cur != nil && t.Name.Local == "binding" && (t.Name.Space == nsSOAP11 || t.Name.Space == nsSOAP12):
				cur.soap = true
			case depth == 3 && cur != nil && t.Name == (xml.Name{Space: nsWSDL, Local: "operation"}):
				name := attr(t, "name")
				if name == "" {
					errs.Add(pos, "", "a binding's <operation> needs a name")
					failed = true
				}
				cur.ops = append(cur.ops, specOp{id: name, name: name, method: http.MethodPost, pos: pos})
				curOp = &cur.ops[len(cur.ops)-1]
			case depth == 4 && curOp != nil && t.Name.Local == "operation" && (t.Name.Space == nsSOAP11 || t.Name.Space == nsSOAP12):
				curOp.template = "/?soapAction=" + attr(t, "soapAction")
			case depth == 3 && t.Name == (xml.Name{Space: nsWSDL, Local: "port"}) && stack[1] == (xml.Name{Space: nsWSDL, Local: "service"}):
				_, local := splitQName(attr(t, "binding"))
				ports = append(ports, wsdlPort{binding: local, pos: pos})
			}
		case xml.EndElement:
			switch len(stack) {
			case 2:
				cur = nil
			case 3:
				curOp = nil
			}
			stack = stack[:len(stack)-1]
		}
	}
	if failed {
		return nil
	}
	byName := map[string]*wsdlBinding{}
	for _, b := range bindings {
		byName[b.name] = b
	}
	var use []*wsdlBinding
	seen := map[*wsdlBinding]bool{}
	for _, p := range ports {
		b := byName[p.binding]
		if b == nil {
			errs.Add(p.pos, "", "port's binding %q is not defined in this WSDL", p.binding)
			continue
		}
		if b.soap && !seen[b] {
			seen[b] = true
			use = append(use, b)
		}
	}
	if len(ports) == 0 {
		for _, b := range bindings {
			if b.soap {
				use = append(use, b)
			}
		}
	}
	var out []specOp
	byID := map[string]int{}
	for _, b := range use {
		for _, op := range b.ops {
			if op.template == "" {
				op.template = "/?soapAction=" // a SOAP binding's operation without soap:operation
			}
			if i, ok := byID[op.id]; ok {
				if out[i].template != op.template {
					errs.Add(op.pos, "", "operation %q has SOAP action %q here and %q in another binding (%s)",
						op.id, soapActionOf(op.template), soapActionOf(out[i].template), out[i].pos)
				}
				continue
			}
			byID[op.id] = len(out)
			out = append(out, op)
		}
	}
	if len(out) == 0 && len(*errs) == nerrs {
		errs.Add(engine.Pos{File: file, Line: 1, Col: 1}, "", "the WSDL has no operation in a SOAP binding (soap:binding or soap12:binding)")
	}
	return out
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// splitQName splits "tns:name" (a QName attribute value, unresolved).
func splitQName(q string) (prefix, local string) {
	if i := strings.IndexByte(q, ':'); i >= 0 {
		return q[:i], q[i+1:]
	}
	return "", q
}

// soapRouter matches a SOAP API's requests to operations by SOAP action.
type soapRouter struct {
	byAction map[string]*Operation
	wildcard *Operation
}

// soapTemplate reads a SOAP operation's URL template: "/?soapAction=X" (the
// action X, which may be empty) or the wildcard "/soapAction={name}" /
// "/?soapAction={name}".
func soapTemplate(tpl string) (action string, wildcard bool, err error) {
	rest, ok := strings.CutPrefix(tpl, "/?soapAction=")
	if !ok {
		rest, ok = strings.CutPrefix(tpl, "/soapAction=")
		if !ok || !isTemplateParam(rest) {
			return "", false, fmt.Errorf("a SOAP operation's URL template is /?soapAction=ACTION, or /soapAction={any} for the wildcard action, not %q", tpl)
		}
	}
	if isTemplateParam(rest) {
		return "", true, nil
	}
	return rest, false, nil
}

func isTemplateParam(s string) bool {
	return len(s) > 2 && s[0] == '{' && s[len(s)-1] == '}' && !strings.ContainsAny(s[1:len(s)-1], "{}/")
}

func soapActionOf(tpl string) string {
	a, _, _ := soapTemplate(tpl)
	return a
}

// add puts op in the router; two operations with one action is an error.
func (r *soapRouter) add(op *Operation) error {
	if op.Info.Method != http.MethodPost && op.Info.Method != "*" {
		return fmt.Errorf("a SOAP operation's method is POST, not %s", op.Info.Method)
	}
	action, wild, err := soapTemplate(op.Info.UrlTemplate)
	if err != nil {
		return err
	}
	if wild {
		if r.wildcard != nil {
			return fmt.Errorf("operation %q is a second wildcard SOAP action (%q is one)", op.Info.Id, r.wildcard.Info.Id)
		}
		r.wildcard = op
		return nil
	}
	if prev := r.byAction[action]; prev != nil {
		return fmt.Errorf("operations %q and %q have the same SOAP action %q: a request could not tell them apart", prev.Info.Id, op.Info.Id, action)
	}
	if r.byAction == nil {
		r.byAction = map[string]*Operation{}
	}
	r.byAction[action] = op
	return nil
}

// match finds the operation of a request to the API: a POST to the API's
// own path whose SOAP action an operation names, else the wildcard.
func (r *soapRouter) match(method, rel string, h http.Header) *Operation {
	if method != http.MethodPost || (rel != "" && rel != "/") {
		return nil
	}
	action, ok := soapAction(h)
	if ok {
		if op := r.byAction[action]; op != nil {
			return op
		}
	}
	return r.wildcard
}

// soapAction is the request's SOAP action: SOAP 1.1's SOAPAction header
// (its quotes removed), else the action parameter of SOAP 1.2's
// Content-Type: application/soap+xml. ok is false when it has neither.
func soapAction(h http.Header) (string, bool) {
	if v, ok := h["Soapaction"]; ok && len(v) > 0 {
		a := strings.TrimSpace(v[0])
		if len(a) >= 2 && a[0] == '"' && a[len(a)-1] == '"' {
			a = a[1 : len(a)-1]
		}
		return a, true
	}
	if ct := h.Get("Content-Type"); ct != "" {
		mt, params, err := mime.ParseMediaType(ct)
		if err == nil && mt == "application/soap+xml" {
			if a, ok := params["action"]; ok {
				return a, true
			}
		}
	}
	return "", false
}
