package policies

import "tollgate/engine"

// testSchemas are the schema resources the policy tests load with (APIM's
// global schemas): an XML schema for SOAP calculator payloads ("myschema",
// the name APIM's SOAP example uses), a JSON one, and an XML schema that
// does not compile.
func testSchemas() map[string]engine.SchemaDoc {
	return map[string]engine.SchemaDoc{
		"myschema": {Type: "xml", File: "schemas/myschema/schemaInformation.json", Doc: []byte(calcXSD)},
		"address": {Type: "json", File: "schemas/address/schemaInformation.json",
			Doc: []byte(`{"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}`)},
		// a password rule with look-ahead (RE2 cannot run it), and a
		// catastrophic pattern (a backtracking engine takes exponential time
		// on a's followed by another character)
		"account": {Type: "json", File: "schemas/account/schemaInformation.json",
			Doc: []byte(`{"type": "object", "required": ["password"], "properties": {"password": {"type": "string", "pattern": "^(?=.*[A-Z])(?=.*\\d).{8,}$"},
  "nick": {"type": "string", "pattern": "^(a+)+$"}, "tags": {"type": "array", "items": {"type": "string", "pattern": "^\\w+$"}}},
  "patternProperties": {"^x-(?!internal)": {"type": "integer"}}}`)},
		"contact": {Type: "json", File: "schemas/contact/schemaInformation.json", Doc: []byte(contactSchema)},
		"badpattern": {Type: "json", File: "schemas/badpattern/schemaInformation.json",
			Doc: []byte(`{"type": "object", "properties": {"code": {"type": "string", "pattern": "^(ab$"}}}`)},
		"order": {Type: "xml", File: "schemas/order/schemaInformation.json", Doc: []byte(`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:c="urn:common" targetNamespace="urn:order" elementFormDefault="qualified">
  <xs:import namespace="urn:common" schemaLocation="common.xsd"/>
  <xs:element name="order"><xs:complexType><xs:sequence><xs:element name="total" type="c:Money"/></xs:sequence></xs:complexType></xs:element>
</xs:schema>`)},
		"common": {Type: "xml", File: "schemas/common/schemaInformation.json", Doc: []byte(`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:common">
  <xs:simpleType name="Money"><xs:restriction base="xs:decimal"><xs:fractionDigits value="2"/></xs:restriction></xs:simpleType>
</xs:schema>`)},
		"broken": {Type: "xml", File: "schemas/broken/schemaInformation.json", Doc: []byte(`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="a" type="xs:int"/>
  <xs:element name="b" type="Missing"/>
</xs:schema>`)},
	}
}

// contactSchema is a typical body schema with patterns RE2 runs too (the
// pattern benchmarks compare the engines on it).
const contactSchema = `{"type": "object", "required": ["email", "zip"], "properties": {
  "email": {"type": "string", "pattern": "^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$"},
  "zip": {"type": "string", "pattern": "^\\d{5}(-\\d{4})?$"},
  "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
  "phone": {"type": "string", "pattern": "^\\+?[0-9 ()-]{7,20}$"},
  "tags": {"type": "array", "items": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$"}}}}`

const calcXSD = `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://tempuri.org/" elementFormDefault="qualified">
  <xs:element name="Add">
    <xs:complexType><xs:sequence>
      <xs:element name="a" type="xs:int"/><xs:element name="b" type="xs:int"/>
    </xs:sequence></xs:complexType>
  </xs:element>
  <xs:element name="AddResponse">
    <xs:complexType><xs:sequence><xs:element name="AddResult" type="xs:int"/></xs:sequence></xs:complexType>
  </xs:element>
</xs:schema>`
