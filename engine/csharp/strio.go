package csharp

import (
	"strings"
	"unicode/utf16"

	"github.com/beevik/etree"
)

// System.IO.StringWriter and StringReader, which APIM's policy
// expressions allow, and XDocument.Save(writer) / XElement.Save(writer)
// into a StringWriter. A writer's NewLine is "\r\n", .NET's on Windows
// (tollgate's choice); a StringWriter's Encoding is UTF-16, so
// what Save writes declares encoding="utf-16", as .NET's does.

var (
	tStrWriter = &Type{K: KStrWriter, Name: "StringWriter"}
	tStrReader = &Type{K: KStrReader, Name: "StringReader"}
)

// strWriter is a StringWriter: the text written so far.
type strWriter struct {
	b       strings.Builder
	newLine string
	closed  bool
}

func (w *strWriter) String() string { return w.b.String() }

var errWriterClosed = exc("ObjectDisposedException", "Cannot write to a closed TextWriter.")
var errReaderClosed = exc("ObjectDisposedException", "Cannot read from a closed TextReader.")

func (w *strWriter) write(s string) error {
	if w.closed {
		return errWriterClosed
	}
	if w.b.Len()+len(s) > MaxString {
		return errString
	}
	w.b.WriteString(s)
	return nil
}

// strReader is a StringReader: its text in UTF-16 units, as .NET's Read
// and Peek count them, and the position.
type strReader struct {
	s      []uint16
	pos    int
	closed bool
}

func (r *strReader) String() string { return "System.IO.StringReader" }

func writerRecv(v any) (*strWriter, error) {
	w, ok := v.(*strWriter)
	if !ok || w == nil {
		return nil, errNull
	}
	return w, nil
}

func readerRecv(v any) (*strReader, error) {
	r, ok := v.(*strReader)
	if !ok || r == nil {
		return nil, errNull
	}
	if r.closed {
		return nil, errReaderClosed
	}
	return r, nil
}

// writeText is what Write(x) writes: a char[]'s characters, a value's
// ToString(), nothing for null.
func writeText(v any) string {
	if xs, ok := v.([]any); ok {
		var b strings.Builder
		for _, c := range xs {
			b.WriteString(catStr(c))
		}
		return b.String()
	}
	return catStr(v)
}

// xmlSave is XDocument.Save(writer[, options]) and XElement.Save: the XML
// declaration .NET's XmlWriter writes for a StringWriter (UTF-16; a
// document's standalone kept), then the document, indented unless
// SaveOptions.DisableFormatting, its line breaks the writer's NewLine.
func xmlSave(node, writer, opts any) (any, error) {
	w, err := writerRecv(writer)
	if err != nil {
		return nil, argNull("textWriter")
	}
	if node == nil || isNilPtr(node) {
		return nil, errNull
	}
	o, _ := opts.(int)
	indent := o&1 == 0
	decl := `<?xml version="1.0" encoding="utf-16"`
	var body string
	switch x := node.(type) {
	case *XDoc:
		for _, t := range x.doc().Child {
			if pi, ok := t.(*etree.ProcInst); ok && pi.Target == "xml" {
				if s, ok := parseDecl(pi.Inst).standalone.(string); ok {
					decl += ` standalone="` + s + `"`
				}
			}
		}
		body = docText(x.doc(), indent)
	case *XElem:
		body = xmlText(x.e, indent)
	}
	decl += "?>"
	if indent {
		body = strings.NewReplacer("\r\n", w.newLine, "\r", w.newLine, "\n", w.newLine).Replace(body)
		decl += w.newLine
	}
	return nil, w.write(decl + body)
}

func registerStringIO() {
	kindNames[KStrWriter], kindNames[KStrReader] = "StringWriter", "StringReader"
	S, I, O, V := tString, tInt, tObject, tVoid

	// ---- StringWriter
	static("StringWriter", "new", ts(), tStrWriter, func([]any) (any, error) { return &strWriter{newLine: "\r\n"}, nil }, nil)
	static("StringWriter", "new", ts(O), tStrWriter, func([]any) (any, error) { return &strWriter{newLine: "\r\n"}, nil }, nil) // (IFormatProvider): invariant here
	for _, line := range []bool{false, true} {
		line := line
		name := "Write"
		if line {
			name = "WriteLine"
			method(KStrWriter, name, ts(), V, func(a []any) (any, error) {
				w, err := writerRecv(a[0])
				if err != nil {
					return nil, err
				}
				return nil, w.write(w.newLine)
			}, nil)
		}
		run := func(w *strWriter, s string) error {
			if line {
				s += w.newLine
			}
			return w.write(s)
		}
		method(KStrWriter, name, ts(arrayOf(tChar)), V, func(a []any) (any, error) {
			w, err := writerRecv(a[0])
			if err != nil {
				return nil, err
			}
			return nil, run(w, writeText(a[1]))
		}, nil)
		method(KStrWriter, name, ts(O), V, func(a []any) (any, error) {
			w, err := writerRecv(a[0])
			if err != nil {
				return nil, err
			}
			return nil, run(w, writeText(a[1]))
		}, nil)
		method(KStrWriter, name, ts(S, tObjects), V, func(a []any) (any, error) {
			w, err := writerRecv(a[0])
			if err != nil {
				return nil, err
			}
			f, ok := a[1].(string)
			if !ok {
				return nil, argNull("format")
			}
			args, _ := a[2].([]any)
			s, err := formatNET(f, args)
			if err != nil {
				return nil, err
			}
			return nil, run(w, s)
		}, nil)
		methods[KStrWriter][name][len(methods[KStrWriter][name])-1].vararg = true
	}
	method(KStrWriter, "ToString", ts(), S, func(a []any) (any, error) {
		w, err := writerRecv(a[0])
		if err != nil {
			return nil, err
		}
		return w.b.String(), nil
	}, nil)
	// GetStringBuilder(): the text as a StringBuilder (a copy here)
	method(KStrWriter, "GetStringBuilder", ts(), tBuilder, func(a []any) (any, error) {
		w, err := writerRecv(a[0])
		if err != nil {
			return nil, err
		}
		return w.b.String(), nil
	}, nil)
	prop(KStrWriter, "NewLine", S, func(a []any) (any, error) {
		w, err := writerRecv(a[0])
		if err != nil {
			return nil, err
		}
		return w.newLine, nil
	}, nil)
	objSetter(KStrWriter, "NewLine", S, func(recv, v any) error {
		w, err := writerRecv(recv)
		if err != nil {
			return err
		}
		s, _ := v.(string)
		w.newLine = s // null: .NET's CoreNewLine becomes "\r\n"
		if v == nil {
			w.newLine = "\r\n"
		}
		return nil
	})
	prop(KStrWriter, "Encoding", tEncoding, func(a []any) (any, error) {
		if _, err := writerRecv(a[0]); err != nil {
			return nil, err
		}
		return "Unicode", nil
	}, nil)
	for _, name := range []string{"Flush", "Close", "Dispose"} {
		closes := name != "Flush"
		method(KStrWriter, name, ts(), V, func(a []any) (any, error) {
			w, err := writerRecv(a[0])
			if err != nil {
				return nil, err
			}
			if closes {
				w.closed = true
			}
			return nil, nil
		}, nil)
	}

	// ---- StringReader
	static("StringReader", "new", ts(S), tStrReader, func(a []any) (any, error) {
		s, ok := a[0].(string)
		if !ok {
			return nil, argNull("s")
		}
		return &strReader{s: utf16.Encode([]rune(s))}, nil
	}, nil)
	method(KStrReader, "ReadLine", ts(), S, func(a []any) (any, error) {
		r, err := readerRecv(a[0])
		if err != nil {
			return nil, err
		}
		if r.pos >= len(r.s) {
			return nil, nil
		}
		start := r.pos
		for r.pos < len(r.s) {
			c := r.s[r.pos]
			if c == '\r' || c == '\n' {
				line := string(utf16.Decode(r.s[start:r.pos]))
				r.pos++
				if c == '\r' && r.pos < len(r.s) && r.s[r.pos] == '\n' {
					r.pos++
				}
				return line, nil
			}
			r.pos++
		}
		return string(utf16.Decode(r.s[start:])), nil
	}, nil)
	method(KStrReader, "ReadToEnd", ts(), S, func(a []any) (any, error) {
		r, err := readerRecv(a[0])
		if err != nil {
			return nil, err
		}
		s := string(utf16.Decode(r.s[r.pos:]))
		r.pos = len(r.s)
		return s, nil
	}, nil)
	for _, name := range []string{"Read", "Peek"} {
		advance := name == "Read"
		method(KStrReader, name, ts(), I, func(a []any) (any, error) {
			r, err := readerRecv(a[0])
			if err != nil {
				return nil, err
			}
			if r.pos >= len(r.s) {
				return -1, nil
			}
			c := int(r.s[r.pos])
			if advance {
				r.pos++
			}
			return c, nil
		}, nil)
	}
	for _, name := range []string{"Close", "Dispose"} {
		method(KStrReader, name, ts(), V, func(a []any) (any, error) {
			r, ok := a[0].(*strReader)
			if !ok || r == nil {
				return nil, errNull
			}
			r.closed = true
			return nil, nil
		}, nil)
	}
	for _, k := range []Kind{KStrReader} {
		method(k, "ToString", ts(), S, func(a []any) (any, error) { return callToString(a[0]) }, nil)
	}

	// ---- XDocument.Save(writer) and XElement.Save(writer)
	for _, k := range []Kind{KXDoc, KXElem} {
		method(k, "Save", ts(tStrWriter), V, func(a []any) (any, error) { return xmlSave(a[0], a[1], 0) }, nil)
		method(k, "Save", ts(tStrWriter, xmlTypes["SaveOptions"]), V, func(a []any) (any, error) { return xmlSave(a[0], a[1], a[2]) }, nil)
	}
}

// objSetter registers a property's setter (x.Name = v) on an object kind.
func objSetter(k Kind, name string, vt *Type, set func(recv, v any) error) {
	if setters[k] == nil {
		setters[k] = map[string]*builtin{}
	}
	setters[k][name] = reg(&builtin{key: kindNames[k] + "." + name + "=", params: ts(vt), result: tVoid, run: func(a []any) (any, error) {
		return nil, set(a[0], a[1])
	}})
}
