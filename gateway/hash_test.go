package gateway

import (
	"os"
	"path/filepath"
	"testing"

	"tollgate/internal/testutil"
	"tollgate/policies"
	"tollgate/store"
)

// A reload that changes nothing in the parsed content (comments, formatting)
// does nothing; any change of meaning changes the hash.
func TestConfigHashIsCanonical(t *testing.T) {
	reg := policies.Registry(policies.Deps{Store: store.NewMemory()})
	dir := t.TempDir()
	write := func(rel, content string) {
		t.Helper()
		testutil.WriteFile(t, filepath.Join(dir, rel), content)
	}
	load := func() *Snapshot {
		t.Helper()
		snap, errs := Load(dir, reg, LoadOptions{})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		return snap
	}
	write("named-values.xml", `<named-values><named-value name="u">ws://127.0.0.1:1/</named-value></named-values>`)
	write("policy.xml", `<policies><inbound><set-header name="X-G" exists-action="override"><value>g</value></set-header></inbound></policies>`)
	write("fragments/f.xml", `<fragment><set-variable name="f" value="1"/></fragment>`)
	write("a/api.xml", `<api name="a" type="websocket" path="/a" service-url="{{u}}"/>`)
	write("a/policy.xml", `<policies><inbound><base/><include-fragment fragment-id="f"/><set-variable name="x" value="1"/></inbound></policies>`)
	base := load()

	for _, tc := range []struct {
		name, file, content string
		same                bool
	}{
		{"comment and formatting in the API policy", "a/policy.xml", "<!-- edited -->\n<policies>\n  <inbound>\n    <base/>\n    <include-fragment fragment-id=\"f\"/>\n    <!-- note -->\n    <set-variable name=\"x\" value=\"1\"/>\n  </inbound>\n</policies>\n", true},
		{"comment in the global policy", "policy.xml", "<policies><!-- c --><inbound><set-header name=\"X-G\" exists-action=\"override\"><value>g</value></set-header></inbound></policies>", true},
		{"formatting in api.xml", "a/api.xml", "<api name=\"a\"\n     type=\"websocket\" path=\"/a\"\n     service-url=\"{{u}}\" />\n", true},
		{"comment in a fragment", "fragments/f.xml", "<fragment>\n <!-- c -->\n <set-variable name=\"f\" value=\"1\"/>\n</fragment>", true},
		{"a value in the API policy", "a/policy.xml", `<policies><inbound><base/><include-fragment fragment-id="f"/><set-variable name="x" value="2"/></inbound></policies>`, false},
		{"a value in the global policy", "policy.xml", `<policies><inbound><set-header name="X-G" exists-action="override"><value>h</value></set-header></inbound></policies>`, false},
		{"a fragment", "fragments/f.xml", `<fragment><set-variable name="f" value="2"/></fragment>`, false},
		{"a named value", "named-values.xml", `<named-values><named-value name="u">ws://127.0.0.1:2/</named-value></named-values>`, false},
		{"an api.xml attribute", "a/api.xml", `<api name="a" type="websocket" path="/a" service-url="{{u}}" idle-timeout="9"/>`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orig, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer write(tc.file, string(orig))
			write(tc.file, tc.content)
			got := load()
			if same := got.Hash == base.Hash && got.APIs[0].Hash == base.APIs[0].Hash; same != tc.same {
				t.Errorf("snapshot %s -> %s, api %s -> %s: same = %v, want %v",
					base.Hash, got.Hash, base.APIs[0].Hash[:8], got.APIs[0].Hash[:8], same, tc.same)
			}
		})
	}
}
