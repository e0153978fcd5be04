package main

import (
	"path/filepath"
	"testing"

	"tollgate/internal/testutil"
)

// tollgate check lists a workspace's APIs with their workspace; --workspace
// NAME lists only that workspace's, and names the workspaces the folder has
// when NAME is not one; it does not go with --gateway.
func TestCheckWorkspace(t *testing.T) {
	dir := t.TempDir()
	testutil.WriteFile(t, filepath.Join(dir, "apis/orders/apiInformation.json"), `{"properties": {"path": "orders", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
	testutil.WriteFile(t, filepath.Join(dir, "workspaces/hr/workspaceInformation.json"), `{"properties": {"displayName": "HR"}}`)
	testutil.WriteFile(t, filepath.Join(dir, "workspaces/hr/apis/people/apiInformation.json"), `{"properties": {"path": "people", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
	testutil.WriteFile(t, filepath.Join(dir, "gateways/edge/gatewayInformation.json"), `{"properties": {}}`)
	for _, c := range []struct {
		args      []string
		code      int
		want, not []string
	}{
		{nil, 0, []string{"ok  orders", "ok  people", "(workspace hr)"}, []string{"ignored: workspaces"}},
		{[]string{"--workspace", "hr"}, 0, []string{"ok  people", "ignored: API orders (not in workspace hr)"}, []string{"ok  orders"}},
		{[]string{"--workspace", "sales"}, 1, []string{`workspace "sales" is not in the folder (workspaces: hr)`}, []string{"ok  "}},
		{[]string{"--workspace", "hr", "--gateway", "edge"}, 2, nil, []string{"ok  "}},
	} {
		checkRun(t, dir, c.args, c.code, c.want, c.not)
	}
}
