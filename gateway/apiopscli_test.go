package gateway_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestAPIOpsCLICamelFolders loads the layout Azure/apiops-cli (APIOps v2)
// extracts: namedValues/, policyFragments/ (policy.xml next to
// policyFragmentInformation.json) and versionSets/NAME/versionSetInformation.json,
// in the service and in a workspace. Either layout serves the same; a folder
// with both names of one kind is a load error, and a version set that is
// missing is looked for under the layout's own name.
func TestAPIOpsCLICamelFolders(t *testing.T) {
	for _, scope := range []string{"", "workspaces/team/"} {
		t.Run("scope="+scope, func(t *testing.T) {
			dir := t.TempDir()
			if scope != "" {
				writeFile(t, dir, scope+"workspaceInformation.json", `{"properties": {"displayName": "Team"}}`)
			}
			writeFile(t, dir, scope+"namedValues/backend-key/namedValueInformation.json",
				`{"properties": {"displayName": "backend-key", "value": "k-123", "secret": false}}`)
			writeFile(t, dir, scope+"policyFragments/add-hdr/policyFragmentInformation.json", `{"properties": {"description": "adds a header"}}`)
			writeFile(t, dir, scope+"policyFragments/add-hdr/policy.xml",
				`<fragment><set-header name="x-frag" exists-action="override"><value>{{backend-key}}</value></set-header></fragment>`)
			writeFile(t, dir, scope+"versionSets/orders/versionSetInformation.json",
				`{"properties": {"displayName": "orders", "versioningScheme": "Header", "versionHeaderName": "x-version"}}`)
			api := func(name, svc, extra string) {
				writeFile(t, dir, scope+"apis/"+name+"/apiInformation.json", fmt.Sprintf(
					`{"properties": {"path": "orders", "serviceUrl": %q, "subscriptionRequired": false,
					  "apiVersionSetId": "/subscriptions/x/resourceGroups/r/providers/Microsoft.ApiManagement/service/s/apiVersionSets/orders"%s}}`, svc, extra))
				writeFile(t, dir, scope+"apis/"+name+"/policy.xml", `<policies><inbound><base /><include-fragment fragment-id="add-hdr" />`+
					`<set-header name="x-key" exists-action="override"><value>{{backend-key}}</value></set-header></inbound>`+
					`<backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`)
			}
			v1 := newRESTBackend(t, nil)
			v2 := newRESTBackend(t, nil)
			api("orders", v1.url, "")
			api("orders-v2", v2.url, `, "apiVersion": "v2"`)

			g := startGateway(t, dir)
			for _, tc := range []struct {
				version string
				be      *restBackend
			}{{"", v1}, {"v2", v2}} {
				h := http.Header{}
				if tc.version != "" {
					h.Set("x-version", tc.version)
				}
				resp, body := get(t, g.url+"/orders/42", h)
				if resp.StatusCode != 200 {
					t.Fatalf("version %q: %d %s", tc.version, resp.StatusCode, body)
				}
				seen := tc.be.last.Load()
				if seen == nil || seen.path != "/42" || seen.header.Get("X-Key") != "k-123" || seen.header.Get("X-Frag") != "k-123" {
					t.Errorf("version %q: backend saw %+v", tc.version, seen)
				}
			}
			resp, body := get(t, g.url+"/orders/42", http.Header{"X-Version": {"v9"}})
			if resp.StatusCode != 404 || !strings.Contains(body, "X-Version") {
				t.Errorf("unknown version: %d %s", resp.StatusCode, body)
			}

			// Both names of one kind: an error naming the folder.
			writeFile(t, dir, scope+"named values/other/namedValueInformation.json", `{"properties": {"displayName": "other", "value": "x"}}`)
			// (named values/ is read; the policies' {{backend-key}} is then unknown too.)
			if _, errs := load(t, dir); !slices.ContainsFunc(errs, func(e string) bool {
				return strings.Contains(e, scope+"namedValues: both named values/ (APIOps' extractor) and namedValues/ (apiops-cli) are here")
			}) {
				t.Errorf("errors %q", errs)
			}
			mustRemove(t, dir, scope+"named values")

			// A missing version set is looked for where apiops-cli writes it.
			mustRemove(t, dir, scope+"versionSets/orders")
			writeFile(t, dir, scope+"versionSets/keep/versionSetInformation.json", `{"properties": {"versioningScheme": "Segment"}}`)
			_, errs := load(t, dir)
			if len(errs) != 2 || !strings.Contains(errs[0], `which is missing (versionSets/orders/versionSetInformation.json)`) {
				t.Errorf("errors %q", errs)
			}
		})
	}
}

func mustRemove(t *testing.T, dir, rel string) {
	t.Helper()
	if err := os.RemoveAll(filepath.Join(dir, rel)); err != nil {
		t.Fatal(err)
	}
}
