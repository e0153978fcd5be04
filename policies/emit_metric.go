package policies

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"tollgate/engine"
)

// Metrics is where policies report custom metrics. The gateway implements
// it on its Prometheus registry (gateway.Metrics); Counter returns a
// function adding to the counter name with the given label names (false:
// the series was dropped, over the gateway's cardinality bound). Policies
// may ask for one name with different labels (APIM's dimensions are per
// emission): each function gives values for its own labels.
type Metrics interface {
	Counter(name, help string, labels []string) (func(v float64, values ...string) bool, error)
}

// <emit-metric name="Request" value="1" namespace="my-metrics">
//
//	<dimension name="User ID" />
//	<dimension name="Client IP" value="@(context.Request.IpAddress)" />
//	<dimension name="API ID" />
//
// </emit-metric>
// Adds value to the Prometheus counter name (sanitized), with a namespace
// label and one label per dimension. See docs/policies-observability.md.
type emitMetric struct {
	add   func(v float64, values ...string) bool
	name  string // as written (Application Insights' metric name)
	ns    string
	value engine.Value
	lit   string // the value when written out
	dims  []metricDim
}

type metricDim struct {
	name     string // as written (Application Insights' dimension name)
	value    engine.Str
	def      func(s *engine.State) string // a default dimension without value
	hasValue bool
}

// defaultDimensions are APIM's dimensions that need no value.
var defaultDimensions = map[string]func(s *engine.State) string{
	"api id": func(s *engine.State) string {
		if a := s.Context().Api; a != nil {
			return a.Name
		}
		return ""
	},
	"gateway id": func(s *engine.State) string {
		if d := s.Context().Deployment; d != nil {
			return d.GatewayId
		}
		return ""
	},
	"location": func(s *engine.State) string {
		if d := s.Context().Deployment; d != nil {
			return d.Region
		}
		return ""
	},
	"backend id": func(s *engine.State) string { return s.BackendURL },
	// The resource model's: empty when the request has none (an API
	// without operations, a request without a subscription).
	"operation id": func(s *engine.State) string {
		if o := s.Context().Operation; o != nil {
			return o.Id
		}
		return ""
	},
	"product id": func(s *engine.State) string {
		if p := s.Context().Product; p != nil {
			return p.Id
		}
		return ""
	},
	"user id": func(s *engine.State) string {
		if u := s.Context().User; u != nil {
			return u.Id
		}
		return ""
	},
	"subscription id": func(s *engine.State) string {
		if sub := s.Context().Subscription; sub != nil {
			return sub.Id
		}
		return ""
	},
}

// toFloat reads a metric value: a number, or text holding one.
func toFloat(x any) (float64, bool) {
	switch n := x.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		return f, err == nil
	}
	return 0, false
}

var promUnsafe = regexp.MustCompile(`[^a-zA-Z0-9_]+`)

// promName turns an APIM metric or dimension name into a Prometheus one:
// lower case, runs of other characters as "_" ("Client IP" → client_ip).
func promName(s string) string {
	n := strings.Trim(promUnsafe.ReplaceAllString(strings.ToLower(strings.TrimSpace(s)), "_"), "_")
	if n == "" || (n[0] >= '0' && n[0] <= '9') {
		n = "m_" + n
	}
	return n
}

const maxMetricDimensions = 10

func (k *kit) parseEmitMetric(p *engine.Parser) engine.Step {
	e := &emitMetric{lit: "1"}
	if p.Has("value") {
		e.value = p.Value("value")
		if e.value.IsConst() {
			e.lit = p.Node().Attr("value").Value
		}
	}
	name := p.Str("name", "")
	p.RequiredStr("name")
	switch {
	case !name.IsConst():
		p.ErrorAt(p.Node().Attr("name").ValuePos, "the metric name must be written out: Prometheus metric names are fixed when the policy loads")
	case p.Has("name") && strings.TrimSpace(name.Const()) == "":
		p.ErrorAt(p.Node().Attr("name").ValuePos, "attribute \"name\" must not be empty")
	}
	e.ns = p.LitStr("namespace", "API Management")
	if !p.Has("value") || e.value.IsConst() {
		if v, err := strconv.ParseFloat(strings.TrimSpace(e.lit), 64); err != nil || v < 0 {
			p.ErrorAt(p.Node().Attr("value").ValuePos, "value must be a number >= 0 (it is added to a counter), not %q", e.lit)
		}
	}
	var labels []string
	e.dims, labels = parseDimensions(p, "emit-metric")
	if k.metrics == nil {
		p.Errorf("<emit-metric> needs the gateway's metrics (this build of the registry has none)")
		return e
	}
	if name.IsConst() && strings.TrimSpace(name.Const()) != "" {
		e.name = name.Const()
		add, err := k.metrics.Counter(promName(name.Const()), "emit-metric "+name.Const(), labels)
		if err != nil {
			p.ErrorAt(p.Node().Attr("name").ValuePos, "%v", err)
		}
		e.add = add
	}
	return e
}

// parseDimensions reads <dimension name value/> children: the label names
// (namespace first) and how to get each value.
func parseDimensions(p *engine.Parser, element string) ([]metricDim, []string) {
	var dims []metricDim
	labels := []string{"namespace"}
	seen := map[string]bool{"namespace": true}
	for _, n := range p.Children() {
		c := p.Child(n)
		if n.Name != "dimension" {
			c.Errorf("unexpected element <%s> inside <%s> (want dimension)", n.Name, element)
			continue
		}
		dn := c.RequiredLitStr("name")
		d := metricDim{name: dn, hasValue: c.Has("value")}
		if d.hasValue {
			d.value = c.Str("value", "")
		} else if f := defaultDimensions[strings.ToLower(strings.TrimSpace(dn))]; f != nil {
			d.def = f
		} else if dn != "" {
			c.Errorf("dimension %q needs a value (only APIM's default dimensions, such as \"API ID\", take theirs from the request)", dn)
		}
		l := promName(dn)
		if seen[l] {
			c.Errorf("dimension %q is given twice (as label %s)", dn, l)
		}
		seen[l] = true
		labels = append(labels, l)
		dims = append(dims, d)
	}
	if len(dims) > maxMetricDimensions {
		p.Errorf("<%s> takes at most %d dimensions", element, maxMetricDimensions)
	}
	return dims, labels
}

// dimValues evaluates the label values: ns, then each dimension.
func dimValues(s *engine.State, ns string, dims []metricDim) ([]string, error) {
	values := make([]string, 0, len(dims)+1)
	values = append(values, ns)
	for _, d := range dims {
		if d.def != nil {
			values = append(values, d.def(s))
			continue
		}
		x, err := d.value.Eval(s)
		if err != nil {
			return nil, err
		}
		values = append(values, x)
	}
	return values, nil
}

func (e *emitMetric) Run(_ context.Context, s *engine.State) error {
	if e.add == nil {
		return nil
	}
	v, ok := 1.0, true
	if e.value.IsConst() {
		v, _ = strconv.ParseFloat(strings.TrimSpace(e.lit), 64)
	} else {
		x, err := e.value.Eval(s)
		if err != nil {
			return err
		}
		v, ok = toFloat(x)
	}
	if !ok || v < 0 {
		s.Tracef("value is not a number >= 0: not counted")
		return nil
	}
	values, err := dimValues(s, e.ns, e.dims)
	if err != nil {
		return err
	}
	if !e.add(v, values...) {
		s.Tracef("too many dimension combinations: not counted")
	}
	if sink, ok := s.Private(MetricSinkKey{}).(MetricSink); ok {
		sink(e.ns, e.name, v, dimPairs(e.dims, values))
	}
	return nil
}

// MetricSinkKey is the State.SetPrivate key of a request's MetricSink.
type MetricSinkKey struct{}

// MetricSink receives the custom metrics a request emits (emit-metric,
// llm-emit-token-metric) besides their Prometheus counters: the gateway's
// applicationinsights diagnostic with "metrics": true sends them to
// Application Insights. dims holds the dimensions as name, value pairs,
// named as the policy names them. It must be safe for concurrent use
// (<wait> hands it to its branches).
type MetricSink func(namespace, name string, value float64, dims []string)

// dimPairs pairs the dimensions' names with their values (values[0] is
// the namespace, as dimValues gives it).
func dimPairs(dims []metricDim, values []string) []string {
	out := make([]string, 0, 2*len(dims))
	for i, d := range dims {
		out = append(out, d.name, values[i+1])
	}
	return out
}
