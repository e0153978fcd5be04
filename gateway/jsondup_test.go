package gateway_test

import (
	"path/filepath"
	"strings"
	"testing"

	"tollgate/gateway"
)

// TestOwnJSONFilesDuplicateNames: a name given twice in one object of
// tollgate's own JSON files (the named values file, the subscription keys
// file) is a load error at the second naming the first, where
// encoding/json kept the last without a word; a value is never quoted.
func TestOwnJSONFilesDuplicateNames(t *testing.T) {
	for _, tc := range []struct {
		name, file, content string
		opt                 func(o *gateway.LoadOptions, path string)
		want                []string
	}{
		{"named values file", "values.json", "{\n  \"tenant\": \"SECRET-a\",\n  \"other\": \"x\",\n  \"tenant\": \"SECRET-b\"\n}\n",
			func(o *gateway.LoadOptions, p string) { o.NamedValuesFile = p },
			[]string{`values.json:4:3: "tenant" is given twice in one object: here and at values.json:2:3 (which one is meant cannot be told)`}},
		{"keys file, nested", "keys.json", `{"alice": {"primaryKey": "SECRET-1", "primaryKey": "SECRET-2"}, "bob": {"primaryKey": "SECRET-3"}, "bob": {}}`,
			func(o *gateway.LoadOptions, p string) { o.SubscriptionKeys = p },
			[]string{`keys.json:1:38: "primaryKey" is given twice in one object: here and at keys.json:1:12 (which one is meant cannot be told)`,
				`keys.json:1:100: "bob" is given twice in one object: here and at keys.json:1:65 (which one is meant cannot be told)`}},
		{"no duplicates: names again in other objects, arrays", "values.json", `{"a": {"x": 1}, "b": {"x": [{"x": 1}, {"x": 2}]}, "c": "a"}`,
			func(o *gateway.LoadOptions, p string) { o.NamedValuesFile = p }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "apis/a/apiInformation.json", `{"properties": {"path": "a", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
			side := t.TempDir()
			writeFile(t, side, tc.file, tc.content)
			opt := gateway.LoadOptions{Getenv: func(string) string { return "" }}
			tc.opt(&opt, filepath.Join(side, tc.file))
			_, errs := loadDirWith(t, dir, opt)
			var got []string
			for _, e := range errs {
				if strings.Contains(e, "given twice") {
					got = append(got, strings.ReplaceAll(e, side+string(filepath.Separator), ""))
				}
				if strings.Contains(e, "SECRET") {
					t.Errorf("a value quoted: %s", e)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
