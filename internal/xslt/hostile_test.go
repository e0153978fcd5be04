package xslt

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"tollgate/internal/xpath"
)

func compileT(t testing.TB, src string) *Stylesheet {
	t.Helper()
	ss, err := Compile([]byte(src))
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return ss
}

func TestInfiniteRecursion(t *testing.T) {
	for name, src := range map[string]string{
		"call-template":   sheet(`<xsl:template match="/"><xsl:call-template name="r"/></xsl:template><xsl:template name="r"><x><xsl:call-template name="r"/></x></xsl:template>`),
		"apply-templates": sheet(`<xsl:template match="/"><xsl:apply-templates select="."/></xsl:template>`),
		"variable":        sheet(`<xsl:template match="/"><xsl:call-template name="r"/></xsl:template><xsl:template name="r"><xsl:variable name="v"><xsl:call-template name="r"/></xsl:variable></xsl:template>`),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := compileT(t, src).Transform(context.Background(), []byte(`<d/>`), Options{})
			if err == nil || !strings.Contains(err.Error(), "template recursion deeper than 1000") {
				t.Fatalf("got %v", err)
			}
			_, err = compileT(t, src).Transform(context.Background(), []byte(`<d/>`), Options{MaxDepth: 10})
			if err == nil || !strings.Contains(err.Error(), "template recursion deeper than 10") {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestExponentialOutput(t *testing.T) {
	// each variable holds two copies of the previous one: 2^40 elements
	var b strings.Builder
	b.WriteString(`<xsl:variable name="v0"><a>xxxxxxxxxxxxxxxx</a></xsl:variable>`)
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, `<xsl:variable name="v%d"><xsl:copy-of select="$v%d"/><xsl:copy-of select="$v%d"/></xsl:variable>`, i, i-1, i-1)
	}
	b.WriteString(`<xsl:template match="/"><r><xsl:copy-of select="$v40"/></r></xsl:template>`)
	ss := compileT(t, sheet(b.String()))
	start := time.Now()
	_, err := ss.Transform(context.Background(), []byte(`<d/>`), Options{MaxOutput: 1 << 20})
	if err == nil || !strings.Contains(err.Error(), "output exceeds MaxOutput (1048576 bytes)") {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %v", d)
	}
	// the same through recursion that doubles its output
	rec := sheet(`<xsl:template match="/"><xsl:call-template name="t"><xsl:with-param name="n" select="40"/></xsl:call-template></xsl:template>
<xsl:template name="t"><xsl:param name="n"/><xsl:choose><xsl:when test="$n = 0">xxxxxxxx</xsl:when><xsl:otherwise><xsl:call-template name="t"><xsl:with-param name="n" select="$n - 1"/></xsl:call-template><xsl:call-template name="t"><xsl:with-param name="n" select="$n - 1"/></xsl:call-template></xsl:otherwise></xsl:choose></xsl:template>`)
	_, err = compileT(t, rec).Transform(context.Background(), []byte(`<d/>`), Options{MaxOutput: 1 << 20})
	if err == nil || !strings.Contains(err.Error(), "output exceeds MaxOutput") {
		t.Fatalf("got %v", err)
	}
}

// quadratic does about n² steps over an input of n elements.
const quadratic = `<xsl:template match="/"><r><xsl:for-each select="//i"><xsl:for-each select="//i"><xsl:if test="false()">x</xsl:if></xsl:for-each></xsl:for-each></r></xsl:template>`

func bigInput(n int) []byte {
	return []byte("<d>" + strings.Repeat("<i/>", n) + "</d>")
}

func TestMaxSteps(t *testing.T) {
	_, err := compileT(t, sheet(quadratic)).Transform(context.Background(), bigInput(200), Options{MaxSteps: 10000})
	if err == nil || !strings.Contains(err.Error(), "more than 10000 steps executed") {
		t.Fatalf("got %v", err)
	}
}

func TestCancel(t *testing.T) {
	ss := compileT(t, sheet(quadratic))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ss.Transform(ctx, []byte(`<d/>`), Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled before: %v", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := ss.Transform(ctx, bigInput(20000), Options{MaxSteps: 1 << 62})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("stopped after %v", d)
	}
}

func TestHostileInput(t *testing.T) {
	ss := compileT(t, sheet(`<xsl:template match="@*|node()"><xsl:copy><xsl:apply-templates select="@*|node()"/></xsl:copy></xsl:template>`))
	laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>`
	if _, err := ss.Transform(context.Background(), []byte(laughs), Options{}); !errors.Is(err, xpath.ErrDTD) {
		t.Fatalf("billion laughs: %v", err)
	}
	deep := strings.Repeat("<a>", xpath.MaxDepth+1) + strings.Repeat("</a>", xpath.MaxDepth+1)
	if _, err := ss.Transform(context.Background(), []byte(deep), Options{}); err == nil || !strings.Contains(err.Error(), "nested deeper than") {
		t.Fatalf("deep input: %v", err)
	}
	ok := strings.Repeat("<a>", xpath.MaxDepth) + strings.Repeat("</a>", xpath.MaxDepth)
	got, err := ss.Transform(context.Background(), []byte(ok), Options{})
	if err != nil || !strings.HasPrefix(string(got), "<a><a>") {
		t.Fatalf("deepest allowed input: %v", err)
	}
	if _, err := ss.Transform(context.Background(), []byte(ok), Options{MaxDepth: 100}); err == nil || !strings.Contains(err.Error(), "template recursion deeper than 100") {
		t.Fatalf("MaxDepth 100: %v", err)
	}
}

func TestConcurrentTransforms(t *testing.T) {
	ss := compileT(t, sheet(`<xsl:key name="k" match="i" use="@v"/><xsl:variable name="g" select="count(//i)"/><xsl:template match="/"><r n="{$g}"><xsl:for-each select="//i"><xsl:sort select="@v" data-type="number" order="descending"/><xsl:copy-of select="key('k', @v)"/><xsl:value-of select="generate-id()"/></xsl:for-each></r></xsl:template>`))
	var wg sync.WaitGroup
	results := make([]string, 16)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			out, err := ss.Transform(context.Background(), []byte(`<d><i v="1"/><i v="3"/><i v="2"/></d>`), Options{})
			if err != nil {
				t.Error(err)
			}
			results[i] = string(out)
		}(i)
	}
	wg.Wait()
	for _, r := range results[1:] {
		if r != results[0] {
			t.Fatalf("results differ:\n%s\n%s", r, results[0])
		}
	}
}

// One XPath expression that is quadratic in the input (//a[. = //b] walks
// every b for every a) is held to MaxSteps and to cancellation, as
// instructions are: the nodes it visits count as steps.
func TestExpensiveExpressionBounded(t *testing.T) {
	var in strings.Builder
	in.WriteString("<d>")
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&in, "<a>%d</a><b>x%d</b>", i, i)
	}
	in.WriteString("</d>")
	ss := compileT(t, sheet(`<xsl:template match="/"><xsl:value-of select="count(//a[. = //b])"/></xsl:template>`))

	// 3,000 a × 6,000 nodes below d is ~18 million visits: over a limit of one million.
	start := time.Now()
	_, err := ss.Transform(context.Background(), []byte(in.String()), Options{MaxSteps: 1_000_000})
	if err == nil || !strings.Contains(err.Error(), "more than 1000000 steps executed") {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("stopped after %v", d)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ss.Transform(ctx, []byte(in.String()), Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: got %v", err)
	}
	// Cancelled while the expression runs.
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := ss.Transform(ctx, []byte(in.String()), Options{MaxSteps: 1 << 40}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: got %v", err)
	}

	// Within the limit it gives the answer: no a equals a b.
	out, err := ss.Transform(context.Background(), []byte("<d><a>1</a><b>1</b><a>2</a></d>"), Options{})
	if err != nil || !strings.HasSuffix(string(out), ">1") && string(out) != "1" {
		t.Errorf("small input: %q, %v", out, err)
	}
}

// A body that declares many namespaces: an element copied under the copy
// of its parent adds only its own declarations (the copy stylesheet over
// 1 MB of them took minutes when each copy went through every namespace
// in scope), and elsewhere each namespace a copy looks at is a step.
func TestManyNamespaces(t *testing.T) {
	var decls strings.Builder
	for i := range 40 {
		fmt.Fprintf(&decls, ` xmlns:a%d="u%d"`, i, i)
	}
	body := `<r` + decls.String() + `><b/><c xmlns:z="v" xmlns:a0="u0"><a1:d z:x="1"/></c><b/></r>`
	copySheet := sheet(`<xsl:template match="* | @* | node()"><xsl:copy><xsl:apply-templates select="* | @* | node()"/></xsl:copy></xsl:template>`)
	for name, src := range map[string]string{
		"xsl:copy":    copySheet,
		"xsl:copy-of": sheet(`<xsl:template match="/"><xsl:copy-of select="."/></xsl:template>`),
	} {
		t.Run(name, func(t *testing.T) {
			out, err := compileT(t, src).Transform(context.Background(), []byte(body), Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := `<r` + decls.String() + `><b /><c xmlns:z="v"><a1:d z:x="1" /></c><b /></r>`
			if string(out) != want {
				t.Fatalf("got\n%s\nwant\n%s", out, want)
			}
		})
	}
	// 100 copies under an element that is no copy: each looks at the 40
	// namespaces in scope
	many := `<r` + decls.String() + `>` + strings.Repeat(`<b/>`, 100) + `</r>`
	apart := compileT(t, sheet(`<xsl:template match="/r"><w><xsl:for-each select="b"><xsl:copy/></xsl:for-each></w></xsl:template>`))
	if _, err := apart.Transform(context.Background(), []byte(many), Options{MaxSteps: 2000}); err == nil || !strings.Contains(err.Error(), "more than 2000 steps executed") {
		t.Fatalf("got %v", err)
	}
	if _, err := apart.Transform(context.Background(), []byte(many), Options{MaxSteps: 20_000}); err != nil {
		t.Fatal(err)
	}
}
