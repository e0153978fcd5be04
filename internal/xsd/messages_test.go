package xsd

import (
	"strings"
	"sync"
	"testing"
)

const msgSchema = `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns="urn:o" targetNamespace="urn:o" elementFormDefault="qualified">
  <xs:element name="order">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="id" type="xs:int"/>
        <xs:element name="item" maxOccurs="2">
          <xs:complexType><xs:simpleContent><xs:extension base="xs:string">
            <xs:attribute name="qty" type="xs:positiveInteger" use="required"/>
          </xs:extension></xs:simpleContent></xs:complexType>
        </xs:element>
        <xs:element name="state" minOccurs="0">
          <xs:simpleType><xs:restriction base="xs:string"><xs:enumeration value="open"/><xs:enumeration value="closed"/></xs:restriction></xs:simpleType>
        </xs:element>
        <xs:element name="note" type="xs:string" minOccurs="0" nillable="true"/>
        <xs:any namespace="##other" processContents="strict" minOccurs="0"/>
      </xs:sequence>
      <xs:attribute name="ver" type="xs:string" fixed="1"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="empty"><xs:complexType/></xs:element>
</xs:schema>`

// TestMessages: each problem gives one error with .NET's wording, the
// element's path and its line and column (the column of the name, as
// .NET's LinePosition).
func TestMessages(t *testing.T) {
	set, err := Compile([]Doc{{Name: "o.xsd", Data: []byte(msgSchema)}}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	const o = `<order xmlns="urn:o">`
	for _, tc := range []struct {
		name, doc string
		want      []string
	}{
		{"valid", o + `<id>1</id><item qty="2">x</item><state>open</state></order>`, nil},
		{"wrong child", o + `<id>1</id><x/></order>`,
			[]string{"1:33: /order/x: The element 'order' in namespace 'urn:o' has invalid child element 'x' in namespace 'urn:o'. List of possible elements expected: 'item' in namespace 'urn:o'."}},
		{"incomplete", o + `<id>1</id></order>`,
			[]string{"1:2: /order: The element 'order' in namespace 'urn:o' has incomplete content. List of possible elements expected: 'item' in namespace 'urn:o'."}},
		{"expected list after an optional element, with a wildcard", o + `<id>1</id><item qty="1"/><item qty="1"/><id>2</id></order>`,
			[]string{"1:63: /order/id[2]: The element 'order' in namespace 'urn:o' has invalid child element 'id' in namespace 'urn:o'. List of possible elements expected: 'state, note' in namespace 'urn:o' as well as any element in namespace '##other:urn:o'."}},
		{"bad int", o + "\n  <id>one</id><item qty=\"1\"/></order>",
			[]string{"2:4: /order/id: The 'urn:o:id' element is invalid - The value 'one' is invalid according to its datatype 'http://www.w3.org/2001/XMLSchema:int' - The string 'one' is not a valid Int32 value."}},
		{"enumeration", o + `<id>1</id><item qty="1"/><state>gone</state></order>`,
			[]string{"1:48: /order/state: The 'urn:o:state' element is invalid - The value 'gone' is invalid according to its datatype 'http://www.w3.org/2001/XMLSchema:string' - The Enumeration constraint failed."}},
		{"missing attribute and bad attribute", o + `<id>1</id><item/><item qty="0"/></order>`,
			[]string{"1:33: /order/item[1]: The required attribute 'qty' is missing.",
				"1:40: /order/item[2]: The 'qty' attribute is invalid - The value '0' is invalid according to its datatype 'http://www.w3.org/2001/XMLSchema:positiveInteger' - The string '0' is not a valid PositiveInteger value."}},
		{"undeclared attribute, fixed attribute", `<order xmlns="urn:o" x="1" ver="2"><id>1</id><item qty="1"/></order>`,
			[]string{"1:2: /order: The 'x' attribute is not declared.", "1:2: /order: The value of the 'ver' attribute does not equal its fixed value."}},
		{"strict wildcard, undeclared", o + `<id>1</id><item qty="1"/><p:z xmlns:p="urn:p"/></order>`,
			[]string{"1:48: /order/z: The 'urn:p:z' element is not declared."}},
		{"text in element-only content", o + `hi<id>1</id><item qty="1"/></order>`,
			[]string{"1:2: /order: The element 'order' in namespace 'urn:o' cannot contain text. List of possible elements expected: 'id' in namespace 'urn:o'."}},
		{"nil", `<order xmlns="urn:o" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><id xsi:nil="true"/><item qty="1"/><note xsi:nil="true">x</note></order>`,
			[]string{"1:77: /order/id: If the 'nillable' attribute is false in the schema, the 'xsi:nil' attribute must not be present in the instance.",
				"1:77: /order/id: The 'urn:o:id' element is invalid - The value '' is invalid according to its datatype 'http://www.w3.org/2001/XMLSchema:int' - The string '' is not a valid Int32 value.",
				"1:112: /order/note: Element 'urn:o:note' must have no character or element children because it is nil."}},
		{"empty content", `<empty xmlns="urn:o"><a/></empty>`,
			[]string{"1:23: /empty/a: The element 'empty' in namespace 'urn:o' cannot contain child element 'a' in namespace 'urn:o' because the parent element's content model is empty."}},
		{"text-only content with a child", o + `<id><b/></id><item qty="1"/></order>`,
			[]string{"1:27: /order/id/b: The element 'id' in namespace 'urn:o' cannot contain child element 'b' in namespace 'urn:o' because the parent element's content model is text only."}},
		{"undeclared root", `<nope/>`, []string{"1:2: /nope: The 'nope' element is not declared."}},
		{"not well-formed", `<order xmlns="urn:o"><id>`, []string{"1:26: /: The document is not well-formed XML: unexpected end of document: <id> is not closed."}},
		{"a DOCTYPE", `<!DOCTYPE order [<!ENTITY e "x">]><order/>`, []string{"1:1: /: The document is not well-formed XML: a DOCTYPE (or other directive) is not allowed."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range set.Validate([]byte(tc.doc)) {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestCompileErrors: a schema problem names its file, line and column.
func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		docs []Doc
		want string
	}{
		{"undefined type", []Doc{{Name: "a.xsd", Data: []byte("<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n  <xs:element name=\"r\" type=\"T\"/>\n</xs:schema>")}},
			`a.xsd:2:4: type "T" is not defined (in no namespace)`},
		{"schemaLocation not given", []Doc{{Name: "a.xsd", Data: []byte(`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:import namespace="urn:x" schemaLocation="http://evil.example/x.xsd"/></xs:schema>`)}},
			`a.xsd:1:57: schemaLocation "http://evil.example/x.xsd" is not among the schemas given (tollgate never fetches a schema)`},
		{"keyref to no key", []Doc{{Name: "a.xsd", Data: []byte(`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="r"><xs:keyref name="k" refer="nope"><xs:selector xpath="a"/><xs:field xpath="@id"/></xs:keyref></xs:element></xs:schema>`)}},
			`a.xsd:1:78: keyref "k" refers to "nope", which is no key or unique constraint`},
		{"identity xpath outside the subset", []Doc{{Name: "a.xsd", Data: []byte(`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="r"><xs:key name="k"><xs:selector xpath="a[1]"/><xs:field xpath="@id"/></xs:key></xs:element></xs:schema>`)}},
			`a.xsd:1:95: selector xpath "a[1]": "a[1]" is not a name test`},
		{"pattern RE2 cannot run", []Doc{{Name: "a.xsd", Data: []byte(`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:simpleType name="s"><xs:restriction base="xs:string"><xs:pattern value="(a{1,1000}){1,1000}"/></xs:restriction></xs:simpleType></xs:schema>`)}},
			"a.xsd:1:114: pattern \"(a{1,1000}){1,1000}\": Go's RE2 cannot run it: invalid repeat count: `{1,1000}`"},
		{"bad pattern", []Doc{{Name: "a.xsd", Data: []byte(`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:simpleType name="s"><xs:restriction base="xs:string"><xs:pattern value="(?i)a"/></xs:restriction></xs:simpleType></xs:schema>`)}},
			`a.xsd:1:114: pattern "(?i)a": (? is not XML Schema regular expression syntax`},
		{"occurrences too large", []Doc{{Name: "a.xsd", Data: []byte(`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="r"><xs:complexType><xs:sequence><xs:element name="a" maxOccurs="5000"/><xs:sequence maxOccurs="5000"><xs:element name="b" maxOccurs="5000"/></xs:sequence></xs:sequence></xs:complexType></xs:element></xs:schema>`)}},
			`a.xsd:1:78: the content model needs more than 10000 automaton states (occurrence bounds too large)`},
		{"not a schema", []Doc{{Name: "a.xsd", Data: []byte(`<schema/>`)}},
			`a.xsd:1:2: a schema document's root is <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">, not <schema>`},
		{"too large", []Doc{{Name: "a.xsd", Data: make([]byte, 5<<20)}}, `a.xsd:1:1: the schemas are larger than 4194304 bytes together`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.docs, Limits{})
			if err == nil {
				t.Fatal("compiled")
			}
			ce, ok := err.(CompileErrors)
			if !ok || ce[0].Error() != tc.want {
				t.Errorf("got  %v\nwant %s", err, tc.want)
			}
		})
	}
}

// TestConcurrentValidation: a compiled set is used by many goroutines at
// once (run with -race).
func TestConcurrentValidation(t *testing.T) {
	set, err := Compile([]Doc{{Name: "o.xsd", Data: []byte(msgSchema)}}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	good := []byte(`<order xmlns="urn:o"><id>1</id><item qty="2">x</item></order>`)
	bad := []byte(`<order xmlns="urn:o"><id>x</id></order>`)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				if errs := set.Validate(good); len(errs) != 0 {
					t.Errorf("good: %v", errs)
					return
				}
				if errs := set.Validate(bad); len(errs) != 2 {
					t.Errorf("bad: %v", errs)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestLimits: a document nested too deeply and one with too many errors.
func TestLimits(t *testing.T) {
	set, err := Compile([]Doc{{Name: "a.xsd", Data: []byte(`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="r"><xs:complexType><xs:sequence><xs:element name="i" type="xs:int" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element></xs:schema>`)}},
		Limits{MaxDepth: 10, MaxErrors: 5})
	if err != nil {
		t.Fatal(err)
	}
	deep := strings.Repeat("<r>", 11) + strings.Repeat("</r>", 11)
	if errs := set.Validate([]byte(deep)); len(errs) != 1 || !strings.Contains(errs[0].Msg, "elements nested deeper than 10") {
		t.Errorf("deep: %v", errs)
	}
	many := "<r>" + strings.Repeat("<i>x</i>", 50) + "</r>"
	if errs := set.Validate([]byte(many)); len(errs) != 5 {
		t.Errorf("%d errors, want 5", len(errs))
	}
}

// TestIdentityMessages: xs:key, xs:unique and xs:keyref errors, with
// .NET's wording.
func TestIdentityMessages(t *testing.T) {
	set, err := Compile([]Doc{{Name: "d.xsd", Data: []byte(`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="db"><xs:complexType><xs:sequence>
    <xs:element name="c" maxOccurs="unbounded"><xs:complexType><xs:attribute name="id" type="xs:string"/><xs:attribute name="ref" type="xs:string"/></xs:complexType></xs:element>
  </xs:sequence></xs:complexType>
    <xs:key name="k"><xs:selector xpath="c"/><xs:field xpath="@id"/></xs:key>
    <xs:keyref name="r" refer="k"><xs:selector xpath="c"/><xs:field xpath="@ref"/></xs:keyref>
  </xs:element>
</xs:schema>`)}}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ doc, want string }{
		{`<db><c id="a"/><c id="b" ref="a"/></db>`, ""},
		{`<db><c id="a"/><c id=" a "/></db>`, "1:17: /db/c[2]: There is a duplicate key sequence 'a' for the 'k' key or unique identity constraint."},
		{`<db><c/></db>`, "1:6: /db/c: The identity constraint 'k' validation has failed. Either a key is missing or the existing key has an empty node."},
		{`<db><c id="a" ref="b"/></db>`, "1:6: /db/c: The key sequence 'b' in 'r' Keyref fails to refer to some key."},
	} {
		var got []string
		for _, e := range set.Validate([]byte(tc.doc)) {
			got = append(got, e.Error())
		}
		if strings.Join(got, "\n") != tc.want {
			t.Errorf("%s:\ngot  %s\nwant %s", tc.doc, strings.Join(got, "\n"), tc.want)
		}
	}
}
