package engine

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/file"

	"tollgate/internal/editdist"
)

// Mapping a place inside a value back to the file.
//
// A value's text, as the compiler sees it, differs from the file: entities
// are decoded (&quot; is one character), CR LF is one newline, element text
// skips comments and CDATA markers, {{named}} values are substituted and
// the value is trimmed. valueSrc undoes each step so that an expression
// error points at the exact character an operator wrote.

// loc is where a value's decoded text starts in the (lexed) source.
type loc struct {
	pos  Pos
	li   *lineIndex // nil when the node was not built by Read
	off  int        // byte offset in li.src
	text bool       // element text (markup and leading space are skipped)
}

// at returns the position of byte d of dec, the decoded text that starts at l.
func (l loc) at(dec string, d int) Pos {
	if d <= 0 || d > len(dec) {
		if d <= 0 || l.li == nil {
			return l.pos
		}
		d = len(dec)
	}
	if l.li == nil {
		return advance(l.pos, dec[:d])
	}
	src := l.li.src
	i, j := l.off, 0
	leading, cdata := l.text, false
	for j < d && i < len(src) {
		rest := src[i:]
		if l.text {
			switch {
			case cdata && hasPrefix(rest, "]]>"):
				i, cdata = i+3, false
				continue
			case cdata:
			case hasPrefix(rest, "<![CDATA["):
				i, cdata = i+9, true
				continue
			case hasPrefix(rest, "<!--"):
				i = skipPast(src, i, "-->")
				continue
			case hasPrefix(rest, "<?"):
				i = skipPast(src, i, "?>")
				continue
			case rest[0] == '<':
				i = skipPast(src, i, ">")
				continue
			}
			if leading {
				if c := rest[0]; c == ' ' || c == '\t' || c == '\r' || c == '\n' {
					i++
					continue
				}
				leading = false
			}
		}
		if !cdata && rest[0] == '&' && isEntityRef(rest) {
			i += strings.IndexByte(string(rest[:min(len(rest), 12)]), ';') + 1
			_, m := utf8.DecodeRuneInString(dec[j:])
			j += m
			continue
		}
		if rest[0] == '\r' && len(rest) > 1 && rest[1] == '\n' {
			i += 2
			j++
			continue
		}
		r, n := utf8.DecodeRune(rest)
		i += n
		if r >= rawQuote && r <= rawAmp {
			j++ // one placeholder rune stands for one ASCII byte
			continue
		}
		_, m := utf8.DecodeRuneInString(dec[j:])
		j += m
	}
	return l.li.pos(i)
}

func hasPrefix(b []byte, s string) bool { return len(b) >= len(s) && string(b[:len(s)]) == s }

func skipPast(src []byte, i int, end string) int {
	k := strings.Index(string(src[i:]), end)
	if k < 0 {
		return len(src)
	}
	return i + k + len(end)
}

// advance moves pos over s (used when no source is known).
func advance(pos Pos, s string) Pos {
	for _, r := range s {
		if r == '\n' {
			pos.Line++
			pos.Col = 1
		} else {
			pos.Col++
		}
	}
	return pos
}

// span is one {{name}} substitution: out[outStart:outEnd] replaced in[inStart:inEnd].
type span struct {
	outStart, outEnd, inStart, inEnd int
	secret                           bool
}

// valueSrc is one value (attribute or text) as the compiler reads it.
type valueSrc struct {
	raw   string // decoded, {{names}} intact (safe for messages: no secrets)
	loc   loc
	spans []span
	subst string // raw with {{names}} substituted (may hold secrets: never print)
	lead  int    // bytes trimmed from the front of the substituted value
}

// pos maps byte o of the trimmed, substituted value to the file.
func (vs *valueSrc) pos(o int) Pos {
	o += vs.lead
	in := o
	for _, s := range vs.spans {
		if o < s.outStart {
			break
		}
		if o < s.outEnd {
			in = s.inStart // inside a substituted value: point at its {{
			break
		}
		in = o - s.outEnd + s.inEnd
	}
	return vs.loc.at(vs.raw, in)
}

// substitute replaces every {{name}} in s, recording where each stood.
// Only a {{...}} whose inside (spaces trimmed) is a name as APIM spells
// one — letters, digits, '.', '-', '_' — is a reference: C# code holds
// other double braces (new JObject {{"k", v}}, $"{{\"q\": {x}}}"), which
// stay as written. A {{ that starts a name but is never closed is an
// error; any other {{ is text. On error, at is the byte offset of the
// offending {{.
func (nv *NamedValues) substitute(s string) (out string, spans []span, secret bool, at int, err error) {
	var b strings.Builder
	in := 0   // s[:in] is written to b
	from := 0 // where to look for the next {{
	for {
		i := strings.Index(s[from:], "{{")
		if i < 0 {
			b.WriteString(s[in:])
			return b.String(), spans, secret, 0, nil
		}
		i += from
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			if unclosedName(s[i+2:]) {
				return "", nil, secret, i, errors.New("unclosed {{ (named values are written {{name}})")
			}
			from = i + 1
			continue
		}
		name := strings.TrimSpace(s[i+2 : i+j])
		if !validName(name) {
			if unclosedName(s[i+2 : i+j]) { // {{name} ... }}
				return "", nil, secret, i, errors.New("unclosed {{ (named values are written {{name}})")
			}
			from = i + 1 // not a reference: {{{name}}} still holds one
			continue
		}
		v, ok, err := nv.lookup(name)
		if err != nil {
			return "", nil, secret, i, err
		}
		if !ok {
			return "", nil, secret, i, &UnknownValueError{Name: name, msg: fmt.Sprintf("unknown named value {{%s}} (define it in %s)%s", name, nv.whereText(), nv.suggest(name))}
		}
		secret = secret || v.Secret
		b.WriteString(s[in:i])
		sp := span{outStart: b.Len(), inStart: i, inEnd: i + j + 2, secret: v.Secret}
		b.WriteString(v.Value)
		sp.outEnd = b.Len()
		spans = append(spans, sp)
		in = i + j + 2
		from = in
	}
}

// unclosedName reports whether the text after a {{ is a name left
// unclosed: the name, then the end of the value or a single '}'
// ("{{backend-url" or "{{backend-url}").
func unclosedName(rest string) bool {
	k := 0
	for k < len(rest) && rest[k] == ' ' {
		k++
	}
	n := k
	for n < len(rest) && nameByte(rest[n]) {
		n++
	}
	if n == k {
		return false
	}
	for n < len(rest) && rest[n] == ' ' {
		n++
	}
	return n == len(rest) || rest[n] == '}'
}

func nameByte(c byte) bool {
	return c == '-' || c == '_' || c == '.' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func (nv *NamedValues) suggest(name string) string {
	if nv == nil {
		return ""
	}
	best := nearest(name, maps.Keys(nv.values))
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean {{%s}}?)", best)
}

// secret reports whether a secret named value was substituted into the value.
func (vs *valueSrc) secret() bool {
	for _, s := range vs.spans {
		if s.secret {
			return true
		}
	}
	return false
}

// redact replaces secret named values in msg by their {{name}}: an
// expression built from a secret must never print it in a load error.
func (vs *valueSrc) redact(sub, msg string) string {
	if len(vs.spans) == 0 {
		return msg
	}
	for _, s := range vs.spans {
		if s.secret && s.outEnd > s.outStart {
			msg = strings.ReplaceAll(msg, sub[s.outStart:s.outEnd], vs.raw[s.inStart:s.inEnd])
		}
	}
	return msg
}

// redact replaces every secret value in msg by its {{name}}. The compiler
// passes every load error through it, so no policy can print a secret by
// quoting a value it was given.
func (nv *NamedValues) redact(msg string) string {
	if nv == nil {
		return msg
	}
	for _, v := range nv.values {
		if v.Secret && len(v.Value) >= 3 && strings.Contains(msg, v.Value) {
			msg = strings.ReplaceAll(msg, v.Value, "{{"+v.Name+"}}")
		}
	}
	return msg
}

// exprErrPos maps an expr compile error to the file. src is the expression
// body handed to expr; it starts at byte start of the substituted value.
func exprErrPos(vs *valueSrc, start int, src string, err error) Pos {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return vs.loc.pos
	}
	// Location.From counts runes in src.
	off, n := 0, 0
	for off < len(src) && n < fe.From {
		_, w := utf8.DecodeRuneInString(src[off:])
		off += w
		n++
	}
	return vs.pos(start + off)
}

var (
	tokenRe    = regexp.MustCompile(`unexpected token (?:Operator|Bracket|Identifier|Number|String|Keyword)\((".*")\)`)
	noMemberRe = regexp.MustCompile(`^type \*?engine\.(\w+) has no (field|method) (\w+)$`)
	noFieldRe  = regexp.MustCompile(`^type (\S+) has no field (\w+)$`)
	unknownRe  = regexp.MustCompile(`^unknown name (\w+)$`)
	fastName   = regexp.MustCompile(`\$\w+\.`)
)

// exprMessage turns expr's compile error into a message for an operator.
func exprMessage(src string, err error) string {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return err.Error()
	}
	msg := fastName.ReplaceAllString(fe.Message, "") // $Headers.GetValueOrDefault -> GetValueOrDefault
	switch {
	case msg == "unexpected token EOF":
		return "unexpected end of expression (a bracket or operand is missing)"
	case tokenRe.MatchString(msg):
		return tokenRe.ReplaceAllString(msg, "unexpected $1")
	case noMemberRe.MatchString(msg):
		m := noMemberRe.FindStringSubmatch(msg)
		return memberMessage(m[1], m[2], m[3])
	case noFieldRe.MatchString(msg):
		return noFieldRe.ReplaceAllString(msg, "$1 has no member $2")
	case unknownRe.MatchString(msg):
		name := unknownRe.FindStringSubmatch(msg)[1]
		if hint := nameHint(name); hint != "" {
			return fmt.Sprintf("unknown name %s%s", name, hint)
		}
		return fmt.Sprintf("unknown name %s (names start from context, e.g. context.Request.Method)", name)
	case strings.HasSuffix(msg, " is not callable"):
		// Headers, Query and Variables are maps: x.Foo(...) indexes them.
		name := identAt(src, fe.From)
		if name != "" {
			return fmt.Sprintf("%s is not a method here%s", name, methodHint(name))
		}
	}
	return strings.ReplaceAll(msg, "engine.", "")
}

// envTypes are the named types an expression can reach, for hints.
var envTypes = func() map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for _, v := range []any{Context{}, Request{}, Url{}, Headers{}, Query{}, Variables{}, Response{}, Body{}, Api{}, SubscriptionKeyParameterNames{}, Deployment{}, Workspace{}, LastError{}, Jwt{}, BasicAuth{}, Operation{}, Product{}, Subscription{}, User{}, Group{}, UserIdentity{}} {
		t := reflect.TypeOf(v)
		m[t.Name()] = t
	}
	return m
}()

// members lists the fields and methods of an env type.
func members(t reflect.Type) []string {
	var out []string
	if t.Kind() == reflect.Struct {
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.IsExported() && f.Tag.Get("expr") != "-" {
				out = append(out, f.Name)
			}
		}
	}
	pt := reflect.PointerTo(t)
	for i := 0; i < pt.NumMethod(); i++ {
		out = append(out, pt.Method(i).Name)
	}
	sort.Strings(out)
	return out
}

func memberMessage(typ, kind, name string) string {
	what := "member"
	if kind == "method" {
		what = "method"
	}
	msg := fmt.Sprintf("%s has no %s %s", typ, what, name)
	t, ok := envTypes[typ]
	if !ok {
		return msg
	}
	known := members(t)
	if best := closest(name, known); best != "" {
		return msg + fmt.Sprintf(" (did you mean %s?)", best)
	}
	return msg + " (it has: " + strings.Join(known, ", ") + ")"
}

func methodHint(name string) string {
	var all []string
	for _, t := range envTypes {
		pt := reflect.PointerTo(t)
		for i := 0; i < pt.NumMethod(); i++ {
			all = append(all, pt.Method(i).Name)
		}
	}
	if best := closest(name, all); best != "" {
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	return ""
}

func nameHint(name string) string {
	cands := append([]string{"context"}, helperNames...)
	if best := closest(name, cands); best != "" {
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	return ""
}

// closest returns the candidate nearest to name (case-insensitively), if near enough.
func closest(name string, cands []string) string {
	best, bestD := "", 3
	if len(name) <= 3 {
		bestD = 2
	}
	ln := strings.ToLower(name)
	for _, c := range cands {
		d := editdist.Distance(ln, strings.ToLower(c))
		if strings.HasPrefix(strings.ToLower(c), ln) && len(ln) >= 4 {
			d = min(d, 1)
		}
		if d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	return best
}

// identAt returns the identifier starting at rune index from of src.
func identAt(src string, from int) string {
	rs := []rune(src)
	if from < 0 || from >= len(rs) {
		return ""
	}
	end := from
	for end < len(rs) && end-from < 64 && (rs[end] == '_' || (rs[end] >= 'a' && rs[end] <= 'z') || (rs[end] >= 'A' && rs[end] <= 'Z') || (rs[end] >= '0' && rs[end] <= '9')) {
		end++
	}
	return string(rs[from:end])
}

// typeName names a type as an operator knows it (Headers, not engine.Headers).
func typeName(t reflect.Type) string { return strings.ReplaceAll(t.String(), "engine.", "") }
