// Package xslt is an XSLT 1.0 processor (W3C Recommendation, 16 November
// 1999) for tollgate's xsl-transform policy. It runs stylesheets the way
// Azure API Management does (with .NET's XslCompiledTransform): the
// serialization conventions, the conflict resolution of template rules and
// the msxsl:node-set() extension follow .NET.
//
// Compile parses a stylesheet into an immutable *Stylesheet holding an
// instruction tree with compiled XPath expressions, patterns and attribute
// value templates; Transform only evaluates it and may be called by many
// goroutines at once.
//
// Stylesheets may not read other files or run code: xsl:import,
// xsl:include, document() and msxsl:script are refused at compile time.
//
// Where the Recommendation leaves a choice, this processor does this:
//
//   - Conflicting template rules: the last of the highest priority wins (no
//     error), as in XslCompiledTransform. There are no imports, so
//     xsl:apply-imports runs the built-in rules.
//   - Serialization follows .NET's XmlWriter: the declaration is written
//     <?xml version="1.0" encoding="utf-8"?>, empty elements <a />,
//     attribute values in double quotes with tab, newline and carriage
//     return as character references, '>' as &gt; in text. indent="yes"
//     puts each element on its own line with two spaces per level ("\n"
//     line ends) and adds no whitespace inside an element once it has text
//     (mixed content). Namespace declarations are written where the result
//     needs them; attributes whose namespace has no prefix in scope get a
//     generated one (ns0, ns1, …).
//   - The html method writes void elements as <br>, does not escape
//     script and style, minimizes boolean attributes whose value is their
//     name, %-escapes non-ASCII characters in URI attributes and adds .NET's
//     <META http-equiv="Content-Type" …> as head's first child. Its
//     indentation uses the rule of xml, inline elements (a, b, span, img,
//     …) counting as text.
//   - Output encodings: utf-8 (default), utf-16 (little-endian, with a byte
//     order mark), iso-8859-1, us-ascii and the other IANA names
//     golang.org/x/text knows; characters the encoding lacks are written
//     as character references (as '?' in comments and processing
//     instructions).
//   - xsl:sort with data-type="text" compares code points after folding to
//     lower case; keys equal but for case are ordered by case-order
//     (lower-first unless upper-first is given). lang is ignored. Numbers
//     sort NaN first. Sorting is stable.
//   - format-number rounds half-even (as the JDK's DecimalFormat).
//   - system-property('xsl:vendor') is "Microsoft" and xsl:vendor-url
//     "http://www.microsoft.com", as XslCompiledTransform answers, so that
//     stylesheets written for APIM take the same branches; xsl:version is
//     the number 1.
//   - msxsl:node-set() and exsl:node-set() turn a result tree fragment into
//     a node-set holding its root (any other string value into a text
//     node); exsl:object-type() is supported.
//   - Creating an attribute after children, an attribute or namespace node
//     outside an element, or a non-text node inside xsl:attribute,
//     xsl:comment or xsl:processing-instruction is a runtime error (as in
//     .NET). A comment containing "--" or ending in '-' gets a space
//     inserted; "?>" in a processing instruction becomes "? >".
//   - xsl:message without terminate="yes" is not printed:
//     TransformMessages returns the messages.
//   - Unknown extension elements without xsl:fallback and unknown extension
//     functions are errors only when instantiated or called.
//
// Limits: Options.MaxDepth bounds template recursion (at most 20,000),
// Options.MaxSteps the instructions and nodes processed, Options.MaxOutput
// the serialized output; the nodes created for the result tree and result
// tree fragments together may not exceed twice MaxOutput in bytes nor 10
// million nodes.
package xslt

import (
	"context"
	"fmt"

	"tollgate/internal/xpath"
)

// Namespaces the processor knows.
const (
	NamespaceXSLT  = "http://www.w3.org/1999/XSL/Transform"
	NamespaceMSXSL = "urn:schemas-microsoft-com:xslt"
	NamespaceEXSLT = "http://exslt.org/common"
)

// Default limits of Options.
const (
	DefaultMaxOutput = 64 << 20
	DefaultMaxDepth  = 1000
	DefaultMaxSteps  = 50_000_000
	// maxNodes caps the nodes one transformation may create (result tree
	// and result tree fragments together).
	maxNodes = 10_000_000
	// maxMaxDepth caps Options.MaxDepth: deeper recursion would exhaust the
	// goroutine stack.
	maxMaxDepth = 20_000
)

// Error is a compile error: Line and Col (1-based) in the stylesheet text.
type Error struct {
	Line, Col int
	Msg       string
}

// Error formats the error as "xslt: line L, column C: message".
func (e *Error) Error() string {
	return fmt.Sprintf("xslt: line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

// Options are the per-call settings of Transform.
type Options struct {
	Params    map[string]string // top-level parameters by name (string values); unknown names are ignored
	MaxOutput int               // bytes of output; 0 means 64 MiB
	MaxDepth  int               // nesting of template instantiation (apply-templates/call-template recursion); 0 means 1000
	MaxSteps  int64             // instructions executed; 0 means 50,000,000
}

// Params are the names of the top-level xsl:param elements, in order, as
// written in their name attributes.
func (s *Stylesheet) Params() []string {
	return append([]string(nil), s.params...)
}

// MediaType is xsl:output's media-type, or the output method's default
// (text/xml, text/html, text/plain). When the method is left to be decided
// by the result tree (no method attribute), it is text/xml.
func (s *Stylesheet) MediaType() string {
	if s.out.mediaType != "" {
		return s.out.mediaType
	}
	switch s.out.method {
	case "html":
		return "text/html"
	case "text":
		return "text/plain"
	}
	return "text/xml"
}

// Transform parses input (with xpath.Parse), runs the stylesheet over it and
// serializes the result as xsl:output says. Cancelling ctx stops it.
// Messages of xsl:message without terminate="yes" are dropped; use
// TransformMessages to get them.
func (s *Stylesheet) Transform(ctx context.Context, input []byte, opts Options) (out []byte, err error) {
	out, _, err = s.TransformMessages(ctx, input, opts)
	return out, err
}

// TransformMessages is Transform that also returns the text of every
// xsl:message instantiated without terminate="yes", in order.
func (s *Stylesheet) TransformMessages(ctx context.Context, input []byte, opts Options) (out []byte, messages []string, err error) {
	// xpath.Parse does not accept a UTF-8 byte order mark, which XML allows
	doc, err := xpath.Parse(input) // a byte order mark is xpath.Parse's to skip
	if err != nil {
		return nil, nil, fmt.Errorf("xslt: input: %w", err)
	}
	return s.run(ctx, doc, opts)
}
