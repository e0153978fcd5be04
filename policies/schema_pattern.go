package policies

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unsafe"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"tollgate/engine/csharp"
)

// Schema patterns (JSON Schema resources, and the OpenAPI schemas of
// validate-content, validate-parameters and validate-headers) run on the
// engine C#'s Regex runs on, .NET's (csharp.SchemaRegex: regexp2 with
// RegexOptions.ECMAScript), not on Go's RE2: a pattern with look-ahead,
// such as a password rule ^(?=.*[A-Z])(?=.*\d).{8,}$, loads and is
// checked, and \d, \w, \s read as ECMAScript's. Patterns are compiled at
// load: a pattern that does not parse is a load error.
//
// One match runs for at most csharp.SchemaRegexTimeout and within a
// backtracking stack bound. Past either, the value is refused: the match
// panics with a *patternLimit, which catchPatternLimit recovers where the
// validation was started (the libraries' Regexp interfaces have no error
// return), so that a validation stops at its first such value.

// schemaPattern is a compiled schema pattern, as both libraries' Regexp.
type schemaPattern struct{ re *csharp.SchemaRegex }

func (p *schemaPattern) String() string { return p.re.String() }

// MatchString is the pattern's match in s; past the limits it panics with
// a *patternLimit.
func (p *schemaPattern) MatchString(s string) bool {
	ok, err := p.re.Match(s)
	if err != nil {
		panic(&patternLimit{pattern: p.re.String(), value: s, err: err})
	}
	return ok
}

// compileSchemaPattern compiles a schema's pattern. (A patternProperties
// name made case-insensitive by foldSchemaNames starts with (?i), which
// .NET reads as RegexOptions.IgnoreCase.)
func compileSchemaPattern(pat string) (*schemaPattern, error) {
	re, err := csharp.CompileSchemaRegex(pat)
	if err != nil {
		return nil, err
	}
	return &schemaPattern{re}, nil
}

// jsonSchemaRegexp is jsonschema's RegexpEngine on .NET's engine.
func jsonSchemaRegexp(pat string) (jsonschema.Regexp, error) {
	p, err := compileSchemaPattern(pat)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// OpenAPIRegex is kin-openapi's RegexCompilerFunc on .NET's engine: the
// gateway gives it to a document's Validate (openapi3.SetRegexCompiler),
// which compiles every pattern at load, and the validation policies give
// it to VisitJSON (openapi3.SetSchemaRegexCompiler). kin-openapi keeps
// compiled patterns in a process-wide cache by pattern text, which both
// fill with this compiler's.
func OpenAPIRegex(pat string) (openapi3.RegexMatcher, error) {
	p, err := compileSchemaPattern(pat)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// openAPIRegexOpt is OpenAPIRegex as a VisitJSON option.
var openAPIRegexOpt = openapi3.SetSchemaRegexCompiler(OpenAPIRegex)

// patternLimit is a pattern's match that ran past the time limit or the
// backtracking stack bound, on value.
type patternLimit struct {
	pattern string
	value   string
	err     error
}

// catchPatternLimit runs validate; lim is the match that ran past the
// limits, which ended it (err is then nil).
func catchPatternLimit(validate func() error) (err error, lim *patternLimit) {
	defer func() {
		if r := recover(); r != nil {
			l, ok := r.(*patternLimit)
			if !ok {
				panic(r)
			}
			lim = l
		}
	}()
	return validate(), nil
}

// message is the validation error of a match past the limits: it names
// the pattern and where the value is in inst (the body or value
// validated, in which the matched string is found by identity), never the
// value itself.
func (l *patternLimit) message(inst any) string {
	what := fmt.Sprintf("did not end within tollgate's limit of %d ms", csharp.SchemaRegexTimeout.Milliseconds())
	if errors.Is(l.err, csharp.ErrSchemaRegexBacktrack) {
		what = fmt.Sprintf("backtracked past tollgate's bound of %d stack entries", csharp.SchemaRegexBacktrack)
	}
	msg := fmt.Sprintf("Matching the value against the pattern '%s' %s: the value is refused.", l.pattern, what)
	if path := l.path(inst); len(path) > 0 {
		msg += " Path '" + strings.Join(path, ".") + "'."
	}
	return msg
}

// path is where the value is in inst (nil: not found, or inst itself).
func (l *patternLimit) path(inst any) []string {
	path, _ := findString(inst, l.value, nil)
	return path
}

// findString is the path in v to the string s, compared by identity (the
// same bytes in memory: the string the validator matched): a property's
// value or name, or an array's item.
func findString(v any, s string, path []string) ([]string, bool) {
	switch x := v.(type) {
	case string:
		return path, sameString(x, s)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := append(path[:len(path):len(path)], k)
			if sameString(k, s) {
				return p, true
			}
			if found, ok := findString(x[k], s, p); ok {
				return found, true
			}
		}
	case []any:
		for i, c := range x {
			if found, ok := findString(c, s, append(path[:len(path):len(path)], strconv.Itoa(i))); ok {
				return found, true
			}
		}
	}
	return nil, false
}

func sameString(a, b string) bool {
	return len(a) == len(b) && len(a) > 0 && unsafe.StringData(a) == unsafe.StringData(b)
}
