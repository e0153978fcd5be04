package policies

import (
	"strings"
	"sync"
	"testing"

	"tollgate/engine"
)

// fakeMetrics records counters as "name{v1,v2} = total", each emission
// with its own labels (the gateway's Metrics joins them: see
// gateway/policy_metrics.go).
type fakeMetrics struct {
	mu     sync.Mutex
	labels map[string][]string
	vals   map[string]float64
}

func (f *fakeMetrics) Counter(name, help string, labels []string) (func(float64, ...string) bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.labels == nil {
		f.labels, f.vals = map[string][]string{}, map[string]float64{}
	}
	f.labels[name] = labels
	return func(v float64, values ...string) bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.vals[name+"{"+strings.Join(values, ",")+"}"] += v
		return true
	}, nil
}

// APIM's example as written.
func TestEmitMetricDocExample(t *testing.T) {
	m := &fakeMetrics{}
	d := testDeps()
	d.Metrics = m
	plan := compile(t, d, `<emit-metric name="Request" value="1" namespace="my-metrics">
    <dimension name="User ID" />
    <dimension name="Client IP" value="@(context.Request.IpAddress)" />
    <dimension name="API ID" />
</emit-metric>
<emit-metric name="Request" value="@(2.5)" namespace="my-metrics">
    <dimension name="User ID" />
    <dimension name="Client IP" value="10.9.9.9" />
    <dimension name="API ID" />
</emit-metric>`)
	for range 3 {
		s := request("http://gw/chat")
		runInbound(plan, s)
		if le := s.LastError(); le != nil {
			t.Fatal(le)
		}
		s.Release()
	}
	if got := strings.Join(m.labels["request"], ","); got != "namespace,user_id,client_ip,api_id" {
		t.Fatalf("labels %s", got)
	}
	if v := m.vals["request{my-metrics,,10.1.2.3,test}"]; v != 3 {
		t.Fatalf("values %v", m.vals)
	}
	if v := m.vals["request{my-metrics,,10.9.9.9,test}"]; v != 7.5 {
		t.Fatalf("values %v", m.vals)
	}
}

// The default dimensions of the resource model take the request's
// operation, product, user and subscription, and are empty without them.
func TestEmitMetricResourceDimensions(t *testing.T) {
	m := &fakeMetrics{}
	d := testDeps()
	d.Metrics = m
	plan := compile(t, d, `<emit-metric name="calls" namespace="ns">
    <dimension name="Operation ID" />
    <dimension name="Product ID" />
    <dimension name="User ID" />
    <dimension name="Subscription ID" />
</emit-metric>`)
	for _, with := range []bool{true, false} {
		s := request("http://gw/chat")
		if with {
			c := s.Context()
			c.Operation = &engine.Operation{Id: "get-pet"}
			c.Product = &engine.Product{Id: "starter"}
			c.User = &engine.User{Id: "1"}
			c.Subscription = &engine.Subscription{Id: "sub-1"}
		}
		runInbound(plan, s)
		if le := s.LastError(); le != nil {
			t.Fatal(le)
		}
		s.Release()
	}
	if got := strings.Join(m.labels["calls"], ","); got != "namespace,operation_id,product_id,user_id,subscription_id" {
		t.Fatalf("labels %s", got)
	}
	if m.vals["calls{ns,get-pet,starter,1,sub-1}"] != 1 || m.vals["calls{ns,,,,}"] != 1 {
		t.Fatalf("values %v", m.vals)
	}
}

func TestEmitMetricLoadErrors(t *testing.T) {
	d := testDeps()
	d.Metrics = &fakeMetrics{}
	compile(t, d, `<emit-metric name="calls"><dimension name="API ID"/></emit-metric>`)
	// Other dimensions for the same name elsewhere are no error (APIM's are
	// per emission).
	compile(t, d, `<emit-metric name="calls"><dimension name="Client IP" value="x"/></emit-metric>`)
	for _, c := range []struct{ src, want string }{
		{`<emit-metric/>`, `needs the attribute "name"`},
		{`<emit-metric name="@(context.Api.Name)"/>`, `must be written out`},
		{`<emit-metric name="x" value="-1"/>`, `number >= 0`},
		{`<emit-metric name="x" value="lots"/>`, `number >= 0`},
		{`<emit-metric name="x"><dimension name="Client IP"/></emit-metric>`, `needs a value`},
		{`<emit-metric name="x"><dimension name="a b" value="1"/><dimension name="A-B" value="2"/></emit-metric>`, `given twice`},
		{`<emit-metric name="x"><label name="a" value="1"/></emit-metric>`, `unexpected element <label>`},
		{`<emit-metric name="x" unit="ms"/>`, `has no attribute "unit"`},
	} {
		_, errs := compileErrs(d, c.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.src, errs, c.want)
		}
	}
	if _, errs := compileErrs(testDeps(), `<emit-metric name="x"/>`); len(errs) == 0 {
		t.Error("emit-metric without Deps.Metrics loaded")
	}
}

func TestPromName(t *testing.T) {
	for in, want := range map[string]string{"Request": "request", "Client IP": "client_ip", "API ID": "api_id", "9lives": "m_9lives", "a--b..c": "a_b_c", "": "m_"} {
		if got := promName(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
