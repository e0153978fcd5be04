package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"tollgate/gateway"
	"tollgate/internal/redistest"
	"tollgate/internal/testutil"
	"tollgate/policies"
	"tollgate/store"
)

// replica is one gateway of several sharing one Redis.
type replica struct {
	url, admin string
}

func startReplica(t *testing.T, dir, redisURL string) replica {
	t.Helper()
	rs, err := store.NewRedis(context.Background(), redisURL, store.RedisOptions{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rs.Close() })
	srv, err := gateway.New(gateway.Options{Dir: dir, Registry: policies.Registry(policies.Deps{Store: rs}),
		Subscriptions: store.NewRedisSubscriptions(rs), Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	admin := httptest.NewServer(srv.AdminHandler())
	t.Cleanup(admin.Close)
	return replica{url: ts.URL, admin: admin.URL}
}

func cli(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(append([]string{"subscription"}, args...), &out, &errb); code != 0 {
		t.Fatalf("tollgate subscription %v: exit %d\n%s%s", args, code, out.String(), errb.String())
	}
	return out.String()
}

func status(t *testing.T, url, key string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if key != "" {
		req.Header.Set("Ocp-Apim-Subscription-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

var keyLine = regexp.MustCompile(`(?m)^(?:primary|secondary) +(\S+)$|^([A-Za-z0-9_-]{43})$`)

func keysOf(out string) []string {
	var keys []string
	for _, m := range keyLine.FindAllStringSubmatch(out, -1) {
		keys = append(keys, m[1]+m[2])
	}
	return keys
}

// TestSubscriptionCLIAcrossReplicas: subscriptions made with the CLI on one
// replica work on another through Redis, rotate and suspend without a
// restart, and their rate limit is one counter for both replicas.
func TestSubscriptionCLIAcrossReplicas(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	t.Cleanup(backend.Close)
	dir := t.TempDir()
	testutil.WriteFile(t, filepath.Join(dir, "echo", "api.xml"), `<api name="echo" type="http" path="/echo" service-url="`+backend.URL+`" subscription-required="true"/>`)
	testutil.WriteFile(t, filepath.Join(dir, "echo", "policy.xml"), `<policies><inbound><rate-limit calls="4" renewal-period="60"/></inbound>
<backend><forward-request/></backend><outbound/><on-error/></policies>`)
	redis := redistest.Start(t)
	a, b := startReplica(t, dir, redis.URL()), startReplica(t, dir, redis.URL())

	out := cli(t, "create", "--admin", a.admin, "--scope", "/apis/echo", "--owner", "alice", "--name", "Alice", "alice")
	keys := keysOf(out)
	if len(keys) != 2 || keys[0] == keys[1] {
		t.Fatalf("create printed %q", out)
	}
	if got := status(t, b.url+"/echo/x", keys[0]); got != 200 {
		t.Fatalf("primary key on the other replica: %d", got)
	}
	if got := status(t, a.url+"/echo/x", keys[1]); got != 200 {
		t.Fatalf("secondary key: %d", got)
	}
	// 2 calls so far; the limit of 4 is one counter across both replicas.
	if s1, s2, s3 := status(t, b.url+"/echo/x", keys[0]), status(t, a.url+"/echo/x", keys[0]), status(t, b.url+"/echo/x", keys[1]); s1 != 200 || s2 != 200 || s3 != 429 {
		t.Fatalf("calls 3-5 across replicas: %d %d %d, want 200 200 429", s1, s2, s3)
	}

	out = cli(t, "regenerate", "--admin", b.admin, "--key", "primary", "alice")
	fresh := keysOf(out)
	if len(fresh) != 1 || fresh[0] == keys[0] {
		t.Fatalf("regenerate printed %q", out)
	}
	if got := status(t, a.url+"/echo/x", keys[0]); got != 401 {
		t.Errorf("the old primary key after regenerate: %d, want 401", got)
	}
	if got := status(t, a.url+"/echo/x", fresh[0]); got != 429 {
		t.Errorf("the new primary key: %d, want 429 (the same subscription's counter)", got)
	}
	cli(t, "suspend", "--admin", a.admin, "alice")
	if got := status(t, b.url+"/echo/x", keys[1]); got != 401 {
		t.Errorf("a suspended subscription: %d, want 401", got)
	}
	cli(t, "activate", "--admin", a.admin, "alice")
	if got := status(t, b.url+"/echo/x", keys[1]); got != 429 {
		t.Errorf("reactivated: %d, want 429 (limited, not refused)", got)
	}

	list := cli(t, "list", "--admin", b.admin)
	if !regexp.MustCompile(`alice +/apis/echo +active +alice +Alice +store`).MatchString(list) {
		t.Errorf("list:\n%s", list)
	}
	for _, k := range append(keys, fresh...) {
		if strings.Contains(list, k) || strings.Contains(list, gateway.HashKey(k)) {
			t.Errorf("list shows a key or its hash:\n%s", list)
		}
	}

	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"create", "--admin", a.admin, "x"}, 2, "--scope is required"},
		{[]string{"create", "--admin", a.admin, "--scope", "/nope", "x"}, 1, "scope must be"},
		{[]string{"suspend", "--admin", a.admin, "nobody"}, 1, "no subscription nobody"},
		{[]string{"regenerate", "--admin", a.admin, "--key", "third", "alice"}, 2, "primary or secondary"},
		{[]string{"list", "--admin", "127.0.0.1:1"}, 1, "does not answer"},
		{[]string{"bogus"}, 2, "unknown command"},
	} {
		var out, errb bytes.Buffer
		code := run(append([]string{"subscription"}, tc.args...), &out, &errb)
		if code != tc.code || !strings.Contains(errb.String(), tc.msg) {
			t.Errorf("%v: exit %d %q, want %d %q", tc.args, code, errb.String(), tc.code, tc.msg)
		}
	}
}
