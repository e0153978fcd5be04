package gateway

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tollgate/gateway/h1/h1test"
	"tollgate/gateway/upstream"
	"tollgate/internal/testutil"
	"tollgate/policies"
	"tollgate/store"
)

// TestBackendPoolsBounded: a client that sends each request to a new
// backend host (a policy takes the host from a header, as in the
// set-backend-service example of backend-transport.md) leaves at most as
// many backend pools as there are idle connections (MaxIdleConns) and
// requests in flight, and none once the idle connections are closed;
// and a busy tenant's connection, going idle at the limit, takes the
// place of an older one instead of being closed: it is dialled once
// however long the flood.
func TestBackendPoolsBounded(t *testing.T) {
	const requests, workers = 10000, 4
	be := testutil.ServeTCP(t, func(c net.Conn) {
		defer c.Close()
		buf := make([]byte, 4096)
		for {
			// One request per read: the gateway waits for each answer.
			if _, err := c.Read(buf); err != nil {
				return
			}
			if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"); err != nil {
				return
			}
		}
	})
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "tenant"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		"tenant/api.xml": `<api name="tenant" type="http" path="/t" service-url="http://placeholder.example.net"/>`,
		"tenant/policy.xml": `<policies><inbound><set-backend-service base-url="@(&quot;http://&quot; + context.Request.Headers.GetValueOrDefault(&quot;X-Tenant&quot;,&quot;&quot;) + &quot;.example.net&quot;)"/></inbound>` +
			`<backend><forward-request/></backend><outbound/><on-error/></policies>`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(Options{Dir: dir, Registry: policies.Registry(policies.Deps{Store: store.NewMemory()}),
		Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	up, ok := s.rest.(*upstream.Transport)
	if !ok {
		t.Fatalf("the REST client is %T, not upstream's", s.rest)
	}
	// Every tenant's name reaches the one backend (set before any request).
	var d net.Dialer
	var busyDials atomic.Int32
	up.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == "busy.example.net:80" {
			busyDials.Add(1)
		}
		return d.DialContext(ctx, network, be)
	}
	ts := h1test.NewServer(s)
	t.Cleanup(ts.Close)

	// A worker's request may still hold its backend connection as the
	// next one starts: two per worker in flight. At the limit, the
	// oldest idle connections are closed a sixteenth of MaxIdleConns at a
	// time, and their pools go as they close: a few batches' worth.
	inFlight := 2 * (workers + 1)
	bound := up.MaxIdleConns + up.MaxIdleConns/4 + inFlight
	var mu sync.Mutex
	most := 0
	var wg sync.WaitGroup
	errs := make(chan error, workers+1)
	flood := make(chan struct{})
	busy := 0
	var busyWG sync.WaitGroup
	busyWG.Go(func() {
		c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
		defer c.CloseIdleConnections()
		for {
			select {
			case <-flood:
				return
			default:
			}
			req, _ := http.NewRequest("GET", ts.URL+"/t/x", nil)
			req.Header.Set("X-Tenant", "busy")
			resp, err := c.Do(req)
			if err != nil {
				errs <- err
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			busy++
			time.Sleep(time.Millisecond)
		}
	})
	for w := range workers {
		wg.Go(func() {
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			defer c.CloseIdleConnections()
			for i := w; i < requests; i += workers {
				req, _ := http.NewRequest("GET", ts.URL+"/t/x", nil)
				req.Header.Set("X-Tenant", fmt.Sprintf("tenant%d", i))
				resp, err := c.Do(req)
				if err != nil {
					errs <- err
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(b) != "ok" {
					errs <- fmt.Errorf("tenant%d: %d %q", i, resp.StatusCode, b)
					return
				}
				n := up.PoolCount()
				mu.Lock()
				most = max(most, n)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(flood)
	busyWG.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("%d requests to as many hosts: at most %d pools (bound %d); the busy tenant's %d requests dialled %d times",
		requests, most, bound, busy, busyDials.Load())
	// Its connection is closed only when it goes idle at the limit while
	// another put walks the pools and that walk's room is taken already
	// (evictIdle: the idle connections never exceed the limit by a
	// batch). On a loaded machine a walk can be descheduled for as long
	// as a batch of other requests takes (CI: 27 dials in 1,440
	// requests, 3 and 5 in other runs; alone, once). Closing the new
	// connection at the limit instead, as before, dialled 677 times in
	// 743 requests.
	if busy < 100 || busyDials.Load() > max(2, int32(busy/25)) {
		t.Errorf("the busy tenant's %d requests dialled %d times, want at most one in 25", busy, busyDials.Load())
	}
	if most > bound {
		t.Errorf("%d pools at most, want at most %d", most, bound)
	}
	if up.MaxIdleConns <= 0 || most < up.MaxIdleConns/2 {
		t.Errorf("at most %d pools, MaxIdleConns %d: the test did not fill the idle connections", most, up.MaxIdleConns)
	}
	// Once the last evicted ones are closed: a pool per idle connection,
	// the batch over the limit at most.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		n, want := up.PoolCount(), up.MaxIdleConns+up.MaxIdleConns/16
		if n <= want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d pools after the flood, want at most %d", n, want)
		}
	}
	// The last answers' connections may go back to their pools just
	// after their clients read them.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		up.CloseIdleConnections()
		n := up.PoolCount()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d pools left once the idle connections were closed, want 0", n)
		}
	}
}
