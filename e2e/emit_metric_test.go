package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"

	"tollgate/gateway"
	tu "tollgate/internal/testutil"
	"tollgate/policies"
)

// emit-metric lands in the gateway's Prometheus registry with its
// dimensions as labels.
func TestEmitMetricToPrometheus(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(backend.Close)
	dir := t.TempDir()
	tu.WriteFile(t, filepath.Join(dir, "orders", "api.xml"), fmt.Sprintf(`<api name="orders" type="http" path="/orders" service-url=%q/>`, backend.URL))
	tu.WriteFile(t, filepath.Join(dir, "orders", "policy.xml"), `<policies>
  <inbound>
    <emit-metric name="Request" value="1" namespace="my-metrics">
      <dimension name="API ID" />
      <dimension name="Method" value="@(context.Request.Method)" />
    </emit-metric>
  </inbound>
  <backend><forward-request/></backend>
  <outbound/>
  <on-error/>
</policies>`)
	m := gateway.NewMetrics()
	gw := serveGateway(t, gateway.Options{
		Dir: dir, Metrics: m, Log: zap.NewNop(), Getenv: func(string) string { return "" },
		Registry: policies.Registry(policies.Deps{Metrics: m, Log: zap.NewNop()}),
	})
	for range 3 {
		resp, err := http.Get(gw + "/orders/1")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Post(gw+"/orders/1", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := `
# HELP request emit-metric Request
# TYPE request counter
request{api_id="orders",method="GET",namespace="my-metrics"} 3
request{api_id="orders",method="POST",namespace="my-metrics"} 1
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want), "request"); err != nil {
		t.Fatal(err)
	}
}
