// Package odata reads an OData service's metadata (CSDL XML, EDMX 4.0 and
// 4.01) into a Model, and checks request URLs against it: the resource
// path, the system query options and the common expression syntax of
// $filter and $orderby, as OData Version 4.01 Part 2 (URL Conventions) and
// its ABNF define them. It is what an OData API's gateway loads at start
// (ParseCSDL) and what validate-odata-request evaluates per request
// (Model.CheckRequest). Nothing here does I/O.
package odata

import (
	"sort"
	"strings"
)

// Kind is what a named type is.
type Kind uint8

// The kinds of types.
const (
	KindPrimitive Kind = iota
	KindEntity
	KindComplex
	KindEnum
	KindTypeDef
	KindExternal // a type of a referenced document (edmx:Reference): its members are not known
)

// Type is a named type: an Edm primitive, or an entity, complex, enum or
// type definition of the metadata.
type Type struct {
	Kind      Kind
	Namespace string
	Name      string
	Base      *Type // entity and complex types
	Abstract  bool
	Open      bool
	HasStream bool
	// Key lists the key properties (entity types; inherited keys are the
	// base's): their names, or aliases.
	Key []KeyRef
	// Props are the structural properties declared here, Navs the
	// navigation properties (use Property / Navigation, which look in the
	// base types too).
	Props map[string]*Property
	Navs  map[string]*NavProp
	// Members are an enum type's members; Flags says they combine.
	Members map[string]int64
	Flags   bool
	// Underlying is a type definition's or enum's primitive type.
	Underlying *Type
	Pos        Pos
	baseName   string
}

// KeyRef is one key property: its path (Name, or a/b for a complex
// property's) and the alias a compound key predicate may name it by.
type KeyRef struct {
	Path  string
	Alias string
}

// QName is the type's qualified name (Edm.String, NS.Product).
func (t *Type) QName() string { return t.Namespace + "." + t.Name }

// IsStructured reports whether t is an entity or complex type.
func (t *Type) IsStructured() bool {
	return t != nil && (t.Kind == KindEntity || t.Kind == KindComplex)
}

// Property is a structural property (or the base types'), or nil.
func (t *Type) Property(name string) *Property {
	for x, n := t, 0; x != nil && n < maxBaseDepth; x, n = x.Base, n+1 {
		if p := x.Props[name]; p != nil {
			return p
		}
	}
	return nil
}

// Navigation is a navigation property (or the base types'), or nil.
func (t *Type) Navigation(name string) *NavProp {
	for x, n := t, 0; x != nil && n < maxBaseDepth; x, n = x.Base, n+1 {
		if p := x.Navs[name]; p != nil {
			return p
		}
	}
	return nil
}

// KeyOf is the entity type's key (the first base type's that has one).
func (t *Type) KeyOf() []KeyRef {
	for x, n := t, 0; x != nil && n < maxBaseDepth; x, n = x.Base, n+1 {
		if len(x.Key) > 0 {
			return x.Key
		}
	}
	return nil
}

// DerivesFrom reports whether t is base or derives from it.
func (t *Type) DerivesFrom(base *Type) bool {
	for x, n := t, 0; x != nil && n < maxBaseDepth; x, n = x.Base, n+1 {
		if x == base {
			return true
		}
	}
	return false
}

// TypeRef is a property's, parameter's or return type: a type, or a
// collection of it.
type TypeRef struct {
	Type       *Type
	Collection bool
	Nullable   bool
	name       string // as written, resolved by link
	pos        Pos
}

// Property is a structural property.
type Property struct {
	Name string
	Type TypeRef
	Pos  Pos
}

// NavProp is a navigation property.
type NavProp struct {
	Name           string
	Type           TypeRef // an entity type, or a collection of one
	ContainsTarget bool
	Pos            Pos
}

// Param is a function's or action's parameter.
type Param struct {
	Name     string
	Type     TypeRef
	Optional bool // CSDL 4.01's Core.OptionalParameter is not read: nullable parameters may be left out
}

// Operation is a function or an action (one overload).
type Operation struct {
	Namespace  string
	Name       string
	Action     bool
	Bound      bool
	Composable bool
	Params     []Param // the binding parameter first, when bound
	Return     *TypeRef
	Pos        Pos
}

// QName is the operation's qualified name.
func (o *Operation) QName() string { return o.Namespace + "." + o.Name }

// EntitySet is an entity set of the container.
type EntitySet struct {
	Name string
	Type *Type
	Pos  Pos
}

// Singleton is a singleton of the container.
type Singleton struct {
	Name string
	Type *Type
	Pos  Pos
}

// Import is a function import or an action import.
type Import struct {
	Name   string
	Action bool
	Ops    []*Operation // the overloads it imports
	Pos    Pos
}

// Model is an OData service's metadata, read by ParseCSDL. It is
// immutable once read, and safe for concurrent use.
type Model struct {
	// Version is the EDMX document's version: 4.0 or 4.01.
	Version    string
	Container  string
	EntitySets map[string]*EntitySet
	Singletons map[string]*Singleton
	Imports    map[string]*Import
	// types by qualified name (and alias-qualified name)
	types map[string]*Type
	// functions and actions by qualified (and alias-qualified) name
	ops map[string][]*Operation
	// namespaces and aliases of the schemas, and those of referenced
	// documents (their types are KindExternal)
	namespaces map[string]bool
	external   map[string]bool
}

// Type finds a type by qualified name (NS.Name, Alias.Name, Edm.String),
// or, for a name without a namespace, nil.
func (m *Model) Type(qname string) *Type {
	if t := primitives[qname]; t != nil {
		return t
	}
	if t := m.types[qname]; t != nil {
		return t
	}
	if i := strings.LastIndexByte(qname, '.'); i > 0 && m.external[qname[:i]] {
		return &Type{Kind: KindExternal, Namespace: qname[:i], Name: qname[i+1:]}
	}
	return nil
}

// Operations are the overloads of the function or action qname.
func (m *Model) Operations(qname string) []*Operation { return m.ops[qname] }

// EntitySetNames are the entity sets' names, sorted (for messages).
func (m *Model) EntitySetNames() []string {
	out := make([]string, 0, len(m.EntitySets))
	for n := range m.EntitySets {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// maxBaseDepth bounds walks up a base type chain (cycles are load
// errors; this is a second guard).
const maxBaseDepth = 64

// primitives are the Edm primitive types.
var primitives = map[string]*Type{}

func init() {
	for _, n := range []string{"Binary", "Boolean", "Byte", "Date", "DateTimeOffset", "Decimal", "Double", "Duration",
		"Guid", "Int16", "Int32", "Int64", "SByte", "Single", "Stream", "String", "TimeOfDay",
		"Geography", "GeographyPoint", "GeographyLineString", "GeographyPolygon", "GeographyMultiPoint",
		"GeographyMultiLineString", "GeographyMultiPolygon", "GeographyCollection",
		"Geometry", "GeometryPoint", "GeometryLineString", "GeometryPolygon", "GeometryMultiPoint",
		"GeometryMultiLineString", "GeometryMultiPolygon", "GeometryCollection",
		"PrimitiveType", "Untyped", "AnnotationPath", "PropertyPath", "NavigationPropertyPath", "ModelElementPath"} {
		primitives["Edm."+n] = &Type{Kind: KindPrimitive, Namespace: "Edm", Name: n}
	}
	// Abstract types a model may use (Edm.EntityType as a parameter's type).
	primitives["Edm.EntityType"] = &Type{Kind: KindEntity, Namespace: "Edm", Name: "EntityType", Abstract: true, Open: true}
	primitives["Edm.ComplexType"] = &Type{Kind: KindComplex, Namespace: "Edm", Name: "ComplexType", Abstract: true, Open: true}
}

// Edm returns the primitive type Edm.name.
func Edm(name string) *Type { return primitives["Edm."+name] }
