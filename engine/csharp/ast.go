package csharp

// Expr is an expression node. Every node records its byte offset in the
// source; the binder fills T (its static type) and the binding fields.
type Expr interface {
	pos() int
	typ() *Type
}

type node struct {
	Off int
	T   *Type
	// Ctx is the overflow-checking context the node was written in:
	// ctxDefault, ctxChecked (checked(...), checked { }) or ctxUnchecked.
	Ctx ovfCtx
	// cv is the value of a constant expression of an integral type (an
	// int, or a uint64 for a ulong), set by the binder; nil otherwise.
	cv any
	// opT is the type an arithmetic operation runs in (the promoted
	// operand type of a Binary, Unary or compound Assign), set by the binder.
	opT *Type
}

// ovfCtx is C#'s checked/unchecked context.
type ovfCtx uint8

const (
	ctxDefault ovfCtx = iota
	ctxChecked
	ctxUnchecked
)

func (n *node) pos() int   { return n.Off }
func (n *node) typ() *Type { return n.T }

// TypeRef is a written type: string, int, JObject, IEnumerable<object>, byte[].
type TypeRef struct {
	Off   int
	Name  string // dotted name as written, e.g. "System.String"
	Args  []*TypeRef
	Array int // number of [] suffixes
	Null  bool
}

type (
	// Lit is a literal; V is string, int, int64, float64, bool, nil, or a
	// one-rune string for a char.
	Lit struct {
		node
		V    any
		Kind tokKind // tkString, tkChar, tkInt, tkReal, tkKeyword (true/false/null)
		IT   *Type   // an integer literal's type (int, uint, long, ulong)
		// nameOf: nameof(x) (C# 6) is this string constant, the last name
		// of x; the binder checks that x names something (parse.go)
		nameOf *nameOfArg
	}
	// Interp is $"..."; Parts alternate literals and holes.
	Interp struct {
		node
		Lits    []string // len(Holes)+1
		Holes   []Expr
		Formats []string
		// IKs are the holes' integral types (bind), where one has a format
		IKs []intKind
	}
	// Name is an identifier: a local, `context`, or a type name.
	Name struct {
		node
		Name string
		// binding
		local  *local
		static *Type // when the name is a type (string.Join, JObject.Parse)
	}
	// Member is X.Name or X?.Name.
	Member struct {
		node
		X        Expr
		Name     string
		NameOff  int
		Cond     bool // ?.
		TypeArgs []*TypeRef
		// binding
		field  *goField
		prop   *builtin // a .NET property (String.Length, JObject.Count)
		static *Type    // a type reached through a namespace (System.Text.Encoding)
		fn     *ctxFunc // a context property backed by an environment func (context.Tracing)
		anon   bool     // a property of an anonymous type
		// inferT: GetValueOrDefault(name, default) whose T C# infers from
		// the default (a string default gives a string): run as
		// GetValueOrDefault<T>
		inferT bool
		// parentOf: Parent of a token read by an indexer (o["k"].Parent,
		// a[0].Parent): the indexer's container and key give it (eval.go's
		// jparent), a value's too, which keeps no parent of its own
		parentOf *Index
	}
	// CondAccess is a null-conditional access with the rest of its chain:
	// X?.A.B(), X?[i].C. C# short-circuits the whole chain when X is null
	// (a?.b.c is null, not a NullReferenceException, when a is), so the
	// parser rewrites the chain into Body, whose receiver is Tmp, a hidden
	// local holding X's value.
	CondAccess struct {
		node
		X    Expr
		Tmp  *Name
		Body Expr
	}
	// Call is F(args); F is a Member (method), or a Name (rare).
	Call struct {
		node
		F    Expr
		Args []*Arg
		// binding
		method *builtin
		goM    *goMethod
		fn     *ctxFunc  // context.Trace(message)
		local  *localFn  // a local function
		cmp    Expr      // the StringComparer of a LINQ operator (Distinct(comparer)...), out of Args
		coll   *collCall // a HashSet's or List's own method (sets.go)
		sum    string    // Sum's and Average's overload: how they add (sumOf)
		// nullStr: a string dictionary's GetValueOrDefault(name) or
		// GetValueOrDefault(name, null) (Headers, Query): null for a
		// missing name, as C#'s default of a string is, not the Go
		// method's "" (goCall, lower.go)
		nullStr bool
		// evaluator: Regex.Replace with a MatchEvaluator lambda (regex.go)
		evaluator bool
		// listAppend: list.Add(x) in a loop, rewritten as list =
		// list.Concat(new[] { x }) (binder.listAdd), appended in place
		// when the interpreter can (frame.appendList)
		listAppend bool
		// tryParse: T.TryParse(s, …, out v) or T.TryParseExact(s, …, out
		// v) with more than the text in: the Parse or ParseExact overload
		// of the same arguments it tries (bind.tryCall)
		tryParse *builtin
		// removeOf: Remove() of a token read by an indexer (a[0].Remove(),
		// o["k"].Remove()): the indexer's container and key say what goes,
		// a value too (eval.go's jremove)
		removeOf *Index
		// divRem: Math.DivRem(a, b, out r), of the type int or long (divrem.go)
		divRem *Type
		// nullText: ToString() of a T? (Nullable<T>.ToString), "" when it
		// is null (nullable.go)
		nullText bool
		// list: one of List<T>'s members list.go binds (Insert, FindIndex,
		// Sort(comparison)...) or Array.FindIndex, FindLastIndex, Resize
		list *listCall
	}
	// Arg is one argument: name: value, out var x, out x.
	Arg struct {
		Off    int
		Name   string
		X      Expr
		Out    bool
		OutVar *TypeRef // out var x / out string x: declared type (Name "var")
		OutNew string   // the declared local's name
		outLoc *local
	}
	// Index is X[i] or X?[i].
	Index struct {
		node
		X    Expr
		I    Expr
		Cond bool
		kind indexKind
	}
	Unary struct {
		node
		Op string
		X  Expr
	}
	Binary struct {
		node
		Op    string
		L, R  Expr
		xname bool // XNamespace + string: an XName
		// caseLabel: the comparison of a switch's subject with a case
		// label (switch.go); the binder checks the label is a constant
		caseLabel bool
		// pattern: x is <constant> (parse.go), == with the pattern's
		// rules; patObj, when x is an object, is the constant's type,
		// which x's value must have (C#'s o is 42 is o is int i && i == 42)
		pattern bool
		patObj  *Type
		// guard: cond && guard of a switch label's when (switchpat.go):
		// the guard converts to bool, as an if's condition
		guard bool
		// grow: s + x where s is (the left spine of) the string a loop
		// assigns back to its local, s = s + x: frame.growString appends
		// in place
		grow bool
	}
	Cond struct {
		node
		C, A, B Expr
	}
	Cast struct {
		node
		To *TypeRef
		X  Expr
	}
	// IsAs is `x is T`, `x is T name`, `x as T`.
	IsAs struct {
		node
		Op    string
		X     Expr
		To    *TypeRef
		Bind  string // x is T name
		loc   *local
		to    *Type
		never bool // is: a JSON or XML value is never a string, number or bool (an explicit conversion is not a type)
		// Var: a var pattern (x is var name, case var name:), which
		// matches every value, null too, and types name as x
		Var bool
		// exc: e is ArgumentException on a caught exception (cs7.go)
		exc bool
	}
	Lambda struct {
		node
		Params []string
		Body   Expr // expression body
		Block  *Block
		locals []*local
	}
	NewExpr struct {
		node
		Type  *TypeRef // nil: new[] { ... } or new { a = 1 }
		Args  []*Arg
		Init  []Expr   // collection initializer / array elements
		Props []string // anonymous object property names
		Vals  []Expr   // anonymous object values
		// Dictionary (or JObject) initializer: { {k, v}, ... } (DictAdd,
		// duplicates throw as Add does) or { [k] = v, ... } (DictIndex).
		DictKeys, DictVals []Expr
		DictAdd, DictIndex bool
		// JAdd: a JObject's { {k, v} } initializer, whose duplicate key
		// throws JObject.Add's ArgumentException.
		JAdd bool
		// Sized: new T[n], the size in Args[0] (an array of n default
		// values, sizedArray).
		Sized bool
		ctor  *builtin
	}
	// Assign is an assignment used as an expression (x = 1, x += 2, x++).
	Assign struct {
		node
		Op     string // =, +=, -=, ..., ++, --
		Target Expr
		X      Expr // nil for ++ and --
		Post   bool
		// binding
		setter *builtin // x.Value = v on XML: the SetValue method
		grow   bool     // s += x on a string local in a loop (frame.growString)
	}
	// TypeOf is default(T) or typeof(T); To is nil for C# 7.1's default
	// literal, whose type is the one its target gives (bind.go).
	TypeOf struct {
		node
		Op string
		To *TypeRef
	}
	// ThrowExpr is C# 7's throw expression: the right operand of ??, an
	// arm of ?:, or (as a statement body) an expression-bodied lambda or
	// local function.
	ThrowExpr struct {
		node
		X Expr
	}
)

// Stmt is a statement.
type Stmt interface{ spos() int }

type snode struct{ Off int }

func (s *snode) spos() int { return s.Off }

type (
	Block struct {
		snode
		List []Stmt
	}
	// Decl is var x = e; or T x = e, y = f;
	Decl struct {
		snode
		Const bool // const T x = e;
		Type  *TypeRef
		Names []string
		Offs  []int
		Inits []Expr
		locs  []*local
	}
	ExprStmt struct {
		snode
		X Expr
	}
	Return struct {
		snode
		X Expr
		// to: the type of the lambda (or local function) it returns
		// from, which the value converts to (an int returned from a
		// lambda giving double is a double)
		to *Type
	}
	If struct {
		snode
		C    Expr
		Then Stmt
		Else Stmt
		// sec: the if is a switch section (switch.go): the pattern
		// variables its labels declare are scoped to C and Then
		sec *swSection
	}
	Foreach struct {
		snode
		Type *TypeRef
		Var  string
		In   Expr
		Body Stmt
		loc  *local
		// guard: the body changes the list (set, queue, stack) it
		// enumerates, held in a local: each turn checks it (list.go)
		guard *local
	}
	While struct {
		snode
		C    Expr
		Body Stmt
		Do   bool
	}
	For struct {
		snode
		Init []Stmt
		C    Expr
		Post []Expr
		Body Stmt
	}
	Try struct {
		snode
		Body    *Block
		Catches []*Catch
		Finally *Block
	}
	Catch struct {
		Off  int
		Type *TypeRef
		Var  string
		// When is the exception filter (C# 6): catch (T e) when (cond)
		When Expr
		Body *Block
		loc  *local
	}
	Throw struct {
		snode
		X Expr
	}
	Break    struct{ snode }
	Continue struct{ snode }
	Empty    struct{ snode }
	// LocalFunc is a local function: T Name(T1 a, T2 b) { ... } or
	// T Name(...) => expr;
	LocalFunc struct {
		snode
		Ret      *TypeRef
		Name     string
		NameOff  int
		Params   []*Param
		Body     *Block
		ExprBody Expr
		fn       *localFn
	}
)

// Param is a local function's parameter.
type Param struct {
	Type *TypeRef
	Name string
	Off  int
}

type indexKind int

const (
	ixGoMap indexKind = iota + 1
	ixGoSlice
	ixString
	ixJToken
	ixArray
	ixDynamic
	ixFoldMap // a model map with case-insensitive keys (FoldedKeys): HTTP headers
	ixList    // a List<T>'s indexer: an array's, with List<T>'s exception outside it
)

// generic says whether a Go-backed call is GetValueOrDefault<T>: written
// with its type argument or with T inferred.
func (m *Member) generic() bool { return m.TypeArgs != nil || m.inferT }
