package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"tollgate/internal/redistest"
	"tollgate/internal/testutil"
)

// APIM's limit-concurrency (the wrapper around forward-request, its
// documented example with max-count 1) on two in-process replicas sharing
// one Redis: while one replica's call is in flight, neither replica lets a
// second call with the same key through; once it is answered, the slot is
// free on both.
func TestRedisConcurrencyWrapperAcrossReplicas(t *testing.T) {
	rds := redistest.Start(t)
	entered := make(chan string, 16)
	gate := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(gate) }) }
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- r.Header.Get("X-Connection")
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
		fmt.Fprint(w, "answered")
	}))
	t.Cleanup(be.Close)
	t.Cleanup(open)

	dir := t.TempDir()
	testutil.WriteFile(t, filepath.Join(dir, "lc", "api.xml"), fmt.Sprintf(`<api name="lc" type="http" path="/lc" service-url=%q/>`, be.URL+"/"))
	testutil.WriteFile(t, filepath.Join(dir, "lc", "policy.xml"), `<policies>
  <inbound>
    <set-variable name="connectionId" value="@(context.Request.Headers.GetValueOrDefault(&quot;X-Connection&quot;, &quot;none&quot;))" />
  </inbound>
  <backend>
    <limit-concurrency key="@((string)context.Variables[&quot;connectionId&quot;])" max-count="1">
      <forward-request timeout="120"/>
    </limit-concurrency>
  </backend>
  <outbound/>
  <on-error/>
</policies>
`)
	a := rdNewInstance(t, "A", dir, rdNewRedisStore(t, rds, time.Second))
	b := rdNewInstance(t, "B", dir, rdNewRedisStore(t, rds, time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	call := func(base, conn string) rdResult {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/lc/x", nil)
		req.Header.Set("X-Connection", conn)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return rdResult{body: err.Error()}
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return rdResult{status: resp.StatusCode, body: string(body)}
	}
	waitEntered := func(want string) {
		t.Helper()
		select {
		case c := <-entered:
			if c != want {
				t.Fatalf("backend got %q, want %q", c, want)
			}
		case <-ctx.Done():
			t.Fatalf("the call for %q never reached the backend", want)
		}
	}

	held := make(chan rdResult, 1)
	go func() { held <- call(a.url, "c1") }()
	waitEntered("c1")
	for _, inst := range []*rdInstance{a, b} {
		res := call(inst.url, "c1")
		if res.status != http.StatusTooManyRequests || res.body != `{"statusCode":429,"message":"Too many concurrent requests"}` {
			t.Fatalf("via %s while A's call is in flight: %d %s; want 429", inst.name, res.status, res.body)
		}
	}
	other := make(chan rdResult, 1)
	go func() { other <- call(b.url, "c2") }() // another key: its own slot
	waitEntered("c2")

	open()
	for _, ch := range []chan rdResult{held, other} {
		if res := <-ch; res.status != 200 || res.body != "answered" {
			t.Fatalf("held call: %d %s", res.status, res.body)
		}
	}
	for _, inst := range []*rdInstance{b, a} {
		if res := call(inst.url, "c1"); res.status != 200 {
			t.Fatalf("via %s after the call was answered: %d %s", inst.name, res.status, res.body)
		}
	}
}
