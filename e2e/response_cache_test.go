package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"tollgate/gateway"
	"tollgate/internal/redistest"
	"tollgate/internal/testutil"
	"tollgate/policies"
	"tollgate/store"
)

// cacheBackend answers every GET with a body naming the call, so a cached
// answer is recognisable, and counts the calls.
func cacheBackend(tb testing.TB, size int) (*httptest.Server, *atomic.Int64) {
	var calls atomic.Int64
	pad := strings.Repeat("x", size)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "call %d %s %s", n, r.URL.RequestURI(), pad)
	}))
	tb.Cleanup(srv.Close)
	return srv, &calls
}

const cachePolicy = `<policies>
  <inbound>
    <cache-lookup vary-by-developer="false" vary-by-developer-groups="false" downstream-caching-type="public" must-revalidate="true">
      <vary-by-query-parameter>version</vary-by-query-parameter>
    </cache-lookup>
  </inbound>
  <backend><forward-request/></backend>
  <outbound><cache-store duration="60"/></outbound>
  <on-error/>
</policies>`

func cacheAPIs(tb testing.TB, backend, policy string) string {
	dir := tb.TempDir()
	testutil.WriteFile(tb, filepath.Join(dir, "items", "api.xml"),
		fmt.Sprintf(`<api name="items" type="http" path="/items" service-url=%q/>`, backend))
	testutil.WriteFile(tb, filepath.Join(dir, "items", "policy.xml"), policy)
	return dir
}

func cacheGateway(tb testing.TB, dir string, st store.Store) string {
	return serveGateway(tb, gateway.Options{
		Dir:      dir,
		Registry: policies.Registry(policies.Deps{Store: st, Log: zap.NewNop()}),
		Log:      zap.NewNop(),
		Getenv:   func(string) string { return "" },
	})
}

func cacheGet(tb testing.TB, url string) (string, string) {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		tb.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b), resp.Header.Get("Cache-Control")
}

// Two replicas with their own Redis clients share one cache: what A stored
// B serves without calling the backend; vary-by-query-parameter keys apart.
func TestResponseCacheSharedByReplicasThroughRedis(t *testing.T) {
	rds := redistest.Start(t)
	backend, calls := cacheBackend(t, 0)
	dir := cacheAPIs(t, backend.URL, cachePolicy)
	a := cacheGateway(t, dir, rdNewRedisStore(t, rds, 2*time.Second))
	b := cacheGateway(t, dir, rdNewRedisStore(t, rds, 2*time.Second))

	steps := []struct {
		gw, path, body string
		calls          int64
	}{
		{a, "/items/1?version=1", "call 1 /1?version=1 ", 1}, // miss: stored in Redis
		{b, "/items/1?version=1", "call 1 /1?version=1 ", 1}, // hit on the other replica
		{b, "/items/1?version=1&page=2", "call 1 /1?version=1 ", 1},
		{b, "/items/1?version=2", "call 2 /1?version=2 ", 2}, // vary: miss
		{a, "/items/1?version=2", "call 2 /1?version=2 ", 2},
	}
	for i, s := range steps {
		body, cc := cacheGet(t, s.gw+s.path)
		if body != s.body || calls.Load() != s.calls {
			t.Fatalf("step %d %s: body %q, backend calls %d; want %q, %d", i, s.path, body, calls.Load(), s.body, s.calls)
		}
		if !strings.HasPrefix(cc, "public, max-age=") || !strings.HasSuffix(cc, ", must-revalidate") {
			t.Errorf("step %d: Cache-Control %q", i, cc)
		}
	}
	// The entries live under the store's namespace, hashed.
	keys := redisKeys(t, rds)
	if len(keys) != 2 {
		t.Fatalf("redis keys %v, want 2 cache entries", keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, store.DefaultRedisPrefix) || strings.Contains(k, "version") {
			t.Errorf("key %q", k)
		}
	}
}

// Without Redis the cache is the gateway's own LRU.
func TestResponseCacheInMemory(t *testing.T) {
	backend, calls := cacheBackend(t, 0)
	gw := cacheGateway(t, cacheAPIs(t, backend.URL, cachePolicy), store.NewMemory())
	for range 3 {
		if body, _ := cacheGet(t, gw+"/items/a"); body != "call 1 /a " {
			t.Fatalf("body %q", body)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("backend called %d times", calls.Load())
	}
}

// BenchmarkResponseCache compares a GET answered from the cache with the
// same GET forwarded to a local backend (the call the cache saves), through
// a real gateway and real sockets:
//
//	go test -run x -bench ResponseCache -benchtime 2000x ./e2e/
func BenchmarkResponseCache(b *testing.B) {
	backend, _ := cacheBackend(b, 1024)
	noCache := `<policies><inbound/><backend><forward-request/></backend><outbound/><on-error/></policies>`
	rds := redistest.Start(b)
	for _, c := range []struct {
		name   string
		policy string
		st     store.Store
	}{
		{"backend", noCache, store.NewMemory()},
		{"hit-memory", cachePolicy, store.NewMemory()},
		{"hit-redis", cachePolicy, rdNewRedisStore(b, rds, 2*time.Second)},
	} {
		b.Run(c.name, func(b *testing.B) {
			gw := cacheGateway(b, cacheAPIs(b, backend.URL, c.policy), c.st)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			get := func() {
				resp, err := client.Get(gw + "/items/bench?version=1")
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			get() // fill the cache
			b.ResetTimer()
			for range b.N {
				get()
			}
		})
	}
}

// redisKeys lists every key in rds.
func redisKeys(tb testing.TB, rds *redistest.Server) []string {
	tb.Helper()
	rc := redis.NewClient(&redis.Options{Addr: rds.Addr()})
	defer rc.Close()
	keys, err := rc.Keys(context.Background(), "*").Result()
	if err != nil {
		tb.Fatal(err)
	}
	return keys
}
