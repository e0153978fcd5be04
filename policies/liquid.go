package policies

import (
	"encoding/json"
	"fmt"
	"html"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/osteele/liquid"
	"github.com/osteele/liquid/render"

	"tollgate/engine"
	"tollgate/engine/csharp"
)

// set-body template="liquid": Liquid (github.com/osteele/liquid) in APIM's
// "C# mode": filters are written in PascalCase (AtLeast, UrlEncode) and
// Date takes a .NET format string. The template binds `body` (the JSON or
// XML body of the message being changed, or its text) and `context`
// (Request, Response, Variables, Api, RequestId).

// apimLiquidFilters maps APIM's PascalCase filter names to Liquid's. Date,
// AtLeast, AtMost, Currency and H are registered under their APIM names.
var apimLiquidFilters = map[string]string{
	"Abs": "abs", "Append": "append", "Capitalize": "capitalize", "Compact": "compact",
	"Default": "default", "DividedBy": "divided_by", "Downcase": "downcase", "Escape": "escape",
	"First": "first", "Join": "join", "Last": "last", "Lstrip": "lstrip", "Map": "map",
	"Minus": "minus", "Modulo": "modulo", "NewlineToBr": "newline_to_br", "Plus": "plus",
	"Prepend": "prepend", "Remove": "remove", "RemoveFirst": "remove_first", "Replace": "replace",
	"ReplaceFirst": "replace_first", "Round": "round", "Rstrip": "rstrip", "Size": "size",
	"Slice": "slice", "Sort": "sort", "Split": "split", "Strip": "strip", "StripHtml": "strip_html",
	"StripNewlines": "strip_newlines", "Times": "times", "Truncate": "truncate",
	"TruncateWords": "truncatewords", "Uniq": "uniq", "Upcase": "upcase", "UrlDecode": "url_decode",
	"UrlEncode": "url_encode",
}

var (
	liquidMarkup = regexp.MustCompile(`(?s)\{\{.*?\}\}|\{%.*?%\}`)
	liquidFilter = regexp.MustCompile(`\|\s*([A-Za-z]+)`)
)

// pascalFilters rewrites `| AtLeast` to Liquid's `| at_least` inside
// {{ }} and {% %} only; text outside markup is left alone.
func pascalFilters(src string) string {
	return liquidMarkup.ReplaceAllStringFunc(src, func(m string) string {
		return liquidFilter.ReplaceAllStringFunc(m, func(f string) string {
			name := strings.TrimLeft(f[1:], " \t\r\n")
			if std, ok := apimLiquidFilters[name]; ok {
				return f[:len(f)-len(name)] + std
			}
			return f
		})
	})
}

// liquidEngine is built once: its filter table is read-only afterwards.
var liquidEngine = sync.OnceValue(func() *liquid.Engine {
	e := liquid.NewEngine()
	e.RegisterFilter("Date", liquidDate)
	e.RegisterFilter("AtLeast", math.Max)
	e.RegisterFilter("AtMost", math.Min)
	e.RegisterFilter("H", html.EscapeString)
	e.RegisterFilter("Currency", func(v float64) string { return "$" + strconv.FormatFloat(v, 'f', 2, 64) })
	e.RegisterBlock("JSONArrayFor", liquidJSONArrayFor)
	return e
})

// liquidTemplate is a parsed template.
type liquidTemplate struct {
	t      *liquid.Template
	xsiNil string // "blank" or "null"
}

// parseLiquid parses src (the element's content, surrounding whitespace
// dropped); a syntax error is reported where its markup stands in the file.
func parseLiquid(p *engine.Parser, raw, xsiNil string) *liquidTemplate {
	src := strings.TrimSpace(raw)
	lead := strings.Index(raw, src)
	rewritten := pascalFilters(src)
	t, err := liquidEngine().ParseString(rewritten)
	if err != nil {
		msg := err.Error()
		if c := err.Cause(); c != nil {
			msg = c.Error()
		}
		p.ErrorAt(p.Node().InnerPos(lead+markupOffset(src, rewritten, err.Error())), "invalid Liquid template: %s", msg)
		return nil
	}
	return &liquidTemplate{t: t, xsiNil: xsiNil}
}

// markupOffset finds where, in src, the markup a Liquid error quotes
// ("… in {{ a | }}") stands; 0 when it cannot tell. The library's own line
// numbers are not reliable.
func markupOffset(src, rewritten, msg string) int {
	i := strings.LastIndex(msg, " in {")
	if i < 0 {
		return 0
	}
	at := strings.Index(rewritten, msg[i+4:])
	if at < 0 {
		return 0
	}
	orig := liquidMarkup.FindAllStringIndex(src, -1)
	for k, m := range liquidMarkup.FindAllStringIndex(rewritten, -1) {
		if m[0] == at && k < len(orig) {
			return orig[k][0]
		}
	}
	return 0
}

// render runs the template over the message's body and the context.
func (lt *liquidTemplate) render(s *engine.State, response bool) ([]byte, error) {
	m := messageOf(s, response)
	var body any
	if m.body != nil {
		data, err := m.read(response)
		if err != nil {
			return nil, err
		}
		body = liquidBody(data, m.contentType(), lt.xsiNil)
	}
	out, serr := lt.t.Render(liquid.Bindings{"body": body, "context": liquidContext(s)})
	if serr != nil {
		return nil, engine.NewPolicyError(engine.ReasonExpression, 500, "Liquid template failed: "+serr.Error(), serr)
	}
	return out, nil
}

// liquidBody binds a JSON body as objects, an XML body as its direct
// conversion (names as written, soap:Body), anything else as text.
func liquidBody(data []byte, ct, xsiNil string) any {
	switch {
	case isJSONType(ct):
		var v any
		if json.Unmarshal(data, &v) == nil {
			return liquidJSON(v)
		}
	case isXMLType(ct):
		if j, err := xmlToJSON(data, xmlToJSONOptions{JavaScriptFriendly: true, RawNames: true, XsiNil: xsiNil}); err == nil {
			var v any
			if json.Unmarshal(j, &v) == nil {
				return liquidJSON(v)
			}
		}
	}
	return string(data)
}

// liquidObject is a JSON object as a template reads it: by name, as any
// map, and written out by {{ }} as its JSON text. osteele/liquid writes a
// map as Go prints it (map[k:v]); APIM's reference does not say what
// {{ body }} of a JSON object gives, so the JSON is tollgate's choice.
type liquidObject map[string]any

// String is the object's JSON, compact, names in order (Go's map order:
// sorted), <, > and & as they are.
func (o liquidObject) String() string { return liquidJSONText(map[string]any(o)) }

func liquidJSONText(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// liquidJSON makes the objects in a JSON value (a parsed body, a JObject or
// JArray a C# expression made, which read as their ToLiquid) liquidObjects,
// however deep, so that {{ }} writes each as JSON. Arrays stay arrays:
// {{ list }} writes the items one after the other, as Liquid does.
func liquidJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		o := make(liquidObject, len(x))
		for k, e := range x {
			o[k] = liquidJSON(e)
		}
		return o
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = liquidJSON(e)
		}
		return out
	case interface{ ToLiquid() any }:
		return liquidJSON(x.ToLiquid())
	}
	return v
}

func liquidURL(u *engine.Url) map[string]any {
	if u == nil {
		return nil
	}
	uq := u.LoadedQuery()
	q := make(liquidDict, len(uq))
	for k, v := range uq {
		q[k] = strings.Join(v, ",")
	}
	str := u.String()
	return map[string]any{
		"Scheme": u.Scheme, "Host": u.Host, "Port": u.Port, "Path": u.Path,
		"Query": q, "QueryString": u.QueryString, "ToString": str, "ToUri": str,
	}
}

func liquidHeaders(h engine.Headers) liquidDict {
	out := make(liquidDict, len(h))
	for k, v := range h {
		out[k] = strings.Join(v, ",")
	}
	return out
}

func liquidParams(m map[string]string) liquidDict {
	out := make(liquidDict, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// liquidDict is a name -> value map (headers, a query) that a {% for %}
// walks as entries with Key and Value, in name order, as the policy
// snippets' header listing reads it; indexing it by name works as on any
// map.
type liquidDict map[string]any

// String is the names and values as a JSON object (see liquidObject).
func (d liquidDict) String() string { return liquidJSONText(map[string]any(d)) }

// Len and Index make a liquidDict osteele/liquid's iterable.
func (d liquidDict) Len() int { return len(d) }

// Index is the i-th entry in name order, with Key and Value.
func (d liquidDict) Index(i int) any {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if i < 0 || i >= len(keys) {
		return nil
	}
	return map[string]any{"Key": keys[i], "Value": d[keys[i]]}
}

// liquidContext is APIM's Liquid `context` (see the set-body reference).
func liquidContext(s *engine.State) map[string]any {
	c := s.Context()
	req := c.Request
	r := map[string]any{
		"Method": req.Method, "OriginalMethod": req.Method, "Url": liquidURL(req.Url),
		"OriginalUrl": liquidURL(req.OriginalUrl), "IpAddress": req.IpAddress,
		"Headers": liquidHeaders(req.Headers), "MatchedParameters": liquidParams(req.MatchedParameters),
		"HasBody": req.Body != nil,
	}
	vars := make(liquidObject, len(c.Variables))
	for k, v := range c.Variables {
		vars[k] = liquidJSON(v)
	}
	out := map[string]any{"Request": r, "Variables": vars, "RequestId": c.RequestId}
	if c.Response != nil {
		out["Response"] = map[string]any{"StatusCode": c.Response.StatusCode, "StatusReason": c.Response.StatusReason,
			"Headers": liquidHeaders(c.Response.Headers)}
	}
	if c.Api != nil {
		out["Api"] = map[string]any{"Name": c.Api.Name, "Path": c.Api.Path, "ServiceUrl": c.Api.ServiceUrl}
	}
	return out
}

// liquidDate is APIM's Date filter: a date (a C# DateTime or
// DateTimeOffset, or text in ISO 8601 or RFC 1123) formatted with a .NET
// custom format string.
func liquidDate(v any, format string) (string, error) {
	if s, ok, err := csharp.FormatDate(v, format); ok {
		return s, err
	}
	var t time.Time
	switch x := v.(type) {
	case string:
		var err error
		for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02", time.RFC1123, time.RFC1123Z} {
			if t, err = time.Parse(l, x); err == nil {
				break
			}
		}
		if err != nil {
			return "", fmt.Errorf("Date: %q is not a date", x)
		}
	default:
		return "", fmt.Errorf("Date: %v is not a date", v)
	}
	return csharp.FormatDateTimeErr(t, format) // a format .NET refuses is its FormatException
}

// liquidJSONArrayFor is APIM's {% JSONArrayFor elem in collection %} …
// {% endJSONArrayFor %}: the block rendered for each element, the
// renderings joined with commas, so the result sits in a JSON array as it
// is (http-data-source's documented liquid example).
func liquidJSONArrayFor(c render.Context) (string, error) {
	name, coll, ok := strings.Cut(strings.TrimSpace(c.TagArgs()), " in ")
	name, coll = strings.TrimSpace(name), strings.TrimSpace(coll)
	if !ok || name == "" || coll == "" || strings.ContainsAny(name, " \t") {
		return "", c.Errorf("JSONArrayFor wants {%% JSONArrayFor NAME in COLLECTION %%}, not %q", c.TagArgs())
	}
	v, err := c.EvaluateString(coll)
	if err != nil {
		return "", err
	}
	rv := reflect.ValueOf(v)
	if v == nil || rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return "", nil
	}
	parts := make([]string, 0, rv.Len())
	for i := 0; i < rv.Len(); i++ {
		c.Set(name, rv.Index(i).Interface())
		out, err := c.InnerString()
		if err != nil {
			return "", err
		}
		parts = append(parts, strings.TrimSpace(out))
	}
	return strings.Join(parts, ","), nil
}
