package gqlexec

import (
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Introspection (the specification's __Schema, __Type, __Field,
// __InputValue, __EnumValue, __Directive) over gqlparser's *ast.Schema:
// each value answers its fields when the executor's default resolver asks.

type introspected interface {
	field(name string, args map[string]any) any
	typeName() string
}

type schemaIntro struct{ s *ast.Schema }

func (x *schemaIntro) typeName() string { return "__Schema" }

func (x *schemaIntro) field(name string, _ map[string]any) any {
	s := x.s
	switch name {
	case "description":
		return nilIfEmpty(s.Description)
	case "types":
		names := make([]string, 0, len(s.Types))
		for n := range s.Types {
			names = append(names, n)
		}
		sort.Strings(names)
		out := make([]any, 0, len(names))
		for _, n := range names {
			out = append(out, &typeIntro{s: s, def: s.Types[n]})
		}
		return out
	case "queryType":
		return typeOrNil(s, s.Query)
	case "mutationType":
		return typeOrNil(s, s.Mutation)
	case "subscriptionType":
		return typeOrNil(s, s.Subscription)
	case "directives":
		names := make([]string, 0, len(s.Directives))
		for n := range s.Directives {
			names = append(names, n)
		}
		sort.Strings(names)
		out := make([]any, 0, len(names))
		for _, n := range names {
			out = append(out, &directiveIntro{s: s, d: s.Directives[n]})
		}
		return out
	}
	return nil
}

func typeOrNil(s *ast.Schema, d *ast.Definition) any {
	if d == nil {
		return nil
	}
	return &typeIntro{s: s, def: d}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// typeIntro is a named type (def), or a wrapping type (wrap: a list or
// non-null type, whose ofType is what it wraps).
type typeIntro struct {
	s    *ast.Schema
	def  *ast.Definition
	wrap *ast.Type
}

func (x *typeIntro) typeName() string { return "__Type" }

func typeOf(s *ast.Schema, t *ast.Type) *typeIntro {
	if t.NonNull || t.Elem != nil {
		return &typeIntro{s: s, wrap: t}
	}
	return &typeIntro{s: s, def: s.Types[t.NamedType]}
}

func (x *typeIntro) field(name string, args map[string]any) any {
	if x.wrap != nil {
		switch name {
		case "kind":
			if x.wrap.NonNull {
				return "NON_NULL"
			}
			return "LIST"
		case "ofType":
			if x.wrap.NonNull {
				inner := *x.wrap
				inner.NonNull = false
				return typeOf(x.s, &inner)
			}
			return typeOf(x.s, x.wrap.Elem)
		}
		return nil
	}
	d := x.def
	if d == nil {
		return nil
	}
	withDeprecated, _ := args["includeDeprecated"].(bool)
	switch name {
	case "kind":
		return string(d.Kind)
	case "name":
		return d.Name
	case "description":
		return nilIfEmpty(d.Description)
	case "specifiedByURL":
		if dir := d.Directives.ForName("specifiedBy"); dir != nil {
			if a := dir.Arguments.ForName("url"); a != nil && a.Value != nil {
				return a.Value.Raw
			}
		}
		return nil
	case "fields":
		if d.Kind != ast.Object && d.Kind != ast.Interface {
			return nil
		}
		var out []any
		for _, f := range d.Fields {
			if strings.HasPrefix(f.Name, "__") || !withDeprecated && deprecated(f.Directives) {
				continue
			}
			out = append(out, &fieldIntro{s: x.s, f: f})
		}
		return nonNilList(out)
	case "interfaces":
		if d.Kind != ast.Object && d.Kind != ast.Interface {
			return nil
		}
		out := []any{}
		for _, n := range d.Interfaces {
			if t := x.s.Types[n]; t != nil {
				out = append(out, &typeIntro{s: x.s, def: t})
			}
		}
		return out
	case "possibleTypes":
		if !d.IsAbstractType() {
			return nil
		}
		out := []any{}
		for _, t := range x.s.GetPossibleTypes(d) {
			out = append(out, &typeIntro{s: x.s, def: t})
		}
		return out
	case "enumValues":
		if d.Kind != ast.Enum {
			return nil
		}
		var out []any
		for _, v := range d.EnumValues {
			if !withDeprecated && deprecated(v.Directives) {
				continue
			}
			out = append(out, &enumValueIntro{v: v})
		}
		return nonNilList(out)
	case "inputFields":
		if d.Kind != ast.InputObject {
			return nil
		}
		var out []any
		for _, f := range d.Fields {
			if !withDeprecated && deprecated(f.Directives) {
				continue
			}
			out = append(out, &inputValueIntro{s: x.s, name: f.Name, desc: f.Description, t: f.Type, def: f.DefaultValue, dirs: f.Directives})
		}
		return nonNilList(out)
	case "isOneOf":
		if d.Kind != ast.InputObject {
			return nil
		}
		return d.Directives.ForName("oneOf") != nil
	}
	return nil
}

func nonNilList(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

func deprecated(ds ast.DirectiveList) bool { return ds.ForName("deprecated") != nil }

func deprecationReason(ds ast.DirectiveList) any {
	d := ds.ForName("deprecated")
	if d == nil {
		return nil
	}
	if a := d.Arguments.ForName("reason"); a != nil && a.Value != nil {
		return a.Value.Raw
	}
	return "No longer supported"
}

type fieldIntro struct {
	s *ast.Schema
	f *ast.FieldDefinition
}

func (x *fieldIntro) typeName() string { return "__Field" }

func (x *fieldIntro) field(name string, args map[string]any) any {
	switch name {
	case "name":
		return x.f.Name
	case "description":
		return nilIfEmpty(x.f.Description)
	case "args":
		return argList(x.s, x.f.Arguments, args)
	case "type":
		return typeOf(x.s, x.f.Type)
	case "isDeprecated":
		return deprecated(x.f.Directives)
	case "deprecationReason":
		return deprecationReason(x.f.Directives)
	}
	return nil
}

func argList(s *ast.Schema, defs ast.ArgumentDefinitionList, args map[string]any) []any {
	withDeprecated, _ := args["includeDeprecated"].(bool)
	out := []any{}
	for _, a := range defs {
		if !withDeprecated && deprecated(a.Directives) {
			continue
		}
		out = append(out, &inputValueIntro{s: s, name: a.Name, desc: a.Description, t: a.Type, def: a.DefaultValue, dirs: a.Directives})
	}
	return out
}

type inputValueIntro struct {
	s          *ast.Schema
	name, desc string
	t          *ast.Type
	def        *ast.Value
	dirs       ast.DirectiveList
}

func (x *inputValueIntro) typeName() string { return "__InputValue" }

func (x *inputValueIntro) field(name string, _ map[string]any) any {
	switch name {
	case "name":
		return x.name
	case "description":
		return nilIfEmpty(x.desc)
	case "type":
		return typeOf(x.s, x.t)
	case "defaultValue":
		if x.def == nil {
			return nil
		}
		return x.def.String()
	case "isDeprecated":
		return deprecated(x.dirs)
	case "deprecationReason":
		return deprecationReason(x.dirs)
	}
	return nil
}

type enumValueIntro struct{ v *ast.EnumValueDefinition }

func (x *enumValueIntro) typeName() string { return "__EnumValue" }

func (x *enumValueIntro) field(name string, _ map[string]any) any {
	switch name {
	case "name":
		return x.v.Name
	case "description":
		return nilIfEmpty(x.v.Description)
	case "isDeprecated":
		return deprecated(x.v.Directives)
	case "deprecationReason":
		return deprecationReason(x.v.Directives)
	}
	return nil
}

type directiveIntro struct {
	s *ast.Schema
	d *ast.DirectiveDefinition
}

func (x *directiveIntro) typeName() string { return "__Directive" }

func (x *directiveIntro) field(name string, args map[string]any) any {
	switch name {
	case "name":
		return x.d.Name
	case "description":
		return nilIfEmpty(x.d.Description)
	case "isRepeatable":
		return x.d.IsRepeatable
	case "locations":
		out := make([]any, 0, len(x.d.Locations))
		for _, l := range x.d.Locations {
			out = append(out, string(l))
		}
		return out
	case "args":
		return argList(x.s, x.d.Arguments, args)
	}
	return nil
}
