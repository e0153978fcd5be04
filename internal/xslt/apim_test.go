package xslt

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestAPIMStylesheets runs the two stylesheets APIM documents for the
// xsl-transform policy (testdata/apim-*.xsl, verbatim) over SOAP-shaped
// and compact input and compares with golden files.
func TestAPIMStylesheets(t *testing.T) {
	for _, tc := range []struct {
		xsl, input, golden string
		params             map[string]string
	}{
		{"apim-user-agent.xsl", "apim-input.xml", "apim-user-agent.out.xml", map[string]string{"User-Agent": "Mozilla/5.0 (\"quoted\" & <angled>)"}},
		{"apim-user-agent.xsl", "apim-input-compact.xml", "apim-user-agent-compact.out.xml", map[string]string{"User-Agent": "curl/8.0"}},
		{"apim-copy.xsl", "apim-input.xml", "apim-copy.out.xml", nil},
		{"apim-copy.xsl", "apim-input-compact.xml", "apim-copy-compact.out.xml", nil},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			xsl, err := os.ReadFile(filepath.Join("testdata", tc.xsl))
			if err != nil {
				t.Fatal(err)
			}
			input, err := os.ReadFile(filepath.Join("testdata", tc.input))
			if err != nil {
				t.Fatal(err)
			}
			ss, err := Compile(xsl)
			if err != nil {
				t.Fatal(err)
			}
			if tc.params != nil && strings.Join(ss.Params(), ",") != "User-Agent" {
				t.Fatalf("Params() = %q", ss.Params())
			}
			got, err := ss.Transform(context.Background(), input, Options{Params: tc.params})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.golden)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}
