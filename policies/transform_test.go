package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"testing"

	"tollgate/engine"
)

// outbound compiles src as an outbound section, runs it over a response
// with body and headers (name, value pairs), for a request to rawURL with
// reqHdr, and returns the response.
func runOutbound(t *testing.T, src, rawURL string, reqHdr []string, body string, respHdr ...string) (*engine.Response, error) {
	t.Helper()
	plan := compile(t, testDeps(), "<policies><inbound/><backend/><outbound>"+src+"</outbound><on-error/></policies>")
	s := request(rawURL, reqHdr...)
	defer s.Release()
	r := engine.NewResponse(200)
	r.Body = engine.NewBody([]byte(body))
	for i := 0; i+1 < len(respHdr); i += 2 {
		r.Headers[respHdr[i]] = []string{respHdr[i+1]}
	}
	s.SetResponse(r)
	var failed error
	plan.Run(context.Background(), engine.Outbound, s)
	if le := s.Context().LastError; le != nil {
		failed = errors.New(le.Reason + ": " + le.Message)
	}
	return s.Context().Response, failed
}

func bodyOf(t *testing.T, r *engine.Response) string {
	t.Helper()
	b, err := r.Body.AsString()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// APIM's json-to-xml example, as documented: the policy, the backend's JSON
// and the XML the client gets. The documented output leaves out the
// <v1:QueryItem> element that wraps <name> although the input has it (a
// mistake in the page: no rule drops an element); tollgate keeps it, and
// that is the only difference.
func TestJSONToXMLDocExample(t *testing.T) {
	const policy = `<json-to-xml apply="always" consider-accept-header="false" parse-date="false" namespace-separator=":" namespace-prefix="xmlns" attribute-block-name="#attrs" />`
	const backend = `{
  "soapenv:Envelope": {
    "xmlns:soapenv": "http://schemas.xmlsoap.org/soap/envelope/",
    "xmlns:v1": "http://localdomain.com/core/v1",
    "soapenv:Header": {},
    "soapenv:Body": {
      "v1:QueryList": {
        "#attrs": {
          "queryName": "test"
        },
        "v1:QueryItem": {
          "name": "dummy text"
        }
      }
    }
  }
}`
	documented := `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v1="http://localdomain.com/core/v1">
  <soapenv:Header />
  <soapenv:Body>
    <v1:QueryList queryName="test">
      <name>dummy text</name>
    </v1:QueryList>
  </soapenv:Body>
</soapenv:Envelope>`
	want := strings.Replace(documented, "      <name>dummy text</name>\n",
		"      <v1:QueryItem>\n        <name>dummy text</name>\n      </v1:QueryItem>\n", 1)
	r, err := runOutbound(t, policy, "http://gw/api", nil, backend, "Content-Type", "application/json")
	if err != nil {
		t.Fatal(err)
	}
	if got := bodyOf(t, r); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if ct := r.Headers.GetValueOrDefault("Content-Type", ""); ct != "application/xml" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestJSONToXMLConditions(t *testing.T) {
	const js = `{"a":{"b":"1"}}`
	const xmlOut = "<a>\n  <b>1</b>\n</a>"
	cases := []struct {
		name, policy string
		accept, ct   string
		want         string
	}{
		{"always, accept ignored", `<json-to-xml apply="always" consider-accept-header="false"/>`, "", "text/plain", xmlOut},
		{"accept asks for xml", `<json-to-xml apply="always"/>`, "application/xml", "application/json", xmlOut},
		{"accept with q and list", `<json-to-xml apply="always"/>`, "text/html, text/xml;q=0.8", "application/json", xmlOut},
		{"accept q=0 is a refusal", `<json-to-xml apply="always"/>`, "application/xml;q=0", "application/json", js},
		{"no accept: default consider=true leaves it", `<json-to-xml apply="always"/>`, "", "application/json", js},
		{"content-type-json, json", `<json-to-xml apply="content-type-json" consider-accept-header="false"/>`, "", "application/json; charset=utf-8", xmlOut},
		{"content-type-json, +json", `<json-to-xml apply="content-type-json" consider-accept-header="false"/>`, "", "application/problem+json", xmlOut},
		{"content-type-json, text", `<json-to-xml apply="content-type-json" consider-accept-header="false"/>`, "", "text/plain", js},
		{"expression attributes", `<json-to-xml apply="@("always")" consider-accept-header="@(false)"/>`, "", "", xmlOut},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.accept != "" {
				hdr = []string{"Accept", c.accept}
			}
			r, err := runOutbound(t, c.policy, "http://gw/api", hdr, js, "Content-Type", c.ct)
			if err != nil {
				t.Fatal(err)
			}
			if got := bodyOf(t, r); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestJSONToXMLShapes(t *testing.T) {
	cases := []struct {
		name string
		o    jsonToXMLOptions
		in   string
		want string
	}{
		{"several members: Document root", jsonToXMLOptions{}, `{"a":1,"b":true,"c":null}`,
			"<Document>\n  <a>1</a>\n  <b>true</b>\n  <c />\n</Document>"},
		{"array repeats the element", jsonToXMLOptions{}, `{"r":{"i":[1,"x",{"k":"v"}]}}`,
			"<r>\n  <i>1</i>\n  <i>x</i>\n  <i>\n    <k>v</k>\n  </i>\n</r>"},
		{"top-level array", jsonToXMLOptions{}, `[1,2]`, "<Document>\n  <Array>1</Array>\n  <Array>2</Array>\n</Document>"},
		{"scalar", jsonToXMLOptions{}, `"x"`, "<Document>x</Document>"},
		{"escaping", jsonToXMLOptions{}, `{"a":"<&>\""}`, "<a>&lt;&amp;&gt;\"</a>"},
		{"invalid names encoded", jsonToXMLOptions{}, `{"a b":{"1x":"v","_x0041_":"w"}}`,
			"<a_x0020_b>\n  <_x0031_x>v</_x0031_x>\n  <_x005F_x0041_>w</_x005F_x0041_>\n</a_x0020_b>"},
		{"undeclared prefix is not split", jsonToXMLOptions{NamespaceSeparator: ":"}, `{"p:a":"v"}`, "<p_x003A_a>v</p_x003A_a>"},
		// XML 1.0's fourth-edition classes, as .NET's EncodeName: U+00B5 and
		// U+073B are letters to Unicode but no name characters there, every
		// character past U+FFFF is written with eight digits, an extender
		// (U+00B7) may follow but not start a name, and an underscore that
		// starts what DecodeName would read as an escape (_X.../eight
		// digits) is escaped.
		{"fourth-edition name characters", jsonToXMLOptions{}, "{\"\u00b5\":{\"a\u00b5\u073b\":1,\"a\U00010400\":2,\"a\u00b7b\":3,\"\u00b7a\":4}}",
			"<_x00B5_>\n  <a_x00B5__x073B_>1</a_x00B5__x073B_>\n  <a_x00010400_>2</a_x00010400_>\n  <a\u00b7b>3</a\u00b7b>\n  <_x00B7_a>4</_x00B7_a>\n</_x00B5_>"},
		{"underscores that read as escapes", jsonToXMLOptions{}, `{"r":{"_X0041_b":1,"a_x00010400_":2,"_x12_":3,"a_x004":4}}`,
			"<r>\n  <_x005F_X0041_b>1</_x005F_X0041_b>\n  <a_x005F_x00010400_>2</a_x005F_x00010400_>\n  <_x12_>3</_x12_>\n  <a_x004>4</a_x004>\n</r>"},
		{"default separator _ with declared prefix", jsonToXMLOptions{NamespaceSeparator: "_", NamespacePrefix: "xmlns"},
			`{"s_E":{"xmlns_s":"urn:s","first_name":"x"}}`, "<s:E xmlns:s=\"urn:s\">\n  <first_name>x</first_name>\n</s:E>"},
		{"default namespace", jsonToXMLOptions{NamespacePrefix: "xmlns"}, `{"a":{"xmlns":"urn:a","b":"c"}}`,
			"<a xmlns=\"urn:a\">\n  <b>c</b>\n</a>"},
		{"a prefix is in scope below its declaration only", jsonToXMLOptions{NamespaceSeparator: ":", NamespacePrefix: "xmlns"},
			`{"r":{"a":[{"xmlns:p":"u","p:x":1},{"p:x":2}],"b":{"xmlns:p":"v","xmlns:q":"w","c":{"p:y":3,"q:z":4}},"p:d":5}}`,
			"<r>\n  <a xmlns:p=\"u\">\n    <p:x>1</p:x>\n  </a>\n  <a>\n    <p_x003A_x>2</p_x003A_x>\n  </a>\n  <b xmlns:p=\"v\" xmlns:q=\"w\">\n    <c>\n      <p:y>3</p:y>\n      <q:z>4</q:z>\n    </c>\n  </b>\n  <p_x003A_d>5</p_x003A_d>\n</r>"},
		{"parse-date true normalizes", jsonToXMLOptions{ParseDate: true}, `{"d":{"a":"2024-03-18T10:00Z","b":"2024-03-18T10:00:00.500+01:00","c":"2024-03-18T10:00:00","e":"not 2024"}}`,
			"<d>\n  <a>2024-03-18T10:00:00Z</a>\n  <b>2024-03-18T10:00:00.5+01:00</b>\n  <c>2024-03-18T10:00:00</c>\n  <e>not 2024</e>\n</d>"},
		{"parse-date false copies", jsonToXMLOptions{}, `{"d":"2024-03-18T10:00Z"}`, "<d>2024-03-18T10:00Z</d>"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := jsonToXML([]byte(c.in), c.o)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

// TestXMLNameRuneOracle checks json-to-xml's name rule against Go's
// encoding/xml, whose name tables are XML 1.0's fourth edition (Appendix
// B), the classes .NET's XmlConvert.EncodeName tests against: every
// character of the Basic Multilingual Plane at the start of a name and
// after its first character.
func TestXMLNameRuneOracle(t *testing.T) {
	parses := func(name string) bool {
		tok, err := xml.NewDecoder(strings.NewReader("<" + name + "/>")).RawToken()
		se, ok := tok.(xml.StartElement)
		return err == nil && ok && se.Name.Space == "" && se.Name.Local == name
	}
	bad := 0
	for r := rune(0); r <= 0xFFFF; r++ {
		if r == ':' || 0xD800 <= r && r <= 0xDFFF {
			continue
		}
		for _, first := range []bool{true, false} {
			name := string(r)
			if !first {
				name = "a" + name
			}
			if got, want := xmlNameRune(r, first), parses(name); got != want {
				if bad++; bad <= 10 {
					t.Errorf("U+%04X (first %v): xmlNameRune %v, encoding/xml %v", r, first, got, want)
				}
			}
		}
	}
	for _, r := range []rune{0x10000, 0x10400, 0x1F600, 0x20000} {
		if xmlNameRune(r, true) || xmlNameRune(r, false) {
			t.Errorf("U+%X is a name character", r)
		}
	}
}

func TestJSONToXMLHostile(t *testing.T) {
	// Thousands of namespace declarations, each used below: every
	// declaration copied the prefixes in scope (minutes for 700 KB;
	// BenchmarkJSONToXMLNamespaces measures it).
	out, err := jsonToXML(manyNamespacesJSON(20000), jsonToXMLOptions{NamespaceSeparator: ":", NamespacePrefix: "xmlns"})
	if err != nil || !bytes.Contains(out, []byte("<p19999:x>1</p19999:x>")) {
		t.Fatalf("%v %.100s", err, out)
	}
	deep := strings.Repeat(`{"a":`, 600) + "1" + strings.Repeat("}", 600)
	for _, in := range []string{"", "{", `{"a":1}x`, "nul", deep, "\xff"} {
		if _, err := jsonToXML([]byte(in), jsonToXMLOptions{}); err == nil {
			t.Errorf("%.40q: no error", in)
		}
	}
	// Not JSON: the body is left alone, not a failure.
	r, err := runOutbound(t, `<json-to-xml apply="always" consider-accept-header="false"/>`, "http://gw/api", nil, "<x/>")
	if err != nil || bodyOf(t, r) != "<x/>" {
		t.Fatalf("%v %q", err, bodyOf(t, r))
	}
}

// The XML document from a published walk-through of APIM's xml-to-json
// kind="direct" (the policy is APIM's documented example), and the JSON it
// shows APIM returning: the declaration's version as a top-level member,
// prefixes with "$", attributes with "@".
func TestXMLToJSONDocExample(t *testing.T) {
	const policy = `<xml-to-json kind="direct" apply="always" consider-accept-header="false" />`
	const backend = `<?xml version="1.0"?>
<soap:Envelope xmlns="http://fyicenter.com/" 
    xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
    <soap:Body>
        <GetOrders>
            <Customer>1234567</Customer>
        </GetOrders>
    </soap:Body>
</soap:Envelope>`
	const want = `{
    "version": "1.0",
    "soap$Envelope": {
        "@xmlns": "http://fyicenter.com/",
        "@xmlns$soap": "http://schemas.xmlsoap.org/soap/envelope/",
        "soap$Body": {
            "GetOrders": {
                "Customer": "1234567"
            }
        }
    }
}`
	r, err := runOutbound(t, policy, "http://gw/api", nil, backend, "Content-Type", "text/xml")
	if err != nil {
		t.Fatal(err)
	}
	got := bodyOf(t, r)
	if compact(t, got) != compact(t, want) {
		t.Fatalf("got %s\nwant %s", got, compact(t, want))
	}
	if ct := r.Headers.GetValueOrDefault("Content-Type", ""); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
}

// compact removes JSON's insignificant whitespace, keeping member order.
func compact(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("not JSON: %v: %s", err, s)
	}
	return b.String()
}

func TestXMLToJSONShapes(t *testing.T) {
	const doc = `<?xml version="1.0" encoding="utf-8"?>
<p:order xmlns:p="urn:p" id="7"><item sku="a">x</item><item sku="b"/><note>hi<!-- c --> there</note><empty/><cdata><![CDATA[<raw>]]></cdata></p:order>`
	cases := []struct {
		name string
		o    xmlToJSONOptions
		in   string
		want string
	}{
		{"direct", xmlToJSONOptions{}, doc,
			`{"version":"1.0","encoding":"utf-8","p$order":{"@xmlns$p":"urn:p","@id":"7","item":[{"@sku":"a","#text":"x"},{"@sku":"b"}],"note":"hi there","empty":null,"cdata":"<raw>"}}`},
		{"javascript-friendly", xmlToJSONOptions{JavaScriptFriendly: true}, doc,
			`{"p$order":{"id":"7","item":[{"sku":"a","#text":"x"},{"sku":"b"}],"note":"hi there","empty":null,"cdata":"<raw>"}}`},
		{"always array", xmlToJSONOptions{AlwaysArray: true}, `<a><b>1</b><c><d>2</d></c></a>`,
			`{"a":{"b":["1"],"c":[{"d":["2"]}]}}`},
		{"single child is an object", xmlToJSONOptions{}, `<a><b>1</b></a>`, `{"a":{"b":"1"}}`},
		{"mixed text", xmlToJSONOptions{}, `<a>x<b/>y</a>`, `{"a":{"#text":["x","y"],"b":null}}`},
		{"entities", xmlToJSONOptions{}, `<a q="&quot;">&lt;&amp;</a>`, `{"a":{"@q":"\"","#text":"<&"}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := xmlToJSON([]byte(c.in), c.o)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
			if !json.Valid(got) {
				t.Errorf("not valid JSON")
			}
		})
	}
}

func TestXMLToJSONHostile(t *testing.T) {
	deep := strings.Repeat("<a>", 600) + strings.Repeat("</a>", 600)
	for _, in := range []string{"", "<a>", "<a></b>", "<a/><b/>", "text", deep, `<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>`, "<a>\xff</a>"} {
		if _, err := xmlToJSON([]byte(in), xmlToJSONOptions{}); err == nil {
			t.Errorf("%.40q: no error", in)
		}
	}
}

func TestXMLToJSONConditions(t *testing.T) {
	const x = `<a>1</a>`
	cases := []struct {
		name, policy, accept, ct, want string
	}{
		{"accept json", `<xml-to-json kind="direct" apply="always"/>`, "application/json", "text/xml", `{"a":"1"}`},
		{"accept html only", `<xml-to-json kind="direct" apply="always"/>`, "text/html", "text/xml", x},
		{"content-type-xml, +xml", `<xml-to-json kind="direct" apply="content-type-xml" consider-accept-header="false"/>`, "", "application/soap+xml", `{"a":"1"}`},
		{"content-type-xml, json", `<xml-to-json kind="direct" apply="content-type-xml" consider-accept-header="false"/>`, "", "application/json", x},
		{"kind from expression", `<xml-to-json kind="@("javascript-friendly")" apply="always" consider-accept-header="false" always-array-child-elements="@(true)"/>`, "", "", `{"a":"1"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.accept != "" {
				hdr = []string{"Accept", c.accept}
			}
			r, err := runOutbound(t, c.policy, "http://gw/api", hdr, x, "Content-Type", c.ct)
			if err != nil {
				t.Fatal(err)
			}
			if got := bodyOf(t, r); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
	// An expression giving a value outside the choices fails the request.
	_, err := runOutbound(t, `<xml-to-json kind="@("friendly")" apply="always" consider-accept-header="false"/>`, "http://gw/api", nil, x)
	if err == nil || !strings.Contains(err.Error(), engine.ReasonExpression) {
		t.Fatalf("err = %v", err)
	}
}

// APIM's find-and-replace example as written, in each section's body.
func TestFindAndReplace(t *testing.T) {
	r, err := runOutbound(t, `<find-and-replace from="notebook" to="laptop" />`, "http://gw/api", nil, "a notebook, two notebooks")
	if err != nil || bodyOf(t, r) != "a laptop, two laptops" {
		t.Fatalf("%v %q", err, bodyOf(t, r))
	}
	r, _ = runOutbound(t, `<find-and-replace from="notebook" to="" />`, "http://gw/api", nil, "a notebook!")
	if bodyOf(t, r) != "a !" {
		t.Fatalf("%q", bodyOf(t, r))
	}
	r, _ = runOutbound(t, `<find-and-replace from="@(context.Request.Url.Host)" to="@("x")" />`, "http://gw/api", nil, "gw and gw")
	if bodyOf(t, r) != "x and x" {
		t.Fatalf("%q", bodyOf(t, r))
	}
	// Inbound: the request body.
	plan := compile(t, testDeps(), `<find-and-replace from="a" to="b"/>`)
	s := request("http://gw/api")
	defer s.Release()
	s.Context().Request.Body = engine.NewBody([]byte("aaa"))
	runInbound(plan, s)
	if b, _ := s.Context().Request.Body.AsString(); b != "bbb" {
		t.Fatalf("request body %q", b)
	}
}

// A body over the API's limit is APIM's error reason, not a crash.
func TestTransformBodyTooLarge(t *testing.T) {
	plan := compile(t, testDeps(), `<find-and-replace from="a" to="b"/>`)
	s := request("http://gw/api")
	defer s.Release()
	s.Context().Request.Body = engine.NewLazyBody(func() ([]byte, error) { return nil, errors.New("the request body is larger than 10 bytes") })
	runInbound(plan, s)
	le := s.Context().LastError
	if le == nil || le.Reason != ReasonRequestTooLarge {
		t.Fatalf("LastError = %+v", le)
	}
	plan = compile(t, testDeps(), "<policies><inbound/><backend/><outbound><xml-to-json kind=\"direct\" apply=\"always\" consider-accept-header=\"false\"/></outbound><on-error/></policies>")
	s2 := request("http://gw/api")
	defer s2.Release()
	r := engine.NewResponse(200)
	r.Body = engine.NewLazyBody(func() ([]byte, error) { return nil, errors.New("the backend response is larger than 10 bytes") })
	s2.SetResponse(r)
	plan.Run(context.Background(), engine.Outbound, s2)
	if le := s2.Context().LastError; le == nil || le.Reason != engine.ReasonResponseTooLarge {
		t.Fatalf("LastError = %+v", le)
	}
}

// APIM's jsonp example as written: without ?cb= plain JSON, with ?cb=XXX a
// call of XXX.
func TestJsonp(t *testing.T) {
	const policy = `<jsonp callback-parameter-name="cb" />`
	cases := []struct{ url, want, ct string }{
		{"http://gw/api/items", `{"a":1}`, "application/json"},
		{"http://gw/api/items?cb=XXX", `XXX({"a":1});`, "application/javascript; charset=utf-8"},
		{"http://gw/api/items?cb=ns.cb_1", `ns.cb_1({"a":1});`, "application/javascript; charset=utf-8"},
		{"http://gw/api/items?cb=alert(1)//", `{"a":1}`, "application/json"},
		{"http://gw/api/items?cb=", `{"a":1}`, "application/json"},
	}
	for _, c := range cases {
		r, err := runOutbound(t, policy, c.url, nil, `{"a":1}`, "Content-Type", "application/json")
		if err != nil {
			t.Fatal(err)
		}
		if got := bodyOf(t, r); got != c.want {
			t.Errorf("%s: got %q, want %q", c.url, got, c.want)
		}
		if ct := r.Headers.GetValueOrDefault("Content-Type", ""); ct != c.ct {
			t.Errorf("%s: Content-Type %q, want %q", c.url, ct, c.ct)
		}
	}
}

// APIM's cross-domain example as written.
func TestCrossDomain(t *testing.T) {
	plan := compile(t, testDeps(), `<cross-domain>
    <cross-domain-policy>
        <allow-http-request-headers-from domain='*' headers='*' />
    </cross-domain-policy>
</cross-domain>`)
	for _, c := range []struct {
		url     string
		stopped bool
	}{
		{"http://gw/crossdomain.xml", true},
		{"http://gw/chat/crossdomain.xml", true}, // under the API's path
		{"http://gw/chat/other", false},
		{"http://gw/x/crossdomain.xml", false},
	} {
		s := request(c.url)
		stopped := runInbound(plan, s)
		if stopped != c.stopped {
			t.Errorf("%s: stopped=%v", c.url, stopped)
		}
		if stopped {
			r := s.Context().Response
			want := "<?xml version=\"1.0\"?>\n<cross-domain-policy>\n        <allow-http-request-headers-from domain='*' headers='*' />\n    </cross-domain-policy>\n"
			if got := bodyOf(t, r); r.StatusCode != 200 || got != want {
				t.Errorf("%s: %d %q", c.url, r.StatusCode, got)
			}
			if ct := r.Headers.GetValueOrDefault("Content-Type", ""); ct != "application/xml" {
				t.Errorf("Content-Type %q", ct)
			}
		}
		s.Release()
	}
}

// APIM's redirect-content-urls example: backend links in the body point at
// the gateway after outbound; inbound does the opposite.
func TestRedirectContentURLs(t *testing.T) {
	const back = "ws://127.0.0.1:1" // the test API's service-url
	r, err := runOutbound(t, `<redirect-content-urls />`, "https://gw.example.com/chat/x", nil,
		`{"next":"`+back+`/items?page=2","self":"`+back+`"}`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := bodyOf(t, r), `{"next":"https://gw.example.com/chat/items?page=2","self":"https://gw.example.com/chat"}`; got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	plan := compile(t, testDeps(), `<redirect-content-urls />`)
	s := request("http://gw:8080/chat/x")
	defer s.Release()
	s.Context().Request.Body = engine.NewBody([]byte(`see http://gw:8080/chat/a`))
	runInbound(plan, s)
	if b, _ := s.Context().Request.Body.AsString(); b != "see "+back+"/a" {
		t.Fatalf("request body %q", b)
	}
}

// APIM's two set-body Liquid examples as written, over the bodies they
// imply; the Date filter example; the context binding.
func TestSetBodyLiquid(t *testing.T) {
	cases := []struct {
		name, policy, body, ct, want string
	}{
		{"JSON to SOAP", `<set-body template="liquid">
    <soap:Envelope xmlns="http://tempuri.org/" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
        <soap:Body>
            <GetOpenOrders>
                <cust>{{body.getOpenOrders.cust}}</cust>
            </GetOpenOrders>
        </soap:Body>
    </soap:Envelope>
</set-body>`, `{"getOpenOrders":{"cust":"1234"}}`, "application/json", `<soap:Envelope xmlns="http://tempuri.org/" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
        <soap:Body>
            <GetOpenOrders>
                <cust>1234</cust>
            </GetOpenOrders>
        </soap:Body>
    </soap:Envelope>`},
		{"transform JSON", `<set-body template="liquid">
{
"order": {
    "id": "{{body.customer.purchase.identifier}}",
    "summary": "{{body.customer.purchase.orderShortDesc}}"
    }
}
</set-body>`, `{"customer":{"purchase":{"identifier":"ORD-1","orderShortDesc":"two books"}}}`, "application/json",
			"{\n\"order\": {\n    \"id\": \"ORD-1\",\n    \"summary\": \"two books\"\n    }\n}"},
		{"Date in C# mode", `<set-body template="liquid">{{body.foo.startDateTime| Date:"yyyyMMddTHH:mm:ssZ"}}</set-body>`,
			`{"foo":{"startDateTime":"2024-03-18T10:04:05Z"}}`, "application/json", "20240318T10:04:05Z"},
		{"Date of C# dates", `<set-variable name="d" value="@(new DateTimeOffset(2024, 3, 18, 10, 4, 5, TimeSpan.FromHours(2)))"/><set-variable name="n" value="@(new DateTime(2024, 3, 18, 10, 4, 5))"/>` +
			`<set-body template="liquid">{{context.Variables.d | Date:"yyyy-MM-dd HH:mm zzz"}} {{context.Variables.d | Date:"o"}} {{context.Variables.n | Date:"o"}}</set-body>`,
			"", "", "2024-03-18 10:04 +02:00 2024-03-18T10:04:05.0000000+02:00 2024-03-18T10:04:05.0000000"},
		{"PascalCase filters", `<set-body template="liquid">{{ body.n | Plus: 2 | AtLeast: 10 }} {{ body.s | Upcase | Append: "!" }} {{ body.s | UrlEncode }} {{ body.list | Join: "-" }}</set-body>`,
			`{"n":3,"s":"a b","list":[1,2]}`, "application/json", "10 A B! a+b 1-2"},
		{"XML body", `<set-body template="liquid">{{body["soap:Envelope"]["soap:Body"].cust}}|{{body["soap:Envelope"]["soap:Body"].none}}|</set-body>`,
			`<soap:Envelope xmlns:soap="urn:s" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soap:Body><cust>42</cust><none xsi:nil="true"/></soap:Body></soap:Envelope>`, "text/xml", "42||"},
		{"text body", `<set-body template="liquid">[{{body}}]</set-body>`, "plain", "text/plain", "[plain]"},
		// A JObject variable made by C# (the policy snippets parse XML once
		// into one and read it in Liquid), read by name and index.
		{"JObject variable", `<set-variable name="parsed" value="@{
            var d = XDocument.Parse(&quot;<r><a>A1</a><b>B2</b><c>C3</c></r>&quot;);
            var o = new JObject();
            foreach (var e in d.Root.Elements()) { o[e.Name.LocalName] = e.Value; }
            o[&quot;n&quot;] = new JObject(new JProperty(&quot;list&quot;, new JArray(1, &quot;two&quot;)));
            return o;
            }" /><set-body template="liquid">{% assign v = context.Variables["parsed"] %}<x a="{{ v['a'] }}" c="{{ v.c }}" /> {{ v.n.list[1] }} {{ v.n.list | Size }} {% if v.b == "B2" %}yes{% endif %} [{{ v.missing }}]</set-body>`,
			"", "", `<x a="A1" c="C3" /> two 2 yes []`},
		// An object is written as its JSON (tollgate's choice: osteele/liquid
		// would write Go's map[k:v], APIM's reference does not say), names
		// sorted; an array's items one after the other, as Liquid writes them.
		// A policy of the third corpus survey wrote "originalRequest": {{body}}.
		{"objects written as JSON", `<set-body template="liquid">{{body.o}}|{{body.list}}|{{body.objs}}|{"originalRequest": {{body}}}</set-body>`,
			`{"o":{"n":2,"k":"v<&>"},"list":[1,"two",3.5],"objs":[{"x":1},{"y":true,"z":null}]}`, "application/json",
			`{"k":"v<&>","n":2}|1two3.5|{"x":1}{"y":true,"z":null}|{"originalRequest": {"list":[1,"two",3.5],"o":{"k":"v<&>","n":2},"objs":[{"x":1},{"y":true,"z":null}]}}`},
		{"JObject variable written as JSON", `<set-variable name="v" value="@(JObject.Parse(&quot;{\&quot;b\&quot;:{\&quot;c\&quot;:[1,{\&quot;d\&quot;:2}]},\&quot;a\&quot;:1}&quot;))" />` +
			`<set-body template="liquid">{{context.Variables.v}}|{{context.Variables.v.b}}|{{context.Variables["v"].b.c[1]}}|{{context.Request.Headers}}|{{context.Request.MatchedParameters}}</set-body>`,
			"", "", `{"a":1,"b":{"c":[1,{"d":2}]}}|{"c":[1,{"d":2}]}|{"d":2}|{"X-A":"b"}|{}`},
		// Iterating headers or a query gives entries with Key and Value (the
		// policy snippets list the inbound headers so).
		{"headers iterated", `<set-body template="liquid">{% for h in context.Request.Headers %}{{ h.Key }}={{ h.Value }};{% endfor %}</set-body>`, "", "", "X-A=b;"},
		{"query iterated", `<set-body template="liquid">{% for p in context.Request.Url.Query %}{{ p.Key }}={{ p.Value }};{% endfor %}{{ context.Request.Url.Query.size }}</set-body>`, "", "", "q=1;1"},
		{"context", `<set-body template="liquid">{{context.Request.Method}} {{context.Request.Url.Path}} {{context.Request.Url.Query.q}} {{context.Request.Headers["X-A"]}} {{context.Response.StatusCode}} {{context.Api.Name}}</set-body>`,
			"", "", "GET /chat/x 1 b 200 test"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := runOutbound(t, c.policy, "http://gw/chat/x?q=1", []string{"X-A", "b"}, c.body, "Content-Type", c.ct)
			if err != nil {
				t.Fatal(err)
			}
			if got := bodyOf(t, r); got != c.want {
				t.Errorf("got\n%q\nwant\n%q", got, c.want)
			}
		})
	}
}

func TestFormatDotNet(t *testing.T) {
	ts, _ := liquidDate("2024-03-08T07:04:05.120+02:00", "yyyy-MM-dd HH:mm:ss.fff zzz")
	if ts != "2024-03-08 07:04:05.120 +02:00" {
		t.Errorf("%q", ts)
	}
	ts, _ = liquidDate("2024-03-08T17:04:05Z", "dddd d MMM yy h:m tt 'at' \\K K F")
	if ts != "Friday 8 Mar 24 5:4 PM at K Z " {
		t.Errorf("%q", ts)
	}
	if _, err := liquidDate("2024-03-08T17:04:05Z", "yyyy 'open"); err == nil || !strings.Contains(err.Error(), "matching quote") {
		t.Errorf("an unterminated quote: %v", err)
	}
	if _, err := liquidDate("yesterday", "yyyy"); err == nil {
		t.Error("no error for a non-date")
	}
}

func TestPascalFilters(t *testing.T) {
	got := pascalFilters(`Plus | Minus {{ a | Plus: 1 |Minus:2 | Custom }} {% assign x = y | Upcase %}`)
	want := `Plus | Minus {{ a | plus: 1 |minus:2 | Custom }} {% assign x = y | upcase %}`
	if got != want {
		t.Errorf("got %q", got)
	}
}

func TestTransformLoadErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{`<find-and-replace to="x"/>`, `needs the attribute "from"`},
		{`<find-and-replace from="" to="x"/>`, `"from" must not be empty`},
		{`<find-and-replace from="a" to="b" form="c"/>`, `has no attribute "form"`},
		{"<policies><inbound/><backend/><outbound><json-to-xml/></outbound><on-error/></policies>", `needs the attribute "apply"`},
		{"<policies><inbound/><backend/><outbound><json-to-xml apply=\"sometimes\"/></outbound><on-error/></policies>", `must be one of always, content-type-json`},
		{"<policies><inbound/><backend/><outbound><json-to-xml apply=\"always\" parse-date=\"@(true)\"/></outbound><on-error/></policies>", `parse-date`},
		{"<policies><inbound/><backend/><outbound><xml-to-json apply=\"always\"/></outbound><on-error/></policies>", `needs the attribute "kind"`},
		{"<policies><inbound/><backend/><outbound><xml-to-json kind=\"js\" apply=\"always\"/></outbound><on-error/></policies>", `must be one of javascript-friendly, direct`},
		{`<jsonp callback-parameter-name="cb"/>`, `not allowed in inbound`},
		{"<policies><inbound/><backend/><outbound><jsonp/></outbound><on-error/></policies>", `needs the attribute "callback-parameter-name"`},
		{`<cross-domain/>`, `exactly one <cross-domain-policy>`},
		{`<cross-domain><cross-domain-policy><allow-access-from domian="*"/></cross-domain-policy></cross-domain>`, `has no attribute "domian"`},
		{`<cross-domain><cross-domain-policy><site-control permitted-cross-domain-policies="some"/></cross-domain-policy></cross-domain>`, `must be one of none`},
		{`<cross-domain><cross-domain-policy><script/></cross-domain-policy></cross-domain>`, `unexpected element <script>`},
		{`<redirect-content-urls to="x"/>`, `has no attribute "to"`},
		{`<set-body template="liquid">{{ a | }}</set-body>`, `invalid Liquid template`},
		{`<set-body template="liquid">{% for x in y %}</set-body>`, `invalid Liquid template`},
		{`<set-body template="mustache">x</set-body>`, `template`},
		{`<set-body xsi-nil="null">x</set-body>`, `applies to template="liquid" only`},
		{`<set-body template="liquid" xsi-nil="nil">x</set-body>`, `xsi-nil`},
	}
	for _, c := range cases {
		_, errs := compileErrs(testDeps(), c.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.src, errs, c.want)
			continue
		}
		for _, e := range errs {
			checkLocated(t, e)
		}
	}
}

func TestLiquidErrorLocated(t *testing.T) {
	_, errs := compileErrs(testDeps(), "<set-body template=\"liquid\">line one\nline two {{ a | }}\n</set-body>")
	if len(errs) != 1 {
		t.Fatalf("%v", errs)
	}
	if p := errs[0].Pos; p.Line != 2 || p.Col != 10 {
		t.Errorf("error at %d:%d, want 2:10: %v", p.Line, p.Col, errs[0])
	}
}

// manyNamespacesJSON is an object declaring n namespace prefixes, each used
// by an element below the declarations.
func manyNamespacesJSON(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"r":{`)
	for i := range n {
		fmt.Fprintf(&b, `"xmlns:p%d":"u%d",`, i, i)
	}
	b.WriteString(`"z":{`)
	for i := range n {
		fmt.Fprintf(&b, `"p%d:x":1,`, i)
	}
	b.WriteString(`"y":1}}}`)
	return []byte(b.String())
}

// BenchmarkJSONToXMLNamespaces: json-to-xml of a body declaring 2,000 and
// 20,000 namespace prefixes; the time per op grows linearly with them (each
// declaration copied every prefix in scope before: quadratic).
func BenchmarkJSONToXMLNamespaces(b *testing.B) {
	for _, n := range []int{2000, 20000} {
		in := manyNamespacesJSON(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, err := jsonToXML(in, jsonToXMLOptions{NamespaceSeparator: ":", NamespacePrefix: "xmlns"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
