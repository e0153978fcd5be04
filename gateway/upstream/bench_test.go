package upstream_test

import (
	"net/http"
	"testing"

	"tollgate/gateway/upstream"
	"tollgate/internal/testutil"
)

// BenchmarkRoundTrip is one keep-alive GET and its 3-byte body against a
// raw backend, with upstream and with net/http's Transport: the client's
// own cost, without a proxy around it.
func BenchmarkRoundTrip(b *testing.B) {
	for _, tc := range []struct {
		name string
		rt   func() interface {
			http.RoundTripper
			CloseIdleConnections()
		}
	}{
		{"upstream", func() interface {
			http.RoundTripper
			CloseIdleConnections()
		} {
			return &upstream.Transport{MaxIdleConnsPerHost: 64}
		}},
		{"nethttp", func() interface {
			http.RoundTripper
			CloseIdleConnections()
		} {
			return &http.Transport{MaxIdleConnsPerHost: 64}
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			addr := testutil.RawHTTPBackend(b, "text/plain", "ok\n")
			rt := tc.rt()
			defer rt.CloseIdleConnections()
			url := "http://" + addr + "/x"
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				buf := make([]byte, 64)
				for pb.Next() {
					req, _ := http.NewRequest("GET", url, nil)
					resp, err := rt.RoundTrip(req)
					if err != nil {
						b.Error(err)
						return
					}
					for {
						if _, err := resp.Body.Read(buf); err != nil {
							break
						}
					}
					resp.Body.Close()
				}
			})
		})
	}
}
