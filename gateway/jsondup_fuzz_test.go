package gateway

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"tollgate/engine"
)

// FuzzJSONDuplicateKeys: the duplicate check never panics, says nothing of
// a document whose objects have no name twice (it decodes to as many
// members as it writes), and names only names the document holds twice.
func FuzzJSONDuplicateKeys(f *testing.F) {
	for _, s := range []string{`{"a":1,"a":2}`, `{"a":{"b":[{"c":1,"c":2}]},"a":[]}`, `[{"x":1},{"x":1}]`, `{"a\"b":1,"a\"b":2}`,
		`{"\u0061":1,"a":2}`, `{}`, `[]`, `"x"`, `{"a":[1,{"a":2}],"b":{"a":3}}`, `{"a":1,`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var errs engine.ErrorList
		jsonDuplicateKeys("f.json", data, &errs)
		if len(errs) == 0 {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("%q: reported though not JSON: %v", data, errs)
		}
		for _, e := range errs {
			msg := e.Error()
			i := strings.Index(msg, ": \"")
			j := strings.Index(msg, "\" is given twice")
			if i < 0 || j < i {
				t.Fatalf("%q: %s", data, msg)
			}
			// the name, as %q wrote it, appears (unescaped) at least twice
			var name string
			if err := json.Unmarshal([]byte(msg[i+2:j+1]), &name); err != nil {
				continue // %q's escapes are Go's, not always JSON's
			}
			if n := bytes.Count(data, []byte(name)); n < 2 && !bytes.Contains(data, []byte(`\`)) {
				t.Fatalf("%q: %s, but the name is there %d times", data, msg, n)
			}
		}
	})
}

// TestJSONSyntaxTrailingData: anything after the top-level value but white
// space is data after it, whether or not it would start a token (FuzzJSON-
// DuplicateKeys found `{"a":1,"a":2}t\x92\x0f` taken as JSON).
func TestJSONSyntaxTrailingData(t *testing.T) {
	for _, tc := range []struct {
		in  string
		bad bool
	}{
		{`{"a":1}`, false},
		{"{\"a\":1} \n\t", false},
		{`{"a":1}{}`, true},
		{`{"a":1} 2`, true},
		{"{\"a\":1}t\x92\x0f", true},
		{`{"a":1}}`, true},
		{`{"a":1}x`, true},
	} {
		if e := jsonSyntax([]byte(tc.in)); (e != nil) != tc.bad {
			t.Errorf("jsonSyntax(%q) = %v, want bad %v", tc.in, e, tc.bad)
		}
	}
}
