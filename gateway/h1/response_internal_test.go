package h1

import (
	"net/http"
	"reflect"
	"testing"
)

// AdoptHeader: a proxy's backend header map becomes the response's, the
// fields set before it go in front of its own, and a head already fixed
// keeps its map.
func TestAdoptHeader(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before http.Header // set through Header first; nil: Header never called
		wrote  bool
		ok     bool
		want   http.Header
	}{
		{"untouched", nil, false, true, http.Header{"Server": {"b"}, "X-A": {"2"}}},
		{"fields set before", http.Header{"X-A": {"1"}, "X-Trace": {"t"}}, false, true,
			http.Header{"Server": {"b"}, "X-A": {"1", "2"}, "X-Trace": {"t"}}},
		{"head fixed", http.Header{"X-A": {"1"}}, true, false, http.Header{"X-A": {"1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &response{}
			for k, vv := range tc.before {
				w.Header()[k] = vv
			}
			w.wrote = tc.wrote
			h := http.Header{"Server": {"b"}, "X-A": {"2"}}
			if got := w.AdoptHeader(h); got != tc.ok {
				t.Fatalf("AdoptHeader: %v, want %v", got, tc.ok)
			}
			if got := w.Header(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("header %v, want %v", got, tc.want)
			}
		})
	}
}
