package policies

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"tollgate/engine"
)

// APIM's two documented xsl-transform examples (testdata/apim-docs, as
// written there), run on a request and on a response.
func TestXSLTransformDocExamples(t *testing.T) {
	load := func(name string) *engine.Plan {
		data, err := os.ReadFile("testdata/apim-docs/" + name)
		if err != nil {
			t.Fatal(err)
		}
		src := string(data)
		if strings.HasPrefix(strings.TrimSpace(src), "<inbound>") {
			src = "<policies>" + src + "<backend/><outbound/><on-error/></policies>"
		}
		return compile(t, testDeps(), src)
	}

	// Transform request body: the root element gets the caller's
	// User-Agent as an attribute, everything else is copied; indent="yes".
	plan := load("xsl-transform-request.xml")
	for ua, want := range map[string]string{
		"curl/8.4.0": "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<order User-Agent=\"curl/8.4.0\" id=\"7\">\n  <item sku=\"a1\">2</item>\n  <note>rush &amp; wrap</note>\n</order>",
		"":           "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<order User-Agent=\"non-specified\" id=\"7\">\n  <item sku=\"a1\">2</item>\n  <note>rush &amp; wrap</note>\n</order>",
	} {
		s := engine.AcquireState(&engine.Api{Name: "docs"})
		u, _ := url.Parse("http://gw/orders")
		h := http.Header{"Content-Type": {"application/xml"}}
		if ua != "" {
			h.Set("User-Agent", ua)
		}
		s.SetRequest("POST", "http", "gw", u, h, "10.0.0.1")
		s.Context().Request.Body = engine.NewBody([]byte(`<order id="7"><item sku="a1">2</item><note>rush &amp; wrap</note></order>`))
		if plan.Run(context.Background(), engine.Inbound, s) {
			t.Fatalf("stopped: %+v", s.LastError())
		}
		got, _ := s.Context().Request.Body.AsString()
		if got != want {
			t.Errorf("User-Agent %q:\n got %q\nwant %q", ua, got, want)
		}
		if ct := s.Context().Request.Headers.GetValueOrDefault("Content-Type", ""); ct != "application/xml" {
			t.Errorf("Content-Type changed to %q", ct)
		}
		s.Release()
	}

	// Transform response body: a copy, indented, no declaration.
	plan = load("xsl-transform-response.xml")
	s := request("http://gw/orders")
	defer s.Release()
	r := engine.NewResponse(200)
	r.Body = engine.NewBody([]byte(`<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><r xmlns="urn:x"><v>1</v><!--c--></r></s:Body></s:Envelope>`))
	s.SetResponse(r)
	plan.Run(context.Background(), engine.Outbound, s)
	if le := s.Context().LastError; le != nil {
		t.Fatalf("failed: %+v", le)
	}
	want := "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">\n  <s:Body>\n    <r xmlns=\"urn:x\">\n      <v>1</v>\n      <!--c-->\n    </r>\n  </s:Body>\n</s:Envelope>"
	if got := bodyOf(t, s.Context().Response); got != want {
		t.Errorf("response:\n got %q\nwant %q", got, want)
	}
}

// A body that is not XML, and a transformation that fails, end the
// section with an error naming the body (on-error runs; without it the
// client gets 500), and the body is left as it was.
func TestXSLTransformErrors(t *testing.T) {
	tests := []struct {
		name, sheet, body, want string
	}{
		{"not XML", `<xsl:template match="/"><x/></xsl:template>`, `{"json": true}`,
			"xsl-transform of the request body: "},
		{"a DTD", `<xsl:template match="/"><x/></xsl:template>`, `<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`,
			"DTDs are not allowed"},
		{"xsl:message terminate", `<xsl:template match="/"><xsl:message terminate="yes">stop: <xsl:value-of select="name(*)"/></xsl:message></xsl:template>`, `<halt/>`,
			"stop: halt"},
		{"endless recursion", `<xsl:template match="/"><xsl:call-template name="r"/></xsl:template><xsl:template name="r"><xsl:call-template name="r"/></xsl:template>`, `<a/>`,
			"template recursion deeper than"},
	}
	// An empty body (a GET, a WebSocket handshake) is left alone.
	plan := compile(t, testDeps(), `<xsl-transform><xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:template match="/"><x/></xsl:template></xsl:stylesheet></xsl-transform>`)
	s := request("http://gw/chat")
	if runInbound(plan, s) || s.Context().LastError != nil {
		t.Fatalf("an empty body: %+v", s.Context().LastError)
	}
	if got, _ := s.Context().Request.Body.AsString(); got != "" {
		t.Errorf("an empty body became %q", got)
	}
	s.Release()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan := compile(t, testDeps(), `<policies><inbound><xsl-transform><xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">`+
				tc.sheet+`</xsl:stylesheet></xsl-transform></inbound><backend/><outbound/><on-error/></policies>`)
			s := request("http://gw/orders")
			defer s.Release()
			s.Context().Request.Body = engine.NewBody([]byte(tc.body))
			if !plan.Run(context.Background(), engine.Inbound, s) {
				t.Fatal("the section went on")
			}
			le := s.Context().LastError
			if le == nil || le.Source != "xsl-transform" || !strings.Contains(le.Message, tc.want) {
				t.Fatalf("LastError %+v, want a message with %q", le, tc.want)
			}
			if resp := s.Context().Response; resp == nil || resp.StatusCode != 500 {
				t.Errorf("response %+v, want 500", resp)
			}
			if got, _ := s.Context().Request.Body.AsString(); got != tc.body {
				t.Errorf("the body changed to %q", got)
			}
		})
	}
}

// The stylesheet is compiled once, at load; the plan runs concurrently
// (go test -race) with each request's parameter.
func TestXSLTransformConcurrent(t *testing.T) {
	plan := compile(t, testDeps(), `<xsl-transform>
  <parameter parameter-name="who">@(context.Request.Headers.GetValueOrDefault("X-Who", ""))</parameter>
  <xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="text"/>
    <xsl:param name="who"/>
    <xsl:template match="/"><xsl:value-of select="concat($who, ':', count(//i))"/></xsl:template>
  </xsl:stylesheet>
</xsl-transform>`)
	done := make(chan string, 8)
	for i := 0; i < 8; i++ {
		go func(i int) {
			who := strings.Repeat("w", i+1)
			s := request("http://gw/x", "X-Who", who)
			defer s.Release()
			s.Context().Request.Body = engine.NewBody([]byte(`<r>` + strings.Repeat("<i/>", i) + `</r>`))
			runInbound(plan, s)
			got, _ := s.Context().Request.Body.AsString()
			if want := who + ":" + string(rune('0'+i)); got != want {
				done <- "got " + got + " want " + want
				return
			}
			done <- ""
		}(i)
	}
	for i := 0; i < 8; i++ {
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
}
