package engine

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"tollgate/engine/csharp"
)

// Expressions are written in APIM's C# or in expr-lang. The language of
// one expression is decided from its text alone, so one text always means
// the same thing (docs/expressions-csharp.md):
//
//  1. If the text parses as C# and type-checks against the context model
//     and the allowed .NET members, it is C#.
//  2. Otherwise, if it compiles as expr, it is expr.
//  3. Otherwise it is an error, reported in the language that understood
//     more: the one whose parser accepted the text, or when both (or
//     neither) did, the one whose error stands further in the text (C# on
//     a tie: C# is the language APIM users paste).
//
// C# texts that also compile as expr but mean something else there (7/2,
// 'a', 1 + "x") are therefore always C#.

// Explanation is how one expression was compiled (tollgate check --explain).
type Explanation struct {
	Pos     Pos
	Path    string
	Source  string // as written, {{names}} intact
	Lang    string // "C#" or "expr"
	Result  string // the static result type
	Lowered string // the expr program (C# lowered, or the expr text as compiled)
	Interp  string // why a C# program runs on the interpreter ("" when lowered)
}

// compiledExpr is an expression in either language.
type compiledExpr struct {
	prog   *vm.Program
	interp *csharp.Program
	cs     *csharp.Program
}

func (ce *compiledExpr) kind() reflect.Kind {
	if ce.cs != nil {
		return ce.cs.ResultKind()
	}
	if t := ce.prog.Node().Type(); t != nil {
		return t.Kind()
	}
	return reflect.Invalid
}

func (ce *compiledExpr) typeName() string {
	if ce.cs != nil {
		return ce.cs.Result
	}
	return typeName(ce.prog.Node().Type())
}

func newCSharp() *csharp.Front {
	f, err := csharp.New(csharp.Model{
		Env: reflect.TypeOf(Env{}),
		Types: map[string]reflect.Type{
			"IResponse":            reflect.TypeOf(&Response{}),
			"IRequest":             reflect.TypeOf(&Request{}),
			"IUrl":                 reflect.TypeOf(&Url{}),
			"IMessageBody":         reflect.TypeOf(&Body{}),
			"Jwt":                  reflect.TypeOf(&Jwt{}),
			"BasicAuth":            reflect.TypeOf(&BasicAuth{}),
			"BasicAuthCredentials": reflect.TypeOf(&BasicAuth{}),
			"IApi":                 reflect.TypeOf(&Api{}),
			"IDeployment":          reflect.TypeOf(&Deployment{}),
			"IWorkspace":           reflect.TypeOf(&Workspace{}),
			"ILastError":           reflect.TypeOf(&LastError{}),
			"Authorization":        reflect.TypeOf(&Authorization{}),
		},
		Funcs: map[string]any{"AsJwt": ParseJwt, "AsBasic": ParseBasic, "AsUrl": ParseUrl},
		ContextFuncs: map[string]csharp.ContextFunc{
			"Tracing": {Field: "$tracing", Property: true},
			"Trace":   {Field: "$trace", Void: true},
		},
	})
	if err != nil {
		panic(err) // the model is fixed: a failure is a programming error
	}
	return f
}

// compileText compiles the inside of @(...) or @{...} (block) in its
// language and reports problems at their place in the value.
func (p *Parser) compileText(src string, block bool, vs *valueSrc) (*compiledExpr, bool) {
	cs, csErr := p.c.cs.Compile(src, block)
	if csErr == nil {
		ce := &compiledExpr{cs: cs}
		if cs.Lowered != "" {
			prog, err := expr.Compile(cs.Lowered, p.c.opts...)
			if err != nil {
				// Too big for expr's node limit, or a lowering expr does not
				// accept: the interpreter runs the same program.
				cs.Why = "expr rejected the lowered program: " + firstLine(err.Error())
				cs.Lowered = ""
			} else {
				ce.prog = prog
			}
		}
		if ce.prog == nil {
			ce.interp = cs
		}
		p.explain(vs, "C#", cs.Result, cs.Lowered, cs.Why)
		if cs.ReadsField(requestType, "Body") {
			p.c.reqBodyReads++
			if cs.Result == "IMessageBody" || cs.Result == "object" {
				p.c.reqBodyHolds++ // the body itself, kept for later (a variable)
			}
		}
		return ce, true
	}
	exprSrc := src
	if block {
		exprSrc = blockToExpr(src)
	}
	prog, err := expr.Compile(exprSrc, p.c.opts...)
	if err == nil {
		result := "any"
		if t := prog.Node().Type(); t != nil && t.Kind() != reflect.Interface {
			result = typeName(t)
		}
		p.explain(vs, "expr", result, exprSrc, "")
		if readsRequestBody(prog.Node()) {
			p.c.reqBodyReads++
			if t := prog.Node().Type(); t == nil || t == bodyType || t.Kind() == reflect.Interface {
				p.c.reqBodyHolds++ // the body itself, kept for later (a variable)
			}
		}
		return &compiledExpr{prog: prog}, true
	}
	var se *csharp.SyntaxError
	errors.As(csErr, &se)
	exprAt := exprErrOffset(exprSrc, err)
	_, perr := parser.Parse(exprSrc)
	exprParsed := perr == nil
	var csharpWins bool
	switch {
	case se == nil:
	case csharpSyntax(src): // written in C#: expr's view of it would mislead
		csharpWins = true
	case se.Bound && !exprParsed: // C# read it all, expr could not
		csharpWins = true
	case !se.Bound && exprParsed:
	default: // the same stage failed in both: the one that read further
		csharpWins = se.Off >= exprAt
	}
	if csharpWins {
		p.ErrorAt(vs.pos(2+se.Off), "C# expression: %s", vs.redact(vs.subst, se.Msg))
		return nil, false
	}
	p.ErrorAt(exprErrPos(vs, 2, exprSrc, err), "cannot compile expression: %s", vs.redact(vs.subst, exprMessage(exprSrc, err)))
	return nil, false
}

// exprErrOffset is the byte offset of expr's compile error in src.
func exprErrOffset(src string, err error) int {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return 0
	}
	off, n := 0, 0
	for off < len(src) && n < fe.From {
		_, w := utf8.DecodeRuneInString(src[off:])
		off += w
		n++
	}
	return off
}

func (p *Parser) explain(vs *valueSrc, lang, result, lowered, why string) {
	if p.c.Explain == nil {
		return
	}
	p.c.Explain(Explanation{Pos: vs.pos(0), Path: p.c.pathPrefix + p.n.Path, Source: strings.TrimSpace(vs.raw),
		Lang: lang, Result: result, Lowered: p.c.Named.redact(lowered), Interp: why})
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// String formats an explanation for tollgate check --explain.
func (e Explanation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s: %s -> %s\n  %s\n", e.Pos, e.Path, e.Lang, e.Result, e.Source)
	switch {
	case e.Lowered != "" && e.Lang == "C#":
		fmt.Fprintf(&b, "  lowered: %s\n", e.Lowered)
	case e.Lowered != "":
		fmt.Fprintf(&b, "  program: %s\n", e.Lowered)
	}
	if e.Interp != "" {
		fmt.Fprintf(&b, "  interpreted: %s\n", e.Interp)
	}
	return b.String()
}

// requestType is the model type of context.Request, bodyType of its Body.
var (
	requestType = reflect.TypeOf(&Request{})
	bodyType    = reflect.TypeOf(&Body{})
)

// readsRequestBody reports whether an expr program reads
// context.Request.Body (a member Body of a Request, however reached).
func readsRequestBody(n ast.Node) bool {
	v := &bodyVisitor{}
	ast.Walk(&n, v)
	return v.found
}

type bodyVisitor struct{ found bool }

func (v *bodyVisitor) Visit(n *ast.Node) {
	m, ok := (*n).(*ast.MemberNode)
	if !ok || m.Node.Type() != requestType {
		return
	}
	if s, ok := m.Property.(*ast.StringNode); ok && s.Value == "Body" {
		v.found = true
	}
}
