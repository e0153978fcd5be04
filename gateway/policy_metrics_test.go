package gateway_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	promtest "github.com/prometheus/client_golang/prometheus/testutil"

	"tollgate/gateway"
	"tollgate/policies"
	"tollgate/store"
)

// withMetrics gives the gateway and its policies one Prometheus registry.
func withMetrics(m *gateway.Metrics) gwOption {
	return func(o *gateway.Options) {
		o.Metrics = m
		o.Registry = policies.Registry(policies.Deps{Store: store.NewMemory(), Metrics: m})
	}
}

// metricsDoc reads one of APIM's documented examples.
func metricsDoc(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "apim-docs-metrics", name+".xml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// usageBackend answers like an OpenAI chat completion with usage (30 + 50
// tokens).
func usageBackend(t *testing.T) string {
	return newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"c1","object":"chat.completion","choices":[],"usage":{"prompt_tokens":30,"completion_tokens":50,"total_tokens":80}}`))
	}).URL
}

func post(t *testing.T, url string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(testCtx(t), http.MethodPost, url, strings.NewReader(`{"messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Content-Type", "application/json")
	if resp, body := do(t, req); resp.StatusCode != 200 {
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, body)
	}
}

// APIM's documented examples of azure-openai-emit-token-metric (User ID,
// Client IP, API ID) and llm-emit-token-metric (API ID), and emit-metric's
// with its name used again with other dimensions (in two APIs, and in
// inbound and outbound of one), load in one gateway. Each metric's labels
// are the union of its emissions' dimensions, an emission's missing ones
// empty.
func TestPolicyMetricsDocumentedExamplesTogether(t *testing.T) {
	be := usageBackend(t)
	dir := t.TempDir()
	svc := `type="http" service-url="` + be + `" path="/`
	writeAPI(t, dir, "aoai", svc+`aoai"`, metricsDoc(t, "azure-openai-emit-token-metric"))
	writeAPI(t, dir, "llm", svc+`llm"`, metricsDoc(t, "llm-emit-token-metric"))
	writeAPI(t, dir, "emit", svc+`emit"`, metricsDoc(t, "emit-metric"))
	writeAPI(t, dir, "emit2", svc+`emit2"`, `<policies>
  <inbound><emit-metric name="Request" value="1" namespace="my-metrics"><dimension name="API ID" /></emit-metric></inbound>
  <backend><forward-request/></backend>
  <outbound><emit-metric name="Request" value="2" namespace="my-metrics"><dimension name="User ID" /><dimension name="Method" value="@(context.Request.Method)" /></emit-metric></outbound>
  <on-error/>
</policies>`)
	m := gateway.NewMetrics()
	g := startGateway(t, dir, withMetrics(m))
	for _, api := range []string{"aoai", "llm", "emit", "emit2"} {
		post(t, g.url+"/"+api+"/chat/completions")
	}
	post(t, g.url+"/llm/chat/completions")

	want := `
# HELP llm_tokens_total LLM tokens consumed (llm-emit-token-metric), by type: prompt, completion, total.
# TYPE llm_tokens_total counter
llm_tokens_total{api_id="aoai",client_ip="127.0.0.1",namespace="AzureOpenAI",type="completion",user_id=""} 50
llm_tokens_total{api_id="aoai",client_ip="127.0.0.1",namespace="AzureOpenAI",type="prompt",user_id=""} 30
llm_tokens_total{api_id="aoai",client_ip="127.0.0.1",namespace="AzureOpenAI",type="total",user_id=""} 80
llm_tokens_total{api_id="llm",client_ip="",namespace="MyLLM",type="completion",user_id=""} 100
llm_tokens_total{api_id="llm",client_ip="",namespace="MyLLM",type="prompt",user_id=""} 60
llm_tokens_total{api_id="llm",client_ip="",namespace="MyLLM",type="total",user_id=""} 160
# HELP request emit-metric Request
# TYPE request counter
request{api_id="emit",client_ip="127.0.0.1",method="",namespace="my-metrics",user_id=""} 1
request{api_id="emit2",client_ip="",method="",namespace="my-metrics",user_id=""} 1
request{api_id="",client_ip="",method="POST",namespace="my-metrics",user_id=""} 2
`
	if err := promtest.GatherAndCompare(m.Registry, strings.NewReader(want), "llm_tokens_total", "request"); err != nil {
		t.Fatal(err)
	}
	if body := g.metricsText(t); !strings.Contains(body, `request{api_id="emit",client_ip="127.0.0.1",method="",namespace="my-metrics",user_id=""} 1`) {
		t.Errorf("/metrics does not serve the union:\n%s", body)
	}
}

// A reload keeps a metric's counts: unchanged when its dimensions are, and
// carried over (the new label empty) when a policy adds a dimension. A
// dimension dropped later keeps its label, empty in new series.
func TestPolicyMetricsReloadAddsDimension(t *testing.T) {
	be := usageBackend(t)
	dir := t.TempDir()
	policy := func(dims string) string {
		return `<policies><inbound><emit-metric name="Calls" namespace="n"><dimension name="API ID" />` + dims +
			`</emit-metric></inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`
	}
	writeAPI(t, dir, "orders", `type="http" path="/orders" service-url="`+be+`"`, policy(""))
	m := gateway.NewMetrics()
	g := startGateway(t, dir, withMetrics(m))
	url := g.url + "/orders/1"
	reload := func() {
		t.Helper()
		if st := g.srv.Reload("test"); st.Result != gateway.ReloadSuccess {
			t.Fatalf("reload: %+v", st)
		}
	}
	check := func(step, want string) {
		t.Helper()
		if err := promtest.GatherAndCompare(m.Registry, strings.NewReader("# HELP calls emit-metric Calls\n# TYPE calls counter\n"+want), "calls"); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	for range 2 {
		post(t, url)
	}
	check("before", `calls{api_id="orders",namespace="n"} 2
`)
	writeFile(t, dir, "orders/policy.xml", strings.Replace(policy(""), `namespace="n"`, `namespace="n" value="1"`, 1))
	reload()
	post(t, url)
	check("reloaded, same dimensions", `calls{api_id="orders",namespace="n"} 3
`)

	writeFile(t, dir, "orders/policy.xml", policy(`<dimension name="Method" value="@(context.Request.Method)" />`))
	reload()
	check("a dimension added", `calls{api_id="orders",method="",namespace="n"} 3
`)
	post(t, url)
	check("a dimension added, then a call", `calls{api_id="orders",method="",namespace="n"} 3
calls{api_id="orders",method="POST",namespace="n"} 1
`)

	writeFile(t, dir, "orders/policy.xml", policy(""))
	reload()
	post(t, url)
	check("the dimension dropped again", `calls{api_id="orders",method="",namespace="n"} 4
calls{api_id="orders",method="POST",namespace="n"} 1
`)
}

// Metrics.Counter: one of the gateway's own names is refused; functions
// for one name with different labels count into the union, also while
// another policy's labels are being added.
func TestPolicyMetricsCounterUnion(t *testing.T) {
	m := gateway.NewMetrics()
	if _, err := m.Counter("tollgate_websocket_handshakes_total", "x", []string{"namespace"}); err == nil {
		t.Error("a policy metric took the name of one of the gateway's")
	}
	a, err := m.Counter("calls", "calls", []string{"namespace", "api_id"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Counter("calls", "calls", []string{"user_id", "namespace"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	var wg sync.WaitGroup
	for _, f := range []func(){
		func() { a(1, "ns", "orders") },
		func() { b(2, "u1", "ns") },
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				f()
			}
		}()
	}
	var c func(float64, ...string) bool
	wg.Add(1)
	go func() { // a third policy, with one more label, loads meanwhile
		defer wg.Done()
		var err error
		if c, err = m.Counter("calls", "calls", []string{"method"}); err != nil {
			t.Error(err)
		}
	}()
	wg.Wait()
	if c == nil {
		t.FailNow()
	}
	c(5, "GET")
	want := fmt.Sprintf(`# HELP calls calls
# TYPE calls counter
calls{api_id="",method="",namespace="ns",user_id="u1"} %d
calls{api_id="",method="GET",namespace="",user_id=""} 5
calls{api_id="orders",method="",namespace="ns",user_id=""} %d
`, 2*n, n)
	if err := promtest.GatherAndCompare(m.Registry, strings.NewReader(want), "calls"); err != nil {
		t.Fatal(err)
	}
}
