package csharp

import "encoding/json"

// parseJSONFast parses text as ParseJSON does, for JSON that encoding/json
// accepts, without its Decoder: Decoder.Token boxes every token and builds
// (and drops) an error for every value inside an object or array (the
// scanner reports "after top-level value" to end it), which made a small
// call-out answer cost dozens of allocations. Plain strings are slices of
// text. ok is false for anything it does not take (invalid JSON, numbers
// out of range, nesting past maxJSONDepth): ParseJSON then runs the
// Decoder, which gives the error.
func parseJSONFast(text string) (v any, ok bool) {
	p := jsonScan{s: text}
	if v, ok = p.value(0); !ok {
		return nil, false
	}
	p.ws()
	return v, p.i == len(p.s)
}

type jsonScan struct {
	s string
	i int
}

func (p *jsonScan) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// next skips white space and reports the next byte (0 at the end).
func (p *jsonScan) next() byte {
	p.ws()
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *jsonScan) value(depth int) (any, bool) {
	if depth > maxJSONDepth {
		return nil, false
	}
	switch c := p.next(); {
	case c == '{':
		p.i++
		o := NewJObject()
		if p.next() == '}' {
			p.i++
			return o, true
		}
		for {
			if p.next() != '"' {
				return nil, false
			}
			k, ok := p.str()
			if !ok || p.next() != ':' {
				return nil, false
			}
			p.i++
			v, ok := p.value(depth + 1)
			if !ok {
				return nil, false
			}
			setParent(o, v)
			o.Set(k, v)
			switch p.next() {
			case ',':
				p.i++
			case '}':
				p.i++
				return o, true
			default:
				return nil, false
			}
		}
	case c == '[':
		p.i++
		a := &JArray{}
		if p.next() == ']' {
			p.i++
			return a, true
		}
		for {
			v, ok := p.value(depth + 1)
			if !ok {
				return nil, false
			}
			setParent(a, v)
			a.Items = append(a.Items, v)
			switch p.next() {
			case ',':
				p.i++
			case ']':
				p.i++
				return a, true
			default:
				return nil, false
			}
		}
	case c == '"':
		s, ok := p.str()
		return s, ok
	case c == 't':
		return true, p.lit("true")
	case c == 'f':
		return false, p.lit("false")
	case c == 'n':
		return JNull{}, p.lit("null")
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	}
	return nil, false
}

func (p *jsonScan) lit(word string) bool {
	if len(p.s)-p.i < len(word) || p.s[p.i:p.i+len(word)] != word {
		return false
	}
	p.i += len(word)
	return true
}

// str reads the string at p.i (its opening quote). A string of printable
// ASCII without escapes is returned as a slice of the text; any other goes
// through encoding/json (escapes, UTF-8 checks and replacement).
func (p *jsonScan) str() (string, bool) {
	start := p.i
	p.i++
	plain := true
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			if plain {
				return p.s[start+1 : p.i-1], true
			}
			var s string
			if json.Unmarshal([]byte(p.s[start:p.i]), &s) != nil {
				return "", false
			}
			return s, true
		case c == '\\':
			plain = false
			p.i += 2
			continue
		case c < 0x20:
			return "", false
		case c >= 0x80:
			plain = false
		}
		p.i++
	}
	return "", false
}

// number reads a JSON number: an int when it is an integer that fits,
// otherwise a float64, as ParseJSON's Decoder path does.
func (p *jsonScan) number() (any, bool) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.s) && '0' <= p.s[p.i] && p.s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	switch {
	case p.i < len(p.s) && p.s[p.i] == '0':
		p.i++
	case digits() == 0:
		return nil, false
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return nil, false
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	v, err := jsonNumber(p.s[start:p.i]) // an int, a JBigInt or a double
	return v, err == nil
}
