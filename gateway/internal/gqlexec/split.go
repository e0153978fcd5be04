package gqlexec

import (
	"bytes"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
)

// Splitting an operation between a GraphQL backend and the gateway: the
// fields a local resolver answers (and introspection) stay in the gateway,
// every other field is asked of the backend in one document. The backend's
// answer, made Keyed, is the root value the operation is then executed on.

// Keyed is an object as a GraphQL server answered it: its properties under
// the response keys (aliases) of the selection it was sent, its type name
// under TypenameKey, and the fields a local resolver's parent needs under
// ParentPrefix + their names.
type Keyed map[string]any

// The response keys Split adds to the backend's document. GraphQL names are
// [_A-Za-z][_0-9A-Za-z]*: a client may in theory use these as aliases of its
// own, and its field then has the value Split asked for.
const (
	TypenameKey  = "tollgate_typename"
	ParentPrefix = "tollgate_parent_"
)

// Parent is the object as a local resolver sees its parent: its fields by
// name (the scalar and enum fields without arguments that Split asked of
// the backend for it).
func (k Keyed) Parent() map[string]any {
	out := make(map[string]any, 8)
	for key, v := range k {
		if name, ok := strings.CutPrefix(key, ParentPrefix); ok {
			out[name] = v
		}
	}
	if tn, ok := k[TypenameKey].(string); ok {
		out["__typename"] = tn
	}
	return out
}

// ToKeyed makes a GraphQL server's decoded data Keyed, in place: every
// object in it, at any depth.
func ToKeyed(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = ToKeyed(e)
		}
		return Keyed(x)
	case []any:
		for i, e := range x {
			x[i] = ToKeyed(e)
		}
	}
	return v
}

func responseKey(f *ast.Field) string {
	if f.Alias != "" {
		return f.Alias
	}
	return f.Name
}

// Split divides the operation: local reports the object types' fields the
// gateway resolves. gateway is false when the operation reaches none of
// them (nor introspection): it is the backend's as it is. Otherwise query
// is the document for the backend (empty when nothing in it is the
// backend's) and variables the names of the variables it uses. The
// document is the operation with fragments inlined, local fields and
// __typename left out, __typename asked (as TypenameKey) wherever the
// gateway must tell an abstract type's object type, and, beside a local
// field, its parent's scalar and enum fields without arguments (as
// ParentPrefix + name), which its resolver reads as context.GraphQL.Parent.
func (o *Operation) Split(local func(typeName, field string) bool) (gateway bool, query string, variables []string) {
	sp := &splitter{schema: o.schema, doc: o.doc, local: local, vars: map[string]bool{}}
	set := sp.set(o.root, o.op.SelectionSet, true, 0)
	if !sp.gateway {
		return false, "", nil
	}
	if len(set) == 0 {
		return true, "", nil
	}
	op := &ast.OperationDefinition{Operation: o.op.Operation, Name: o.op.Name, Directives: o.op.Directives, SelectionSet: set}
	sp.directiveVars(o.op.Directives)
	for _, vd := range o.op.VariableDefinitions {
		if sp.vars[vd.Variable] {
			op.VariableDefinitions = append(op.VariableDefinitions, vd)
			variables = append(variables, vd.Variable)
		}
	}
	var buf bytes.Buffer
	formatter.NewFormatter(&buf, formatter.WithIndent("  ")).FormatQueryDocument(&ast.QueryDocument{Operations: ast.OperationList{op}})
	return true, buf.String(), variables
}

type splitter struct {
	schema  *ast.Schema
	doc     *ast.QueryDocument
	local   func(typeName, field string) bool
	gateway bool
	vars    map[string]bool
}

// isLocal: the field of typ is resolved in the gateway for every object
// type typ may be (all), or for some of them (some).
func (sp *splitter) isLocal(typ *ast.Definition, field string) (all, some bool) {
	if !typ.IsAbstractType() {
		l := sp.local(typ.Name, field)
		return l, l
	}
	for _, t := range sp.schema.GetPossibleTypes(typ) {
		if sp.local(t.Name, field) {
			some = true
		}
	}
	return false, some
}

// set is the backend's part of set, a selection on typ; depth bounds
// fragments spread in fragments (validation refuses cycles; Prepare's
// limits bound the expansion).
func (sp *splitter) set(typ *ast.Definition, set ast.SelectionSet, root bool, depth int) ast.SelectionSet {
	var out ast.SelectionSet
	parent := false
	for _, sel := range set {
		switch x := sel.(type) {
		case *ast.Field:
			if x.Name == "__typename" {
				continue // the gateway answers it
			}
			if root && (x.Name == "__schema" || x.Name == "__type") {
				sp.gateway = true // introspection of the API's schema, resolvers' fields included
				continue
			}
			all, some := sp.isLocal(typ, x.Name)
			if some {
				sp.gateway, parent = true, true
			}
			if all {
				continue
			}
			def := typ.Fields.ForName(x.Name)
			if def == nil {
				continue
			}
			nf := &ast.Field{Alias: x.Alias, Name: x.Name, Arguments: x.Arguments, Directives: x.Directives}
			sp.argVars(x.Arguments)
			sp.directiveVars(x.Directives)
			if len(x.SelectionSet) > 0 {
				ct := sp.schema.Types[def.Type.Name()]
				if ct == nil {
					continue
				}
				sub := sp.set(ct, x.SelectionSet, false, depth)
				if ct.IsAbstractType() || len(sub) == 0 {
					sub = append(sub, &ast.Field{Alias: TypenameKey, Name: "__typename"})
				}
				nf.SelectionSet = sub
			}
			out = append(out, nf)
		case *ast.InlineFragment:
			t := typ
			if x.TypeCondition != "" {
				if t = sp.schema.Types[x.TypeCondition]; t == nil {
					continue
				}
			}
			if sub := sp.set(t, x.SelectionSet, root, depth); len(sub) > 0 {
				sp.directiveVars(x.Directives)
				out = append(out, &ast.InlineFragment{TypeCondition: x.TypeCondition, Directives: x.Directives, SelectionSet: sub})
			}
		case *ast.FragmentSpread:
			f := sp.doc.Fragments.ForName(x.Name)
			if f == nil || depth > 64 {
				continue
			}
			t := sp.schema.Types[f.TypeCondition]
			if t == nil {
				continue
			}
			if sub := sp.set(t, f.SelectionSet, root, depth+1); len(sub) > 0 {
				sp.directiveVars(x.Directives)
				out = append(out, &ast.InlineFragment{TypeCondition: f.TypeCondition, Directives: x.Directives, SelectionSet: sub})
			}
		}
	}
	if parent && !root {
		out = append(out, sp.parentFields(typ)...)
	}
	return out
}

// parentFields are what a local resolver of typ's fields reads as its
// parent: typ's scalar and enum fields that take no arguments and that the
// backend answers.
func (sp *splitter) parentFields(typ *ast.Definition) ast.SelectionSet {
	var out ast.SelectionSet
	for _, f := range typ.Fields {
		if strings.HasPrefix(f.Name, "__") || len(f.Arguments) > 0 {
			continue
		}
		if _, some := sp.isLocal(typ, f.Name); some {
			continue
		}
		t := sp.schema.Types[f.Type.Name()]
		if t == nil || t.Kind != ast.Scalar && t.Kind != ast.Enum {
			continue
		}
		out = append(out, &ast.Field{Alias: ParentPrefix + f.Name, Name: f.Name})
	}
	out = append(out, &ast.Field{Alias: TypenameKey, Name: "__typename"})
	return out
}

func (sp *splitter) argVars(args ast.ArgumentList) {
	for _, a := range args {
		sp.valueVars(a.Value)
	}
}

func (sp *splitter) directiveVars(ds ast.DirectiveList) {
	for _, d := range ds {
		sp.argVars(d.Arguments)
	}
}

func (sp *splitter) valueVars(v *ast.Value) {
	if v == nil {
		return
	}
	if v.Kind == ast.Variable {
		sp.vars[v.Raw] = true
		return
	}
	for _, c := range v.Children {
		sp.valueVars(c.Value)
	}
}
