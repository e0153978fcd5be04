package csharp

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"tollgate/internal/editdist"
)

// Model describes what expressions see: the environment struct whose
// `context` field is APIM's context, the model types casts may name
// (IResponse, IRequest...), and the run-time functions for members that
// live in the engine (AsJwt, AsBasic).
type Model struct {
	// Env is the expr environment struct; its field tagged expr:"context"
	// is `context`.
	Env reflect.Type
	// Types are the model types a cast or declaration may name.
	Types map[string]reflect.Type
	// Funcs are string extension methods implemented by the engine:
	// "AsJwt" and "AsBasic" (func(string) *T, nil when malformed). Their
	// lowered form calls the expr function of the same name with a
	// lower-case first letter (asJwt, asBasic).
	Funcs map[string]any
	// ContextFuncs are context members the environment implements as func
	// fields (context.Tracing, context.Trace(message)).
	ContextFuncs map[string]ContextFunc

	byGo    map[reflect.Type]*Type
	ctxT    *Type
	ctxPath []int
	funcs   map[string]*ctxFunc
}

// ContextFunc is a context member backed by a func field of the
// environment, named by its expr tag: a property (Tracing, no arguments)
// or a method; Void methods are statements only.
type ContextFunc struct {
	Field    string
	Property bool
	Void     bool
}

type ctxFunc struct {
	ContextFunc
	name  string
	index []int
	ins   []*Type
	out   *Type
}

func (m *Model) init() error {
	m.byGo = map[reflect.Type]*Type{}
	for i := 0; i < m.Env.NumField(); i++ {
		f := m.Env.Field(i)
		if f.Tag.Get("expr") == "context" {
			m.ctxT = m.goType(f.Type)
			m.ctxPath = f.Index
			m.ctxT.Name = "IProxyRequestContext"
		}
	}
	if m.ctxT == nil {
		return fmt.Errorf("csharp: %v has no field tagged expr:\"context\"", m.Env)
	}
	for name, rt := range m.Types {
		t := m.goType(rt)
		t.Name = name
	}
	if fn := m.Funcs["AsUrl"]; fn != nil {
		modelAsURL.Store(reflect.ValueOf(fn)) // for Json.NET's writing of a url field (json_model.go)
	}
	m.funcs = map[string]*ctxFunc{}
	for name, cf := range m.ContextFuncs {
		found := false
		for i := 0; i < m.Env.NumField(); i++ {
			f := m.Env.Field(i)
			if f.Tag.Get("expr") != cf.Field || f.Type.Kind() != reflect.Func || f.Type.NumOut() != 1 {
				continue
			}
			c := &ctxFunc{ContextFunc: cf, name: name, index: f.Index, out: m.goType(f.Type.Out(0))}
			for j := 0; j < f.Type.NumIn(); j++ {
				c.ins = append(c.ins, m.goType(f.Type.In(j)))
			}
			if cf.Void {
				c.out = tVoid
			}
			m.funcs[name], found = c, true
		}
		if !found {
			return fmt.Errorf("csharp: %v has no func field tagged expr:%q", m.Env, cf.Field)
		}
	}
	return nil
}

// goField is a bound field of a model struct.
type goField struct {
	index  []int
	t      *Type
	read   *builtin // derefValue, zeroNull, guidView or AsUrl: how the field is read; nil for the rest
	goName string   // the Go field's name (the C# name but for an alias)
}

// goMethod is a bound method of a model type.
type goMethod struct {
	name string
	fn   reflect.Method
	ptr  bool
	t    *Type
	ins  []*Type
}

func (m *Model) field(t *Type, name string) (*goField, bool) {
	rt := t.Go
	if rt.Kind() == reflect.Pointer {
		rt = rt.Elem()
	}
	if rt.Kind() != reflect.Struct {
		return nil, false
	}
	f, ok := rt.FieldByName(name)
	if !ok {
		// a field may have a second C# name (tag csalias): the name an
		// APIM page gives it besides its usual one
		for i := 0; i < rt.NumField(); i++ {
			if rf := rt.Field(i); rf.Tag.Get("csalias") == name {
				f, ok = rf, true
			}
		}
	}
	if !ok || !f.IsExported() {
		return nil, false
	}
	gf := &goField{index: f.Index, t: m.goType(f.Type), goName: f.Name}
	switch {
	case f.Type.Kind() == reflect.Pointer && gf.t.Nullable:
		gf.read = derefValue
	case f.Tag.Get("csharp") == "nullable" && (gf.t.K == KDateTime || gf.t.K == KInt):
		gf.t, gf.read = nullableOf(gf.t), zeroNull
	case strings.HasPrefix(f.Tag.Get("csharp"), "enum=") && f.Type.Kind() == reflect.String && modelEnums[f.Tag.Get("csharp")[5:]] != nil:
		// a string naming an enum's member (context.Product.State)
		name := f.Tag.Get("csharp")[5:]
		gf.t, gf.read = enumDefs[name].t, modelEnums[name]
	case gf.t == tDateTime && f.Tag.Get("csharp") == "local":
		gf.read = localDateView // a certificate's NotBefore and NotAfter: local time
	case gf.t == tDateTime:
		gf.read = dateView
	case f.Tag.Get("csharp") == "claims" && f.Type == reflect.TypeOf(map[string]any{}):
		// a JWT's claims: IReadOnlyDictionary<string, string[]> in APIM
		gf.t, gf.read = m.goType(reflect.TypeOf(map[string][]string{})), claimsView
	case f.Tag.Get("csharp") == "guid" && f.Type.Kind() == reflect.String:
		// a Guid kept as text (context.RequestId): a System.Guid in C#
		gf.t, gf.read = tGuid, guidView
	case f.Tag.Get("csharp") == "url" && f.Type.Kind() == reflect.String && m.Funcs["AsUrl"] != nil:
		// a URL kept as text, read as an IUrl (context.Api.ServiceUrl)
		fn := m.Funcs["AsUrl"]
		gf.t, gf.read = m.goType(reflect.TypeOf(fn).Out(0)), extMethod("AsUrl", fn)
	}
	return gf, true
}

// hiddenMethods are Go methods of the context model that are plumbing, not
// .NET members: C# expressions do not see them (X509Cert is how the
// certificates' X509Certificate2 members reach the key, x509.go).
var hiddenMethods = map[string]bool{"String": true, "X509Cert": true, "X509": true, "Intermediates": true, "FoldKey": true}

// FoldedKeys is a model map whose keys are case-insensitive, as HTTP
// headers are: FoldKey gives the form a key is stored in. Indexing it
// (Headers["cookie"]) and TryGetValue find a key whatever its case, as
// .NET's header dictionaries do.
type FoldedKeys interface{ FoldKey(string) string }

var foldedKeysType = reflect.TypeOf((*FoldedKeys)(nil)).Elem()

func (m *Model) goMethod(t *Type, name string) (*goMethod, bool) {
	meth, ok := t.Go.MethodByName(name)
	if !ok || hiddenMethods[name] {
		return nil, false
	}
	gm := &goMethod{name: name, fn: meth}
	mt := meth.Type
	for i := 1; i < mt.NumIn(); i++ {
		gm.ins = append(gm.ins, m.goType(mt.In(i)))
	}
	switch mt.NumOut() {
	case 0:
		gm.t = tVoid
	default:
		gm.t = m.goType(mt.Out(0))
	}
	return gm, true
}

// memberNames lists a type's members for did-you-mean hints.
func (m *Model) memberNames(t *Type) []string {
	var out []string
	if t.K == KGo {
		rt := t.Go
		for i := 0; i < rt.NumMethod(); i++ {
			if n := rt.Method(i).Name; !hiddenMethods[n] {
				out = append(out, n)
			}
		}
		if rt.Kind() == reflect.Pointer {
			rt = rt.Elem()
		}
		if rt.Kind() == reflect.Struct {
			for i := 0; i < rt.NumField(); i++ {
				if f := rt.Field(i); f.IsExported() {
					out = append(out, f.Name)
				}
			}
		}
		if _, ok := rt.MethodByName("AsString"); ok || hasMethod(t.Go, "AsString") {
			out = append(out, "As")
		}
	}
	for n := range methods[t.K] {
		out = append(out, n)
	}
	for n := range props[t.K] {
		out = append(out, n)
	}
	return out
}

func hasMethod(rt reflect.Type, name string) bool {
	_, ok := rt.MethodByName(name)
	return ok
}

// nearest returns the candidate closest to name (edit distance at most 2,
// or a case-insensitive match), or "".
func nearest(name string, cands []string) string {
	limit := min(2, max(1, len(name)/3))
	best, bestD := "", limit+1
	for _, c := range cands {
		if strings.EqualFold(c, name) && c != name || len(name) >= 4 && strings.HasPrefix(c, name) {
			return c
		}
		if d := editdist.Distance(name, c); d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	return best
}

func hint(name string, cands []string) string {
	if n := nearest(name, cands); n != "" && n != name {
		return fmt.Sprintf(" (did you mean '%s'?)", n)
	}
	return ""
}

// memberHint is a did-you-mean, or the list of members of a small model type.
func (m *Model) memberHint(name string, t *Type) string {
	if t.K == KSym && (name == "CreateEncryptor" || name == "CreateDecryptor") {
		return symTransformHint
	}
	if h := xpathMemberHint(name, t); h != "" { // xml_linq.go
		return h
	}
	if h := ipAddressHint(name); h != "" && t.K == KIPAddress { // ipaddress.go
		return h
	}
	names := m.memberNames(t)
	if h := hint(name, names); h != "" {
		return h
	}
	if t.K != KGo || len(names) > 14 {
		return ""
	}
	names = slices.DeleteFunc(names, func(n string) bool { return n == "Equals" || n == "ToString" })
	sort.Strings(names)
	return " (it has: " + strings.Join(names, ", ") + ")"
}
