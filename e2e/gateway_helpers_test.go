package e2e

import (
	"context"
	"testing"
	"time"

	"tollgate/gateway"
	"tollgate/gateway/h1/h1test"
)

// serveGateway starts gateway.New(o) on an httptest server and returns its
// URL. At cleanup the gateway is shut down (drained, within 5s), then the
// server's connections and the server are closed.
func serveGateway(tb testing.TB, o gateway.Options) string {
	tb.Helper()
	gw, err := gateway.New(o)
	if err != nil {
		tb.Fatalf("gateway.New(%s): %v", o.Dir, err)
	}
	srv := h1test.NewServer(gw)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = gw.Shutdown(ctx)
		srv.Close()
	})
	return srv.URL
}
