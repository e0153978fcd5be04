// Package xmlsafe is the decoder set-up the gateway's own XML readers
// (XML Schema documents, CSDL, WSDL) share, so that they accept and refuse
// the same documents: what each does with the tokens (its depth limit,
// whether a DOCTYPE is refused or passed over) stays with the reader.
package xmlsafe

import (
	"bytes"
	"encoding/xml"
	"errors"
)

// NewDecoder returns a decoder over data that takes well-formed XML only
// (Strict: no HTML leniency, an entity other than the five predefined ones
// is an error, so none is ever expanded) and UTF-8 only: with no
// CharsetReader, a document that declares another encoding is refused.
func NewDecoder(data []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	return d
}

// Message is the text of a decoding error without encoding/xml's
// "XML syntax error on line N: " in front: the readers place their errors
// themselves (line and column, or file:line:col), and the decoder's line
// would only repeat theirs.
func Message(err error) string {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return se.Msg
	}
	return err.Error()
}
