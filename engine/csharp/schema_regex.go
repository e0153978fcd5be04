package csharp

import (
	"errors"
	"strings"
)

// SchemaRegex is a schema's pattern (JSON Schema's and OpenAPI's
// "pattern" and "patternProperties") compiled on the engine C#'s Regex
// runs on (.NET's, by regexp2), with RegexOptions.ECMAScript: JSON Schema
// says a pattern is an ECMA-262 regular expression, and ECMAScript is
// .NET's reading of one (\d is [0-9], \w [a-zA-Z0-9_], \s
// [\t\n\v\f\r ]). A pattern is not anchored: it matches if it matches
// anywhere in the value. One match runs for at most SchemaRegexTimeout
// and within the backtracking stack bound C#'s Regex has. A SchemaRegex
// is never changed once made: it is shared by concurrent validations.
type SchemaRegex struct{ rx *dnRegex }

// SchemaRegexTimeout bounds one match of a schema's pattern against one
// value: C#'s default (DefaultRegexTimeout). tollgate's choice.
const SchemaRegexTimeout = DefaultRegexTimeout

// SchemaRegexBacktrack is the backtracking stack bound of one match, in
// entries.
const SchemaRegexBacktrack = maxRegexBacktrack

// ErrSchemaRegexTimeout and ErrSchemaRegexBacktrack are what Match
// returns past the time limit and past the backtracking stack's bound.
var (
	ErrSchemaRegexTimeout   = errors.New("timed out")
	ErrSchemaRegexBacktrack = errors.New("backtracking stack bound")
)

// CompileSchemaRegex compiles a schema's pattern; the error is .NET's
// RegexParseException message without its type ("Invalid pattern '(a' at
// offset 2. Not enough )'s.").
func CompileSchemaRegex(pat string) (*SchemaRegex, error) {
	rx, err := compileRegex(pat, roECMAScript, SchemaRegexTimeout)
	if err != nil {
		var e *Exception
		if errors.As(err, &e) {
			return nil, errors.New(e.Msg)
		}
		return nil, err
	}
	return &SchemaRegex{rx: rx}, nil
}

// String is the pattern as written.
func (r *SchemaRegex) String() string { return r.rx.pattern }

// Match reports whether s (its UTF-16 units, as .NET's engine reads a
// string) has a match; ErrSchemaRegexTimeout or ErrSchemaRegexBacktrack
// when the match ran past the limits.
func (r *SchemaRegex) Match(s string) (bool, error) {
	ok, err := isMatch(r.rx, s)
	if err != nil {
		var e *Exception
		if errors.As(err, &e) && strings.HasPrefix(e.Type, "OutOfMemory") {
			return false, ErrSchemaRegexBacktrack
		}
		return false, ErrSchemaRegexTimeout
	}
	return ok, nil
}
