// Package xsd is an XML Schema 1.0 validator (W3C XML Schema Part 1:
// Structures and Part 2: Datatypes, second edition), written for tollgate's
// validate-content policy: schemas are compiled once (Compile), and the
// compiled Set, immutable, validates any number of documents at once
// (Set.Validate). Nothing is ever fetched: xs:import and xs:include name
// schemas given to Compile together, and any other schemaLocation is a
// compile error. Error messages follow .NET's XmlSchemaValidator, as Azure
// API Management runs it. docs/policies-validation.md lists what is
// supported and docs/limits.md the limits.
package xsd

import "fmt"

// XSNamespace is XML Schema's namespace; XSINamespace the instance one.
const (
	XSNamespace  = "http://www.w3.org/2001/XMLSchema"
	XSINamespace = "http://www.w3.org/2001/XMLSchema-instance"
)

// QName is an expanded name.
type QName struct{ Space, Local string }

func (q QName) String() string {
	if q.Space == "" {
		return q.Local
	}
	return "{" + q.Space + "}" + q.Local
}

// Set is a compiled set of schemas: the global components of every
// namespace they define. It is immutable and safe for concurrent use.
type Set struct {
	elements   map[QName]*ElementDecl
	attributes map[QName]*AttributeDecl
	types      map[QName]Type
	limits     Limits
}

// Type is a simple or complex type definition.
type Type interface {
	typeName() QName
	baseType() Type
}

// ElementDecl is an element declaration.
type ElementDecl struct {
	Name        QName
	typ         Type
	typeRef     *qref // resolved at the end of Compile
	nillable    bool
	abstract    bool
	hasDefault  bool
	def         string // default or fixed value
	fixed       bool
	fixedVal    value
	substHead   *qref
	head        *ElementDecl
	members     []*ElementDecl // the substitution group (transitively), head excluded
	global      bool
	blockSubst  bool
	identity    []*identity
	line, col   int
	file        string
	resolved    bool
	resolving   bool
	src         *Node
	schemaTNS   string
	anonComplex bool
}

// AttributeDecl is an attribute declaration.
type AttributeDecl struct {
	Name     QName
	typ      *SimpleType
	typeRef  *qref
	fixed    bool
	hasDef   bool
	def      string
	fixedVal value
	src      *Node
}

// attrUse is an attribute in a complex type.
type attrUse struct {
	decl     *AttributeDecl
	required bool
	fixed    bool
	hasDef   bool
	def      string
	fixedVal value
}

// wildcard is xs:any or xs:anyAttribute.
type wildcard struct {
	any        bool     // ##any
	not        []string // ##other: not these namespaces ("" included: not absent)
	ns         []string // a list of namespaces ("" for ##local)
	process    int      // strict, lax, skip
	hasNotOnly bool
}

const (
	procStrict = iota
	procLax
	procSkip
)

func (w *wildcard) allows(ns string) bool {
	if w.any {
		return true
	}
	if w.not != nil {
		for _, n := range w.not {
			if n == ns {
				return false
			}
		}
		return true
	}
	for _, n := range w.ns {
		if n == ns {
			return true
		}
	}
	return false
}

// content kinds of a complex type.
const (
	contentEmpty = iota
	contentSimple
	contentElement
	contentMixed
)

// ComplexType is a complex type definition.
type ComplexType struct {
	Name       QName
	base       Type
	baseRef    *qref
	extension  bool
	abstract   bool
	kind       int
	simple     *SimpleType // contentSimple
	particle   *particle   // contentElement, contentMixed (nil: empty)
	model      *automaton  // compiled from particle
	all        *allGroup   // when the model group is xs:all
	attrs      []*attrUse
	attrWild   *wildcard
	src        *Node
	resolved   bool
	resolving  bool
	schemaTNS  string
	file       string
	blockExt   bool
	blockRestr bool
}

func (t *ComplexType) typeName() QName { return t.Name }
func (t *ComplexType) baseType() Type {
	if t.base == nil {
		return nil
	}
	return t.base
}

// particle is a term with its occurrence bounds (max -1: unbounded).
type particle struct {
	min, max int
	elem     *ElementDecl
	wild     *wildcard
	group    int // seqGroup, choiceGroup, allGroupKind; with children
	children []*particle
}

const (
	noGroup = iota
	seqGroup
	choiceGroup
	allGroupKind
)

// allGroup is xs:all: each element at most once, in any order.
type allGroup struct {
	elems    []*ElementDecl
	required []bool
	optional bool // the all group itself has minOccurs 0
}

// qref is an unresolved reference to a named component.
type qref struct {
	name      QName
	file      string
	line, col int
}

// CompileError is a schema problem, at its file:line:col.
type CompileError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *CompileError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// CompileErrors are every problem Compile found.
type CompileErrors []*CompileError

func (e CompileErrors) Error() string {
	if len(e) == 1 {
		return e[0].Error()
	}
	return fmt.Sprintf("%s (and %d more)", e[0].Error(), len(e)-1)
}
