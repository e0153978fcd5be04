package e2e

// What a shared Redis store costs compared with the in-process Memory store:
//
//	go test -run '^$' -bench 'RedisLimitCheck|RedisHandshake' -benchtime 3s ./e2e/
//
// BenchmarkRedisLimitCheck runs a compiled rate-limit-by-key step directly,
// from GOMAXPROCS*4 goroutines (checks/s is the figure to read).
// BenchmarkRedisHandshake times full WebSocket handshakes (dial, policies,
// backend dial, 101; the close is not timed) through an in-process gateway with no limit policy, a
// rate-limit-by-key on Memory and one on Redis (µs/handshake; the added
// latency is the difference with "none"). docs/limits.md has figures.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"

	"tollgate/engine"
	"tollgate/internal/redistest"
	"tollgate/internal/testutil"
	"tollgate/policies"
	"tollgate/store"
)

// rdBenchStores are the stores compared: a fresh Memory, or a Redis client
// on a throw-away redis-server.
func rdBenchStore(b *testing.B, kind string) store.Store {
	b.Helper()
	switch kind {
	case "memory":
		m := store.NewMemory()
		b.Cleanup(func() { _ = m.Close() })
		return m
	case "redis":
		return rdNewRedisStore(b, redistest.Start(b), time.Second)
	}
	b.Fatalf("unknown store %q", kind)
	return nil
}

// rdBenchPolicy never rejects: the benchmark measures the check, not 429s.
const rdBenchPolicy = `<rate-limit-by-key calls="2000000000" renewal-period="60" counter-key="@(context.Request.IpAddress)"/>`

func BenchmarkRedisLimitCheck(b *testing.B) {
	for _, kind := range []string{"memory", "redis"} {
		b.Run(kind, func(b *testing.B) {
			st := rdBenchStore(b, kind)
			src := "<policies><inbound>" + rdBenchPolicy + "</inbound><backend/><outbound/><on-error/></policies>"
			root, err := engine.Read("policy.xml", []byte(src))
			if err != nil {
				b.Fatal(err)
			}
			c := engine.NewCompiler(policies.Registry(policies.Deps{Store: st, Log: zap.NewNop()}), engine.NewNamedValues())
			plan := c.Compile(root, "api", nil)
			if errs := c.Errors(); len(errs) > 0 {
				b.Fatal(errs.Error())
			}
			api := &engine.Api{Name: "bench", Type: "websocket", Path: "/bench", ServiceUrl: "ws://127.0.0.1:1/"}
			u, _ := url.Parse("ws://gw.example/bench")
			var ids atomic.Int64
			var failed atomic.Value
			b.SetParallelism(4)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				// One client IP (one counter) per goroutine.
				id := ids.Add(1)
				ip := fmt.Sprintf("10.0.%d.%d", id/256, id%256)
				h := http.Header{}
				ctx := context.Background()
				for pb.Next() {
					s := engine.AcquireState(api)
					s.SetRequest(http.MethodGet, "ws", u.Host, u, h, ip)
					if plan.Run(ctx, engine.Inbound, s) {
						failed.Store(fmt.Sprint(s.LastError()))
					}
					s.Release()
				}
			})
			b.StopTimer()
			if f := failed.Load(); f != nil {
				b.Fatalf("a check was refused or failed: %v", f)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
		})
	}
}

func BenchmarkRedisHandshake(b *testing.B) {
	backend := testutil.EchoBackend(b)
	for _, kind := range []string{"none", "memory", "redis"} {
		b.Run(kind, func(b *testing.B) {
			inbound := rdBenchPolicy
			var st store.Store
			if kind == "none" {
				inbound, st = "", store.NewMemory()
				b.Cleanup(func() { _ = st.Close() })
			} else {
				st = rdBenchStore(b, kind)
			}
			dir := rdWriteAPIs(b, backend.URL, rdAPI{"ws", true, inbound})
			inst := rdNewInstance(b, kind, dir, st)
			wsURL := "ws://" + strings.TrimPrefix(inst.url, "http://") + "/ws"
			ctx := context.Background()
			// Only the dial (request, policies, backend dial, 101) is timed;
			// the close is not.
			hs := func() {
				c, resp, err := websocket.Dial(ctx, wsURL, nil)
				b.StopTimer()
				if err != nil {
					status := 0
					if resp != nil {
						status = resp.StatusCode
					}
					b.Fatalf("dial: %v (HTTP %d)", err, status)
				}
				_ = c.Close(websocket.StatusNormalClosure, "")
				b.StartTimer()
			}
			for range 20 { // warm the connection pools
				hs()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				hs()
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/handshake")
			if n := inst.logs.FilterMessageSnippet("store call failed").Len(); n > 0 {
				b.Fatalf("%d store failures during the benchmark", n)
			}
		})
	}
}
