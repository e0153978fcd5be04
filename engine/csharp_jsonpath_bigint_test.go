package engine

import "testing"

// TestCSharpJSONPathBigIntegerLiteral: an integer literal past long's range
// in a JSONPath filter, which Json.NET reads as a BigInteger, selects the
// document's integer of that value; it failed to parse ("Unexpected
// character while parsing path"), the RFC 9535 parser's integers being
// int64s. It is compared as its nearest double, as the document's
// integers past long are.
func TestCSharpJSONPathBigIntegerLiteral(t *testing.T) {
	const doc = `JArray.Parse("[{\"id\":123456789012345678901234,\"s\":\"123456789012345678901234\"},{\"id\":5,\"s\":\"5\"},{\"id\":-98765432109876543210}]")`
	for _, tc := range []struct{ src, want string }{
		{doc + `.SelectToken("$..[?(@.id == 123456789012345678901234)].id").ToString()`, "123456789012345678901234"},
		{doc + `.SelectTokens("$[?(@.id > 99999999999999999999)]").Count().ToString()`, "1"},
		{doc + `.SelectTokens("$[?(@.id < -9223372036854775809)]").Single()["id"].ToString()`, "-98765432109876543210"},
		{doc + `.SelectTokens("$[?(123456789012345678901234 == @.id)]").Count().ToString()`, "1"},
		{doc + `.SelectTokens("$[?(@.id != 123456789012345678901234)]").Count().ToString()`, "2"},
		{doc + `.SelectTokens("$[?(@.s == '123456789012345678901234')]").Count().ToString()`, "1"}, // a string stays one
		{doc + `.SelectTokens("$[?(@.id == 5)]").Count().ToString()`, "1"},
	} {
		t.Run(tc.src, func(t *testing.T) { csBothPaths(t, tc.src, tc.want, nil) })
	}
}
