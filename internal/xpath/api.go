package xpath

// This file is the package's contract with package xslt. The bodies are
// filled in by eval.go, parse.go, pattern.go and funcs.go.

// Value is an XPath value: NodeSet, string, float64, bool, or *Fragment.
type Value any

// NodeSet is a node-set in document order without duplicates.
type NodeSet []*Node

// Fragment is an XSLT 1.0 result tree fragment: a numbered tree under a
// RootNode. It converts to string, number and boolean like a node-set
// holding its root; using it where a node-set is required is an error
// (package xslt's exsl:node-set/msxsl:node-set turn it into one).
type Fragment struct{ Root *Node }

// Env binds the names an expression uses, when it is compiled.
type Env interface {
	// Namespace resolves a prefix used in a QName (never called for "").
	// ok false makes the expression a compile error.
	Namespace(prefix string) (uri string, ok bool)
	// Variable reports whether $name is in scope at the expression; false
	// makes it a compile error.
	Variable(space, local string) bool
	// Function returns a function the host provides (XSLT's current(),
	// key(), format-number(), …, and extension functions), or nil. Core
	// XPath functions are found first; a name neither knows is a compile
	// error.
	Function(space, local string) *Function
}

// Function is a host function. MaxArgs < 0 means no upper bound.
type Function struct {
	MinArgs, MaxArgs int
	Call             func(ctx *Context, args []Value) (Value, error)
}

// Context is what an expression is evaluated against.
type Context struct {
	Node     *Node
	Position int // 1-based
	Size     int
	// Vars returns the value of a variable Env said is in scope.
	Vars func(space, local string) Value
	// Host is the host's own state, for its functions (package xslt keeps
	// the current node, keys and the like there).
	Host any
	// Charge, when set, is told of the work an evaluation does (the nodes
	// each location step visits); an error it returns stops the evaluation
	// with that error. Package xslt counts it against its step limit and
	// checks cancellation there, so one expression on a large document
	// (//a[. = //b]) cannot run unbounded.
	Charge func(nodes int) error
	// NS, when set, keeps the namespace nodes the namespace axis makes
	// for an element (its own declarations, xml and the namespaces it
	// inherits), so that they are made once per element rather than on
	// each step that reads them: a predicate over namespace::* on
	// elements with hundreds of namespaces in scope made a map and a node
	// per namespace each time it was tried. Package xslt keeps one per
	// transformation; nil keeps none. Not safe for concurrent use.
	NS *NamespaceCache
}

// NamespaceCache holds the namespace nodes made for elements
// (Context.NS). The zero value is ready to use.
type NamespaceCache struct {
	m map[*Node][]*Node
}

// Expr is a compiled expression; it is safe for concurrent use.
type Expr struct {
	src  string
	root exprNode
}

// String returns the source text of the expression.
func (e *Expr) String() string { return e.src }

// Pattern is a compiled XSLT pattern (match="…", key's match, xsl:number's
// count and from); it is safe for concurrent use.
type Pattern struct {
	src  string
	alts []*patternAlt
}

// String returns the source text of the pattern.
func (p *Pattern) String() string { return p.src }
