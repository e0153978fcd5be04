package csharp

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/theory/jsonpath"
	"github.com/theory/jsonpath/registry"
	"github.com/theory/jsonpath/spec"

	"tollgate/internal/boundcache"
)

// JSONPath beyond SelectToken's dotted paths: wildcards ([*], .*),
// recursive descent (..name), unions, slices and filters
// ([?(@.price < 10)]), for SelectToken (one match, or null) and
// SelectTokens (every match, in document order), on RFC 9535 JSONPath
// (github.com/theory/jsonpath), which Newtonsoft's dialect shares for
// these. The tokens returned are the document's own, so a policy that
// changes one changes the document, as in Newtonsoft.

// simplePath reports whether a path is one SelectToken's own walk reads:
// names and indexes only.
func simplePath(p string) bool {
	return !strings.ContainsAny(p, "*?,:()") && !strings.Contains(p, "..")
}

var (
	paths      = boundcache.New[string, *jsonpath.Path](512) // compiled once per path text
	pathParser = jsonpath.NewParser(jsonpath.WithRegistry(pathFuncs()))
)

// pathFuncs are RFC 9535's functions and dotnet_regex(value, 'pattern',
// options), which =~ filters become (regexFilters): Json.NET's
// Regex.IsMatch(value, pattern, options), on the engine C#'s Regex runs on.
func pathFuncs() *registry.Registry {
	reg := registry.New()
	err := reg.Register("dotnet_regex", spec.FuncLogical, func(args []spec.FuncExprArg) error {
		if len(args) != 3 {
			return fmt.Errorf("expected 3 arguments but found %v", len(args))
		}
		for i, a := range args {
			if !a.ConvertsTo(spec.FuncValue) {
				return fmt.Errorf("cannot convert argument %v to Value", i+1)
			}
		}
		return nil
	}, func(jv []spec.PathValue) spec.PathValue {
		v, p, o := spec.ValueFrom(jv[0]), spec.ValueFrom(jv[1]), spec.ValueFrom(jv[2])
		if v == nil || p == nil || o == nil {
			return spec.LogicalFalse
		}
		s, ok1 := v.Value().(string)
		pat, ok2 := p.Value().(string)
		if !ok1 || !ok2 {
			return spec.LogicalFalse // Json.NET tests strings only
		}
		opts := 0
		switch n := o.Value().(type) {
		case int64:
			opts = int(n)
		case float64:
			opts = int(n)
		case int:
			opts = n
		}
		rx, err := getRegex(pat, opts, 0)
		if err != nil {
			panic(pathRegexError{err})
		}
		m, err := isMatch(rx, s)
		if err != nil {
			panic(pathRegexError{err})
		}
		return spec.Logical(m)
	})
	if err != nil {
		panic(err)
	}
	return reg
}

// pathRegexError carries a regex's exception (a bad pattern, a timeout)
// out of the JSONPath library's evaluation, to selectTokens, as Json.NET
// lets Regex's exceptions out of SelectToken.
type pathRegexError struct{ err error }

func compilePath(p string) (*jsonpath.Path, error) {
	if jp, ok := paths.Get(p); ok {
		return jp, nil
	}
	// The cache (and the compiled path, which may keep pieces of its text)
	// outlives the request: it keeps its own copy of a path that may be a
	// view of a request's bytes (a body in a pooled buffer).
	p = strings.Clone(p)
	q := strings.TrimSpace(p)
	switch {
	case strings.HasPrefix(q, "$"):
	case strings.HasPrefix(q, "["):
		q = "$" + q
	default:
		q = "$." + q
	}
	if strings.Contains(q, "=~") {
		var ok bool
		if q, ok = regexFilters(q); !ok {
			return nil, exc("JsonException", "Unexpected character while parsing path: %s", p)
		}
	}
	jp, err := pathParser.Parse(bigIntLiterals(q)) // jsonpath_bigint.go
	if err != nil {
		return nil, exc("JsonException", "Unexpected character while parsing path: %s", p)
	}
	return paths.Put(p, jp), nil
}

// regexFilters rewrites Newtonsoft's regular expression tests in filters,
// @.name =~ /regex/flags (true when the regex matches anywhere in the
// value, as Regex.IsMatch), into dotnet_regex(@.name, 'regex', options);
// the flags are Json.NET's: i IgnoreCase, m Multiline, s Singleline, x
// ExplicitCapture.
func regexFilters(q string) (string, bool) {
	var b strings.Builder
	for {
		at := indexOutsideQuotes(q, "=~")
		if at < 0 {
			b.WriteString(q)
			return b.String(), true
		}
		// The operand before: a path (@.a.b, @['a b'][0], $.x), its
		// brackets and their quotes whole.
		end := at
		for end > 0 && q[end-1] == ' ' {
			end--
		}
		start := end
		for start > 0 {
			c := q[start-1]
			if c == ']' {
				depth := 0
				i := start - 1
				for ; i >= 0; i-- {
					if q[i] == ']' {
						depth++
					} else if q[i] == '[' {
						if depth--; depth == 0 {
							break
						}
					}
				}
				if i < 0 {
					return "", false
				}
				start = i
				continue
			}
			if c == ' ' || c == '(' || c == '&' || c == '|' || c == '!' || c == ',' {
				break
			}
			start--
		}
		lhs := q[start:end]
		if lhs == "" || (lhs[0] != '@' && lhs[0] != '$') {
			return "", false
		}
		// The regex after: /…/ with \/ for a slash, then its flags.
		rest := strings.TrimLeft(q[at+2:], " ")
		if !strings.HasPrefix(rest, "/") {
			return "", false
		}
		var re strings.Builder
		i := 1
		for ; i < len(rest) && rest[i] != '/'; i++ {
			if rest[i] == '\\' && i+1 < len(rest) && rest[i+1] == '/' {
				i++
			}
			re.WriteByte(rest[i])
		}
		if i >= len(rest) {
			return "", false
		}
		i++
		opts := 0
		for ; i < len(rest) && rest[i] >= 'a' && rest[i] <= 'z'; i++ {
			switch rest[i] {
			case 'i':
				opts |= roIgnoreCase
			case 'm':
				opts |= roMultiline
			case 's':
				opts |= roSingleline
			case 'x':
				opts |= roExplicitCapture
			default:
				return "", false
			}
		}
		lit := strings.NewReplacer("\\", "\\\\", "'", "\\'").Replace(re.String())
		b.WriteString(q[:start])
		b.WriteString("dotnet_regex(" + lhs + ", '" + lit + "', " + strconv.Itoa(opts) + ")")
		q = rest[i:]
	}
}

// indexOutsideQuotes is the index of sub in s outside '…' and "…"
// literals, or -1.
func indexOutsideQuotes(s, sub string) int {
	var quote byte
	for i := 0; i < len(s); i++ {
		if j, in := quoted(s, i, &quote); in {
			i = j
			continue
		}
		if strings.HasPrefix(s[i:], sub) {
			return i
		}
	}
	return -1
}

// quoted steps a scan of a path over s[i] when it opens, is in or closes
// a '…' or "…" literal (quote is the open literal's quote, 0 outside one):
// in is true and j is the index the scan goes on after (past an escaped
// character). Outside a literal, in is false and nothing changes.
func quoted(s string, i int, quote *byte) (j int, in bool) {
	c := s[i]
	switch {
	case *quote != 0:
		if c == '\\' {
			i++
		} else if c == *quote {
			*quote = 0
		}
		return i, true
	case c == '\'' || c == '"':
		*quote = c
		return i, true
	}
	return i, false
}

// plainJSON is a token as the JSONPath library reads it: maps, slices and
// leaves.
func plainJSON(t any) any {
	switch x := t.(type) {
	case *JObject:
		m := make(map[string]any, len(x.Keys))
		for _, k := range x.Keys {
			m[k] = plainJSON(x.M[k])
		}
		return m
	case *JArray:
		s := make([]any, len(x.Items))
		for i, e := range x.Items {
			s[i] = plainJSON(e)
		}
		return s
	case []byte: // a Bytes token: its JSON text, a base64 string
		return base64.StdEncoding.EncodeToString(x)
	case JNull: // JSON's null
		return nil
	case JBigInt: // an integer past long: the nearest double, compared as a number
		f, _ := strconv.ParseFloat(x.text, 64)
		return f
	}
	return t
}

// selectTokens is every token path selects in t, the document's own.
func selectTokens(t any, path string) ([]any, error) {
	if simplePath(path) {
		v, err := selectToken(t, path)
		if err != nil || v == nil {
			return []any{}, err
		}
		return []any{v}, nil
	}
	jp, err := compilePath(path)
	if err != nil {
		return nil, err
	}
	located, err := selectLocated(jp, plainJSON(t))
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, ln := range located {
		cur := t
		for _, sel := range ln.Path {
			switch s := sel.(type) {
			case spec.Name:
				cur = jget(cur, string(s))
			case spec.Index:
				if a, ok := cur.(*JArray); ok && int(s) >= 0 && int(s) < len(a.Items) {
					cur = a.Items[s]
				} else {
					cur = nil
				}
			}
		}
		out = append(out, cur)
	}
	return out, nil
}

// selectLocated runs jp, with the exception a =~ filter's regex threw.
func selectLocated(jp *jsonpath.Path, doc any) (out jsonpath.LocatedNodeList, err error) {
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(pathRegexError)
			if !ok {
				panic(r)
			}
			out, err = nil, pe.err
		}
	}()
	return jp.SelectLocated(doc), nil
}

// selectOne is SelectToken: null for no match, Newtonsoft's exception for
// more than one.
func selectOne(t any, path string) (any, error) {
	if simplePath(path) {
		return selectToken(t, path)
	}
	all, err := selectTokens(t, path)
	if err != nil {
		return nil, err
	}
	switch len(all) {
	case 0:
		return nil, nil
	case 1:
		return all[0], nil
	}
	return nil, exc("JsonException", "Path returned multiple tokens.")
}
