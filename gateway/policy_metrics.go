package gateway

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
)

// maxSeriesPerMetric bounds the label combinations one policy metric may
// create: a dimension fed from a request value must not grow /metrics
// without bound.
const maxSeriesPerMetric = 1000

// policyCounters are the counters policies create (emit-metric, dropped
// counts), by name. It implements policies.Metrics through Metrics.Counter.
type policyCounters struct {
	mu     sync.Mutex
	byName map[string]*policyCounter
}

// policyCounter is one metric name. Its labels are the union of the
// dimensions of every policy that emits it (APIM puts no restriction on
// them: dimensions are per emission); each emission fills the labels it
// does not have with "". The union only grows: a policy that brings a new
// label (a second API, a reload) gets the counter re-created with it, its
// series carried over with "" for the new label, so no count is lost and
// the policies already loaded (the snapshot still serving) go on counting.
//
// Prometheus fixes a checked collector's label names for the life of the
// registry, even past Unregister, so the counter is registered once as an
// unchecked collector (Describe sends nothing) that collects whichever
// CounterVec is current.
type policyCounter struct {
	name, help string
	mu         sync.Mutex // guards labels, vec and series; held across an add
	labels     []string
	vec        *prometheus.CounterVec
	series     map[string]*seriesTotal // by the values of labels, joined
}

// seriesTotal is what one series has counted, to carry it over when the
// label set grows.
type seriesTotal struct {
	values []string
	total  float64
}

// Counter returns a function that adds to the counter name with the given
// label names (created and registered on first use). Asking again for the
// same name with other labels adds them to the counter's (see
// policyCounter); a name Prometheus does not accept, or one of the
// gateway's own metrics, is an error. Past 1000 label combinations new ones
// are dropped (reported by the function's result).
func (m *Metrics) Counter(name, help string, labels []string) (func(v float64, values ...string) bool, error) {
	if !model.IsValidLegacyMetricName(name) {
		return nil, fmt.Errorf("%q is not a valid Prometheus metric name", name)
	}
	for _, l := range labels {
		if !model.LabelName(l).IsValidLegacy() || strings.HasPrefix(l, "__") {
			return nil, fmt.Errorf("%q is not a valid Prometheus label name", l)
		}
	}
	m.custom.mu.Lock()
	defer m.custom.mu.Unlock()
	if m.custom.byName == nil {
		m.custom.byName = map[string]*policyCounter{}
	}
	c := m.custom.byName[name]
	if c == nil {
		// An unchecked collector is not checked against the registry's
		// other metrics: a checked counter of that name, registered and
		// unregistered at once, is.
		probe := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
		if err := m.Registry.Register(probe); err != nil {
			return nil, fmt.Errorf("metric %s: %v", name, err)
		}
		m.Registry.Unregister(probe)
		c = &policyCounter{name: name, help: help, labels: append([]string(nil), labels...), series: map[string]*seriesTotal{}}
		c.vec = c.newVec()
		if err := m.Registry.Register(c); err != nil {
			return nil, fmt.Errorf("metric %s: %v", name, err)
		}
		m.custom.byName[name] = c
	}
	idx := c.positions(labels)
	return func(v float64, values ...string) bool { return c.add(idx, v, values) }, nil
}

func (c *policyCounter) newVec() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: c.name, Help: c.help}, c.labels)
}

// positions returns where each of labels stands in the counter's labels,
// adding those it does not have yet. Labels are only ever appended, so the
// positions stay right for good.
func (c *policyCounter) positions(labels []string) []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var missing []string
	idx := make([]int, len(labels))
	for i, l := range labels {
		idx[i] = slices.Index(c.labels, l)
		if idx[i] < 0 {
			idx[i] = len(c.labels) + len(missing)
			missing = append(missing, l)
		}
	}
	if len(missing) > 0 {
		c.labels = append(c.labels, missing...)
		vec := c.newVec()
		series := make(map[string]*seriesTotal, len(c.series))
		for _, st := range c.series {
			values := append(slices.Clip(st.values), make([]string, len(missing))...)
			vec.WithLabelValues(values...).Add(st.total)
			series[strings.Join(values, "\x00")] = &seriesTotal{values: values, total: st.total}
		}
		c.vec, c.series = vec, series
	}
	return idx
}

// Describe sends nothing: the counter is an unchecked collector, as its
// label names change.
func (c *policyCounter) Describe(chan<- *prometheus.Desc) {}

// Collect collects the current CounterVec.
func (c *policyCounter) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	vec := c.vec
	c.mu.Unlock()
	vec.Collect(ch)
}

// add adds v to the series whose labels at idx have values (the labels a
// policy emits; the others are "").
func (c *policyCounter) add(idx []int, v float64, values []string) bool {
	if len(values) != len(idx) {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	full := values // the usual case: the policy emits every label, in order
	if len(idx) != len(c.labels) || !inOrder(idx) {
		full = make([]string, len(c.labels))
		for i, p := range idx {
			full[p] = values[i]
		}
	}
	key := strings.Join(full, "\x00")
	st := c.series[key]
	if st == nil {
		if len(c.series) >= maxSeriesPerMetric {
			return false
		}
		// The series keeps its values, and the vector the first values
		// it is given: copies, as a value a policy made may share the
		// bytes of a request's larger allocation, which a kept view
		// would hold alive for the process's life.
		vals := make([]string, len(full))
		for i, v := range full {
			vals[i] = strings.Clone(v)
		}
		st = &seriesTotal{values: vals}
		c.series[key] = st
		full = vals
	}
	st.total += v
	c.vec.WithLabelValues(full...).Add(v)
	return true
}

// inOrder reports whether idx is 0, 1, 2, ….
func inOrder(idx []int) bool {
	for i, p := range idx {
		if p != i {
			return false
		}
	}
	return true
}
