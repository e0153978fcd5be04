package csharp

import "strings"

// String is the type as written, for messages: List<string>, string[],
// Dictionary<string, int[]>, int?. Every message that names a written type
// prints it with String, never with Name alone (which drops the type
// arguments and the [] and ? suffixes).
func (tr *TypeRef) String() string {
	if tr == nil {
		return "?"
	}
	var b strings.Builder
	tr.write(&b)
	return b.String()
}

func (tr *TypeRef) write(b *strings.Builder) {
	b.WriteString(tr.Name)
	if len(tr.Args) > 0 {
		b.WriteByte('<')
		for i, a := range tr.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			a.write(b)
		}
		b.WriteByte('>')
	}
	if tr.Null { // of the element: int?[] (lookupTypeRef's reading)
		b.WriteByte('?')
	}
	for range tr.Array {
		b.WriteString("[]")
	}
}
