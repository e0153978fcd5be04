package policies

import (
	"context"
	"fmt"
	"strings"

	"tollgate/engine"
	"tollgate/internal/xslt"
)

// <xsl-transform>
//
//	<parameter name="…">value or @(expression)</parameter>
//	<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">…</xsl:stylesheet>
//
// </xsl-transform>
//
// Applies an XSLT 1.0 stylesheet to the request body (inbound) or the
// response body (outbound). The stylesheet is compiled when the policy
// loads (internal/xslt); each <parameter> sets the top-level xsl:param of
// that name, as a string (a parameter the stylesheet does not declare is
// ignored, as .NET's XsltArgumentList ignores it). An empty body is left
// alone. A body that is not well-formed XML, or a
// transformation that fails (xsl:message terminate="yes", a limit), is an
// error: on-error runs, and without it the answer is 500.
type xslTransform struct {
	sheet    *xslt.Stylesheet
	params   []xslParam
	response bool
}

type xslParam struct {
	name  string
	value engine.Str
}

// xsltLimits bound what one transformation may cost: the input body is the
// caller's, so a stylesheet that recurses over it, or multiplies it, is
// stopped with an error rather than a stalled gateway.
var xsltLimits = xslt.Options{MaxOutput: 16 << 20, MaxDepth: 1000, MaxSteps: 20_000_000}

func (k *kit) parseXSLTransform(p *engine.Parser) engine.Step {
	x := &xslTransform{response: isResponseSection(p.Section())}
	var sheet *engine.Node
	seen := map[string]bool{}
	for _, c := range p.Children() {
		if c.Name == "parameter" {
			cp := p.Child(c)
			// APIM's reference writes the attribute parameter-name; its
			// examples write name. Both are read.
			attr := "name"
			switch {
			case c.Attr("parameter-name") != nil && c.Attr("name") != nil:
				cp.Errorf("<parameter> has both name and parameter-name: give one")
				cp.Attr("parameter-name") // reported once, above
			case c.Attr("parameter-name") != nil:
				attr = "parameter-name"
			case c.Attr("name") == nil:
				cp.Errorf("<parameter> needs the attribute \"name\" (APIM's reference also calls it \"parameter-name\")")
				cp.TextStr()
				continue
			}
			name := cp.RequiredLitStr(attr)
			if name != "" && seen[name] {
				cp.Errorf("parameter %q is given twice", name)
			}
			seen[name] = true
			x.params = append(x.params, xslParam{name: name, value: cp.TextStr()})
			continue
		}
		p.Skip(c)
		if sheet != nil {
			p.ErrorAt(c.Pos, "unexpected element <%s>: <xsl-transform> holds <parameter> elements and one stylesheet", c.Name)
			continue
		}
		sheet = c
	}
	if sheet == nil {
		p.Errorf("<xsl-transform> needs an <xsl:stylesheet> element")
		return x
	}
	src, _ := sheet.Outer()
	ss, err := xslt.Compile([]byte(src))
	if err != nil {
		pos := sheet.Pos
		msg := err.Error()
		if xe, ok := err.(*xslt.Error); ok {
			msg = xe.Msg
			if xe.Line > 1 {
				pos.Line += xe.Line - 1
				pos.Col = xe.Col
			} else if xe.Col > 0 {
				pos.Col += xe.Col - 1
			}
		}
		p.ErrorAt(pos, "invalid XSLT stylesheet: %s", msg)
		return x
	}
	x.sheet = ss
	return x
}

func (x *xslTransform) Run(ctx context.Context, s *engine.State) error {
	opts := xsltLimits
	if len(x.params) > 0 {
		opts.Params = make(map[string]string, len(x.params))
		for _, prm := range x.params {
			v, err := prm.value.Eval(s)
			if err != nil {
				return err
			}
			opts.Params[prm.name] = v
		}
	}
	m := messageOf(s, x.response)
	data, err := m.read(x.response)
	if err != nil {
		return err
	}
	if len(data) == 0 {
		// No body (a GET, a WebSocket handshake, a 204): nothing to
		// transform, rather than a "root element is missing" failure.
		s.Tracef("no body: not transformed")
		return nil
	}
	out, err := x.sheet.Transform(ctx, data, opts)
	if err != nil {
		what := "request"
		if x.response {
			what = "response"
		}
		return fmt.Errorf("xsl-transform of the %s body: %s", what, strings.TrimSpace(err.Error()))
	}
	m.replace(out, "")
	return nil
}
