package csharp

import "testing"

// TestTypeRefString: a written type prints as written (messages use it).
func TestTypeRefString(t *testing.T) {
	for _, want := range []string{
		"string", "System.String", "string[]", "string[][]", "int?", "int?[]", "decimal?[][]", "List<string>", "List<List<string>>",
		"Dictionary<string, int[]>", "IEnumerable<KeyValuePair<string, object>>", "Newtonsoft.Json.Linq.JObject",
	} {
		t.Run(want, func(t *testing.T) {
			e, err := parseExpr("("+want+")x", 0)
			if err != nil {
				t.Fatal(err)
			}
			c, ok := e.(*Cast)
			if !ok {
				t.Fatalf("parsed as %T", e)
			}
			if got := c.To.String(); got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
		})
	}
	if got := (*TypeRef)(nil).String(); got != "?" {
		t.Fatalf("nil: %q", got)
	}
}
