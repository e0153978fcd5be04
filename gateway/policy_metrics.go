package gateway

import (
	"fmt"
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

type policyCounter struct {
	vec    *prometheus.CounterVec
	labels []string
	mu     sync.Mutex
	series map[string]bool
}

// Counter returns a function that adds to the counter name with the given
// label names (created and registered on first use). Asking again for the
// same name with the same labels gives the same counter; other labels are
// an error, as is a name Prometheus does not accept. Past 1000 label
// combinations new ones are dropped (reported by the function's result).
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
		vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
		if err := m.Registry.Register(vec); err != nil {
			return nil, fmt.Errorf("metric %s: %v", name, err)
		}
		c = &policyCounter{vec: vec, labels: append([]string(nil), labels...), series: map[string]bool{}}
		m.custom.byName[name] = c
	} else if strings.Join(c.labels, "\x00") != strings.Join(labels, "\x00") {
		return nil, fmt.Errorf("metric %s already has the dimensions %v", name, c.labels)
	}
	return c.add, nil
}

func (c *policyCounter) add(v float64, values ...string) bool {
	key := strings.Join(values, "\x00")
	c.mu.Lock()
	if !c.series[key] {
		if len(c.series) >= maxSeriesPerMetric {
			c.mu.Unlock()
			return false
		}
		c.series[key] = true
	}
	c.mu.Unlock()
	c.vec.WithLabelValues(values...).Add(v)
	return true
}
