package engine

// csharpSyntax reports whether src uses syntax that only C# has: a C#
// keyword expr does not know (null, new, var, typeof, is, as, out...), a
// cast such as (string)x or (JObject)(y), a declaration such as
// string s = ..., a generic method call such as .As<JObject>(), a lambda
// (=>), or an interpolated or verbatim string ($"...", @"...").
//
// It is read only when a text compiles in neither language, to choose the
// language whose error is shown: a text an APIM user wrote in C# gets C#'s
// error, not expr's complaint about a C# word (docs/expressions-csharp.md).
// It never changes what a text that compiles means.
//
// The scan is lexical and forgiving: strings and chars are skipped whole
// (single-quoted texts too, as they are strings in expr), and anything it
// does not recognise is not evidence.
func csharpSyntax(src string) bool {
	toks, marked := hintTokens(src)
	if marked {
		return true
	}
	for i, t := range toks {
		prev := hintTok{}
		if i > 0 {
			prev = toks[i-1]
		}
		member := prev.text == "." || prev.text == "?."
		switch {
		case t.text == "=>":
			return true
		case t.ident && !member && csharpOnlyWords[t.text] && !(i+1 < len(toks) && toks[i+1].text == ":"):
			return true
		case t.text == "(" && isCast(toks, i):
			return true
		case t.ident && !member && isDeclaration(toks, i):
			return true
		case t.text == "<" && i >= 2 && toks[i-1].ident && toks[i-2].text == "." && isTypeArgs(toks, i):
			return true
		}
	}
	return false
}

// csharpOnlyWords are C# keywords that are neither keywords nor names in
// expr (null is nil there; expr's own words, such as in, not, let, if and
// else, are left out).
var csharpOnlyWords = map[string]bool{
	"null": true, "new": true, "var": true, "typeof": true, "is": true, "as": true, "out": true, "ref": true,
	"foreach": true, "while": true, "for": true, "do": true, "break": true, "continue": true, "throw": true,
	"try": true, "catch": true, "finally": true, "default": true, "using": true, "switch": true, "case": true,
}

// csharpTypeWords are C#'s built-in type keywords.
var csharpTypeWords = map[string]bool{
	"string": true, "int": true, "long": true, "bool": true, "double": true, "float": true, "decimal": true,
	"object": true, "char": true, "byte": true, "sbyte": true, "short": true, "ushort": true, "uint": true,
	"ulong": true, "dynamic": true,
}

type hintTok struct {
	text  string // "" for a literal (string, char or number)
	ident bool
}

// hintTokens splits src into identifiers, operators and literals. marked is
// set when a C#-only string form ($"..." or @"...") is met.
func hintTokens(src string) (toks []hintTok, marked bool) {
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case (c == '$' || c == '@') && i+1 < len(src) && (src[i+1] == '"' || src[i+1] == '$' || src[i+1] == '@'):
			return toks, true
		case c == '"' || c == '\'' || c == '`':
			i = skipQuoted(src, i)
			toks = append(toks, hintTok{})
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i + 1
			for j < len(src) && (src[j] == '_' || src[j] >= 'a' && src[j] <= 'z' || src[j] >= 'A' && src[j] <= 'Z' || src[j] >= '0' && src[j] <= '9') {
				j++
			}
			toks = append(toks, hintTok{text: src[i:j], ident: true})
			i = j
		case c >= '0' && c <= '9':
			j := i + 1
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.' || src[j] >= 'a' && src[j] <= 'z' || src[j] >= 'A' && src[j] <= 'Z') {
				j++
			}
			toks = append(toks, hintTok{})
			i = j
		default:
			n := 1
			if i+1 < len(src) {
				switch src[i : i+2] {
				case "=>", "==", "!=", "<=", ">=", "?.", "??", "&&", "||":
					n = 2
				}
			}
			toks = append(toks, hintTok{text: src[i : i+n]})
			i += n
		}
	}
	return toks, false
}

// skipQuoted returns the offset after the quoted text that starts at i
// (the end of src when it is not closed).
func skipQuoted(src string, i int) int {
	q := src[i]
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			if q != '`' {
				j++
			}
		case q:
			return j + 1
		}
	}
	return len(src)
}

// typeEnd returns the index after a type name that starts at toks[i]
// (Name, A.B.C, Name[], Name?), or -1. A lowercase name must be one of
// C#'s type keywords.
func typeEnd(toks []hintTok, i int) int {
	if i >= len(toks) || !toks[i].ident {
		return -1
	}
	first := toks[i].text
	if !csharpTypeWords[first] && !(first[0] >= 'A' && first[0] <= 'Z') {
		return -1
	}
	i++
	for i+1 < len(toks) && toks[i].text == "." && toks[i+1].ident {
		i += 2
	}
	for i+1 < len(toks) && toks[i].text == "[" && toks[i+1].text == "]" {
		i += 2
	}
	if i < len(toks) && toks[i].text == "?" {
		i++
	}
	return i
}

// isCast reports whether toks[i] ("(") opens a cast: (Type) followed by an
// operand.
func isCast(toks []hintTok, i int) bool {
	e := typeEnd(toks, i+1)
	if e < 0 || e+1 >= len(toks) || toks[e].text != ")" {
		return false
	}
	next := toks[e+1]
	return next.ident || next.text == "" || next.text == "("
}

// isDeclaration reports whether a local declaration starts at toks[i]:
// Type name = or Type name ;.
func isDeclaration(toks []hintTok, i int) bool {
	e := typeEnd(toks, i)
	if e < 0 || e+1 >= len(toks) || !toks[e].ident {
		return false
	}
	return toks[e+1].text == "=" || toks[e+1].text == ";"
}

// isTypeArgs reports whether toks[i] ("<", after .Name) opens type
// arguments closed before a call: .As<JObject>(, .ToObject<List<string>>(.
func isTypeArgs(toks []hintTok, i int) bool {
	depth := 0
	for j := i; j < len(toks); j++ {
		t := toks[j]
		switch {
		case t.text == "<":
			depth++
		case t.text == ">":
			depth--
			if depth == 0 {
				return j+1 < len(toks) && toks[j+1].text == "("
			}
		case t.ident || t.text == "," || t.text == "." || t.text == "[" || t.text == "]" || t.text == "?":
		default:
			return false
		}
	}
	return false
}
