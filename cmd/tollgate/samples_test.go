package main

import (
	"bytes"
	"strings"
	"testing"
)

// The APIOps sample folder (samples/apiops, with a workspace) checks as
// its README shows.
func TestCheckAPIOpsSample(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"check", "--subscription-keys", "../../samples/apiops-subscription-keys.json", "../../samples/apiops"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	for _, want := range []string{
		"ok  people               http      /people              -> http://127.0.0.1:7070/people  (workspace hr)",
		"ok  echo                 http      /echo                -> http://127.0.0.1:7070",
		"ok  echo-mcp             mcp       /echo-mcp            -> tools: get-item",
		"ignored: protocols https of API echo",
		"ok  agent-a2a            a2a       /market-analyst      -> http://127.0.0.1:7071",
		"ok  echo-graphql         graphql   /echo-graphql        -> (synthetic GraphQL: 1 resolver)",
		"ok  echo-sticky          http      /echo-sticky         -> (no serviceUrl: the policy sets the backend)",
	} {
		if !strings.Contains(out.String(), want) || strings.Contains(out.String(), "ignored: resolvers") {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
