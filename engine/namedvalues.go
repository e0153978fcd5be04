package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"sort"
	"strings"
	"sync"
)

// NamedValues are the {{name}} values of apis/named-values.xml.
//
//	<named-values>
//	  <named-value name="app-url">http://127.0.0.1:5000</named-value>
//	  <named-value name="api-key" secret="true" env="API_KEY"/>
//	  <named-value name="svc-url" env="SVC_URL" default="http://127.0.0.1:5001"/>
//	</named-values>
//
// A value with env= is read from that environment variable (falling back to
// default= or the text; missing altogether is an error). Secret values are
// never printed: messages show {{name}}, and traces hide values built from them.
type NamedValues struct {
	values map[string]NamedValue
	// where says where a missing value is defined, for the error
	// (SetWhere; default apis/named-values.xml).
	where string

	mu   sync.Mutex
	used map[string]bool // the values a {{name}} referred to
	// ids: resource ids (APIOps folder names) to names (AddID).
	ids map[string]string
}

// SetWhere says where the set's values are defined, for the error about
// one that is missing ("workspaces/hr/named values/NAME/...").
func (nv *NamedValues) SetWhere(where string) { nv.where = where }

func (nv *NamedValues) whereText() string {
	if nv == nil || nv.where == "" {
		return "apis/named-values.xml"
	}
	return nv.where
}

// NamedValue is one value.
type NamedValue struct {
	Name   string
	Value  string
	Secret bool
	Pos    Pos
	// Missing, when set, says why the value is not known and where to give
	// it: a {{name}} that refers to it is an error with this message, and
	// one that nothing refers to is only reported (MissingUnused).
	Missing string
}

// lookup returns the value called name, and notes that it was used.
func (nv *NamedValues) lookup(name string) (NamedValue, bool, error) {
	if nv == nil {
		return NamedValue{}, false, nil
	}
	v, ok := nv.values[name]
	if !ok {
		return v, false, nil
	}
	nv.mu.Lock()
	if nv.used == nil {
		nv.used = map[string]bool{}
	}
	nv.used[name] = true
	nv.mu.Unlock()
	if v.Missing != "" {
		if v.Pos.File != "" {
			return v, true, &MissingValueError{Name: v.Name, msg: v.Missing + " (it is defined at " + v.Pos.String() + ")"}
		}
		return v, true, &MissingValueError{Name: v.Name, msg: v.Missing}
	}
	return v, true, nil
}

// MissingValueError is the error of a {{name}} whose named value has no
// value (NamedValue.Missing): its text says where to give the value and
// where the value is defined. A resource that only needs the value when
// it is used (a backend entity's credentials) tells it from other errors
// with errors.As.
type MissingValueError struct {
	Name string // the named value's name
	msg  string
}

func (e *MissingValueError) Error() string { return e.msg }

// UnknownValueError is the error of a {{name}} that names no named value
// (an APIOps extract filtered to leave some out has them in its loggers'
// credentials); its text says where named values are defined.
type UnknownValueError struct {
	Name string // the name referred to
	msg  string
}

func (e *UnknownValueError) Error() string { return e.msg }

// MissingUnused returns the values without a value (Missing) that no
// {{name}} referred to, sorted by name.
func (nv *NamedValues) MissingUnused() []NamedValue {
	if nv == nil {
		return nil
	}
	nv.mu.Lock()
	defer nv.mu.Unlock()
	var out []NamedValue
	for name, v := range nv.values {
		if v.Missing != "" && !nv.used[name] {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// NewNamedValues builds a set from values (tests, programmatic use).
func NewNamedValues(vals ...NamedValue) *NamedValues {
	nv := &NamedValues{values: map[string]NamedValue{}}
	for _, v := range vals {
		nv.values[v.Name] = v
	}
	return nv
}

// Secrets returns the secret values (to mask them in logs).
func (nv *NamedValues) Secrets() []string {
	if nv == nil {
		return nil
	}
	var out []string
	for _, v := range nv.values {
		if v.Secret && v.Value != "" {
			out = append(out, v.Value)
		}
	}
	return out
}

// ParseNamedValues reads a <named-values> document. getenv is os.Getenv in
// production.
func ParseNamedValues(root *Node, getenv func(string) string) (*NamedValues, ErrorList) {
	var errs ErrorList
	nv := &NamedValues{values: map[string]NamedValue{}}
	if root.Name != "named-values" {
		errs.Add(root.Pos, "", "the root element must be <named-values>, not <%s>", root.Name)
		return nv, errs
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	for _, n := range root.Children {
		if n.Name != "named-value" {
			errs.Add(n.Pos, "", "unexpected element <%s> (want <named-value>)", n.Name)
			continue
		}
		v := NamedValue{Pos: n.Pos}
		var env, def string
		hasDef := false
		for _, a := range n.Attrs {
			switch a.Name {
			case "name":
				v.Name = a.Value
			case "secret":
				switch a.Value {
				case "true":
					v.Secret = true
				case "false":
				default:
					errs.Add(a.ValuePos, "", "attribute \"secret\" must be true or false, not %q", a.Value)
				}
			case "env":
				env = a.Value
			case "default":
				def, hasDef = a.Value, true
			default:
				errs.Add(a.Pos, "", "<named-value> has no attribute %q (known: name, secret, env, default)", a.Name)
			}
		}
		if len(n.Children) > 0 {
			errs.Add(n.Children[0].Pos, "", "unexpected element <%s> inside <named-value>", n.Children[0].Name)
		}
		switch {
		case v.Name == "":
			errs.Add(n.Pos, "", "<named-value> needs the attribute \"name\"")
			continue
		case !validName(v.Name):
			errs.Add(n.Pos, "", "named value %q: names use letters, digits, '-', '_' and '.'", v.Name)
			continue
		}
		if prev, dup := nv.values[v.Name]; dup {
			errs.Add(n.Pos, "", "named value %q is defined twice: here and at %s", v.Name, prev.Pos)
			continue
		}
		v.Value = n.Text
		if env != "" {
			if e := getenv(env); e != "" {
				v.Value = e
			} else if hasDef {
				v.Value = def
			} else if n.Text == "" {
				errs.Add(n.Pos, "", "named value %q: environment variable %s is not set and there is no default", v.Name, env)
			}
		} else if hasDef && v.Value == "" {
			v.Value = def
		}
		if _, _, _, _, err := (*NamedValues)(nil).substitute(v.Value); err != nil { // a {{name}} (C#'s other {{ are text)
			errs.Add(n.Pos, "", "named value %q: a value may not contain another {{name}}", v.Name)
		}
		if len(v.Value) > 4096 {
			errs.Add(n.Pos, "", "named value %q is longer than 4096 characters", v.Name)
		}
		nv.values[v.Name] = v
	}
	return nv, errs
}

func validName(s string) bool {
	for _, c := range s {
		if !(c == '-' || c == '_' || c == '.' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			return false
		}
	}
	return s != ""
}

// Substitute replaces every {{name}} in s (api.xml attributes use it).
func (nv *NamedValues) Substitute(s string) (string, error) {
	out, _, _, _, err := nv.substitute(s)
	return out, err
}

// Fingerprint returns name=value lines (secrets hashed) in a stable order,
// so a config hash changes when any value does.
func (nv *NamedValues) Fingerprint() []string {
	out := make([]string, 0, len(nv.values))
	for _, v := range nv.values {
		val := v.Value
		if v.Secret {
			sum := sha256.Sum256([]byte(val))
			val = hex.EncodeToString(sum[:])
		}
		out = append(out, v.Name+"="+val)
	}
	sort.Strings(out)
	return out
}

// AddID records that the value named name is the resource id (an APIOps
// folder name) too, for SubstituteWithIDs.
func (nv *NamedValues) AddID(id, name string) {
	if id == name {
		return
	}
	if nv.ids == nil {
		nv.ids = map[string]string{}
	}
	nv.ids[id] = name
}

// SubstituteWithIDs is Substitute for resources APIM writes itself, which
// may name a value by its resource id rather than its display name (an
// Event Hub logger's credentials: {{66672b71463461136c78195a}}). A display
// name wins over an id.
func (nv *NamedValues) SubstituteWithIDs(s string) (string, error) {
	if nv != nil && len(nv.ids) > 0 && strings.Contains(s, "{{") {
		for id, name := range nv.ids {
			if _, taken := nv.values[id]; !taken {
				s = strings.ReplaceAll(s, "{{"+id+"}}", "{{"+name+"}}")
			}
		}
	}
	return nv.Substitute(s)
}

// Where returns where the value called name is defined (its Pos), and
// whether there is one.
func (nv *NamedValues) Where(name string) (Pos, bool) {
	v, ok := nv.values[name]
	return v.Pos, ok
}

// Add adds v; it reports false (and adds nothing) when the name is taken.
func (nv *NamedValues) Add(v NamedValue) bool {
	if _, dup := nv.values[v.Name]; dup {
		return false
	}
	nv.values[v.Name] = v
	return true
}
