package xslt

import (
	"context"
	"testing"
)

// transform compiles xsl and runs it over input.
func transform(t testing.TB, xsl, input string, params map[string]string) (string, error) {
	t.Helper()
	ss, err := Compile([]byte(xsl))
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	out, err := ss.Transform(context.Background(), []byte(input), Options{Params: params})
	return string(out), err
}

func mustTransform(t testing.TB, xsl, input string, params map[string]string) string {
	t.Helper()
	out, err := transform(t, xsl, input, params)
	if err != nil {
		t.Fatalf("Transform: %v", err)
	}
	return out
}
