package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"tollgate/internal/testutil"
)

// tollgate check --gateway NAME lists the APIs the gateway resource
// serves, and names the gateways the folder has when NAME is not one.
func TestCheckGateway(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"orders", "users"} {
		testutil.WriteFile(t, filepath.Join(dir, "apis", name, "apiInformation.json"), `{"properties": {"path": "`+name+`", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
	}
	testutil.WriteFile(t, filepath.Join(dir, "gateways/edge/gatewayInformation.json"), `{"properties": {"locationData": {"name": "plant"}}}`)
	testutil.WriteFile(t, filepath.Join(dir, "gateways/edge/apis.json"), `[{"name": "orders"}]`)
	for _, c := range []struct {
		args      []string
		code      int
		want, not []string
	}{
		{[]string{"--gateway", "edge"}, 0, []string{"ok  orders", "ignored: API users (not assigned to gateway edge)"}, []string{"ok  users"}},
		{nil, 0, []string{"ok  orders", "ok  users", "ignored: gateways (every API is served"}, nil},
		{[]string{"--gateway", "cloud"}, 1, []string{`gateway "cloud" is not in the folder (gateways: edge)`}, []string{"ok  "}},
	} {
		checkRun(t, dir, c.args, c.code, c.want, c.not)
	}
}

// checkRun runs tollgate check with args on dir and fails unless it exits
// with code and its output holds every want and no not.
func checkRun(t *testing.T, dir string, args []string, code int, want, not []string) {
	t.Helper()
	var out, errb bytes.Buffer
	if got := run(append(append([]string{"check"}, args...), dir), &out, &errb); got != code {
		t.Fatalf("%v: exit %d, want %d\n%s%s", args, got, code, out.String(), errb.String())
	}
	for _, w := range want {
		if !strings.Contains(out.String(), w) {
			t.Fatalf("%v: output lacks %q:\n%s", args, w, out.String())
		}
	}
	for _, w := range not {
		if strings.Contains(out.String(), w) {
			t.Fatalf("%v: output has %q:\n%s", args, w, out.String())
		}
	}
}
