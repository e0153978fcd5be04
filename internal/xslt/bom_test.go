package xslt

import (
	"context"
	"testing"
)

func TestByteOrderMark(t *testing.T) {
	ss, err := Compile(append([]byte("\xef\xbb\xbf"), sheet(`<xsl:template match="/"><r><xsl:value-of select="*"/></r></xsl:template>`)...))
	if err != nil {
		t.Fatalf("stylesheet with a BOM: %v", err)
	}
	out, err := ss.Transform(context.Background(), []byte("\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?><d>x</d>"), Options{})
	if err != nil || string(out) != "<r>x</r>" {
		t.Fatalf("input with a BOM: %q %v", out, err)
	}
}
