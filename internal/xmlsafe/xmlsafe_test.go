package xmlsafe

import "testing"

func TestDecoder(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{`<a>&nbsp;</a>`, `invalid character entity &nbsp;`},
		{`<a><b></a>`, `element <b> closed by </a>`},
		{`<?xml version="1.0" encoding="ISO-8859-1"?><a/>`, `xml: encoding "ISO-8859-1" declared but Decoder.CharsetReader is nil`},
	} {
		d := NewDecoder([]byte(tc.doc))
		var err error
		for err == nil {
			_, err = d.Token()
		}
		if got := Message(err); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.doc, got, tc.want)
		}
	}
}
