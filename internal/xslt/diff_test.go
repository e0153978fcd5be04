package xslt

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"tollgate/internal/xpath"
)

// TestDiffLibxslt runs every stylesheet of testdata/diff (NAME.xsl over
// NAME.xml, with parameters from NAME.params as name=value lines) through
// this processor and through libxslt's xsltproc and compares the results
// after normalizing serialization: XML output is compared in a canonical
// form (names with namespace URIs, attributes as a sorted set, text,
// whitespace-only text dropped since indentation differs), text output
// byte for byte, HTML output with the meta element libxslt and .NET both
// add removed and whitespace between tags dropped.
func TestDiffLibxslt(t *testing.T) {
	xsltproc, err := exec.LookPath("xsltproc")
	if err != nil {
		t.Fatalf("xsltproc is not installed: run `go tool task deps:system` (it installs the Debian package xsltproc)")
	}
	files, err := filepath.Glob("testdata/diff/*.xsl")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 40 {
		t.Fatalf("only %d cases in testdata/diff", len(files))
	}
	for _, xslFile := range files {
		name := strings.TrimSuffix(filepath.Base(xslFile), ".xsl")
		t.Run(name, func(t *testing.T) {
			why, excluded := diffExcluded[name]
			base := strings.TrimSuffix(xslFile, ".xsl")
			xsl, err := os.ReadFile(xslFile)
			if err != nil {
				t.Fatal(err)
			}
			input, err := os.ReadFile(base + ".xml")
			if err != nil {
				t.Fatal(err)
			}
			params := map[string]string{}
			args := []string{}
			if p, err := os.ReadFile(base + ".params"); err == nil {
				for _, line := range strings.Split(strings.TrimSpace(string(p)), "\n") {
					k, v, _ := strings.Cut(line, "=")
					params[k] = v
					args = append(args, "--stringparam", k, v)
				}
			}
			args = append(args, xslFile, base+".xml")
			cmd := exec.Command(xsltproc, args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			want, err := cmd.Output()
			if err != nil {
				if excluded {
					t.Logf("differs as documented (%s): xsltproc fails: %v", why, err)
					return
				}
				t.Fatalf("xsltproc: %v\n%s", err, stderr.String())
			}
			ss, err := Compile(xsl)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			got, err := ss.Transform(context.Background(), input, Options{Params: params})
			if err != nil {
				if excluded {
					t.Logf("differs as documented (%s): ours fails: %v", why, err)
					return
				}
				t.Fatalf("Transform: %v", err)
			}
			method := ss.out.method
			if method == "" {
				method = detectMethod(want)
			}
			var g, w string
			switch method {
			case "text":
				g, w = string(got), string(want)
			case "html":
				g, w = normHTML(string(got)), normHTML(string(want))
			default:
				g, err = canonicalXML(got)
				if err != nil {
					t.Fatalf("our output does not parse: %v\n%s", err, got)
				}
				w, err = canonicalXML(want)
				if err != nil {
					t.Fatalf("xsltproc's output does not parse: %v\n%s", err, want)
				}
			}
			if excluded {
				if g == w {
					t.Errorf("now agrees with xsltproc: take it out of diffExcluded (%s)", why)
				}
				return
			}
			if g != w {
				t.Errorf("differs from xsltproc\n--- ours (%s):\n%s\n--- xsltproc:\n%s\n--- raw ours:\n%s\n--- raw xsltproc:\n%s", method, g, w, got, want)
			}
		})
	}
}

// diffExcluded are the cases where libxslt and XslCompiledTransform
// genuinely differ and this processor follows .NET; each is covered by a
// unit test of the .NET behaviour, and TestDiffLibxslt checks that the
// two still differ there (so a case that comes to agree is noticed).
var diffExcluded = map[string]string{
	"x1-comment-dashes": "libxslt refuses a comment containing \"--\" or ending in \"-\"; " +
		".NET's writer (and the spec's error recovery) inserts a space: \"- -\"",
	"x2-strip-space-xml-space": "libxslt strips whitespace-only text under an element with xml:space=\"preserve\"; " +
		"the spec (section 3.4) and .NET keep it",
	"x3-system-property-version": "libxslt returns the string \"1.0\" for system-property('xsl:version'); " +
		".NET returns the number 1, which prints as \"1\"",
	"x5-element-in-attribute": "libxslt keeps the text of an element created in xsl:attribute's content; " +
		"XslCompiledTransform raises an error, and so does this processor",
	"x6-number-to-string": "libxslt prints numbers with at most 15 significant digits and in exponent form " +
		"(1e+21, 0.3, 1.23456789012e+11); XPath 1.0 section 4.2 and .NET print 1000000000000000000000, " +
		"0.30000000000000004 and 123456789012",
	"x7-following-from-attribute": "libxml2's following axis from an attribute skips its parent's children; " +
		"XPath 1.0 (they follow the attribute in document order and are not its descendants) and .NET include them",
	"x8-rtf-string-compare": "libxslt compares a result tree fragment whose string-value is \"42\" with the " +
		"string '42' as false; XSLT 1.0 (a fragment compares like a node-set holding its root) and .NET say true",
	"x4-sort-mixed-case": "libxslt sorts text by code point (\"A\" \"B\" \"a\" \"b\"); this processor folds case first " +
		"with lower-first ties, nearer .NET's culture-aware ordering (\"a\" \"A\" \"b\" \"B\")",
}

func detectMethod(out []byte) string {
	s := strings.TrimSpace(string(out))
	if strings.HasPrefix(strings.ToLower(s), "<html") || strings.HasPrefix(strings.ToLower(s), "<!doctype html") {
		return "html"
	}
	return "xml"
}

var (
	metaRE   = regexp.MustCompile(`(?i)<meta http-equiv="Content-Type"[^>]*>`)
	interTag = regexp.MustCompile(`>\s+<`)
)

func normHTML(s string) string {
	s = metaRE.ReplaceAllString(s, "")
	s = interTag.ReplaceAllString(s, "><")
	return strings.TrimSpace(s)
}

var xmlDecl = regexp.MustCompile(`^\s*<\?xml[^?]*\?>`)

// canonicalXML is a canonical form of an XML serialization: elements as
// {uri}local, attributes sorted, whitespace-only text dropped.
func canonicalXML(out []byte) (string, error) {
	body := xmlDecl.ReplaceAll(out, nil)
	doc, err := xpath.Parse(append(append([]byte("<canonical-wrapper>"), body...), "</canonical-wrapper>"...))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	var walk func(n *xpath.Node, depth int)
	walk = func(n *xpath.Node, depth int) {
		ind := strings.Repeat("  ", depth)
		switch n.Kind {
		case xpath.ElementNode:
			fmt.Fprintf(&b, "%s<{%s}%s", ind, n.Space, n.Local)
			var attrs []string
			for _, a := range n.Attrs {
				attrs = append(attrs, fmt.Sprintf("{%s}%s=%q", a.Space, a.Local, a.Data))
			}
			sort.Strings(attrs)
			for _, a := range attrs {
				b.WriteString(" " + a)
			}
			b.WriteString(">\n")
			for _, c := range n.Children {
				walk(c, depth+1)
			}
		case xpath.TextNode:
			if strings.TrimSpace(n.Data) != "" {
				fmt.Fprintf(&b, "%stext %q\n", ind, n.Data)
			}
		case xpath.CommentNode:
			fmt.Fprintf(&b, "%scomment %q\n", ind, n.Data)
		case xpath.ProcInstNode:
			fmt.Fprintf(&b, "%spi %s %q\n", ind, n.Local, n.Data)
		}
	}
	for _, c := range doc.Children[0].Children {
		walk(c, 0)
	}
	return b.String(), nil
}
