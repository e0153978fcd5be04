package gateway

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"tollgate/engine"
)

func TestParseISODuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"PT1M", time.Minute, true}, {"PT30S", 30 * time.Second, true}, {"PT1H", time.Hour, true},
		{"P1DT2H", 26 * time.Hour, true}, {"PT0.5S", 500 * time.Millisecond, true}, {"PT1H30M", 90 * time.Minute, true},
		{"P", 0, false}, {"PT", 0, false}, {"1m", 0, false}, {"PT-1S", 0, false}, {"", 0, false},
	} {
		got, err := parseISODuration(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseISODuration(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestNormalizeScope(t *testing.T) {
	for in, want := range map[string]string{
		"/apis": "/apis", "/apis/echo": "/apis/echo", "/products/gold/": "/products/gold",
		"/subscriptions/x/resourceGroups/rg/providers/Microsoft.ApiManagement/service/s/products/gold": "/products/gold",
		"/subscriptions/x/resourceGroups/rg/providers/Microsoft.ApiManagement/service/s/apis":          "/apis",
		"/users": "", "": "", "/products/": "",
	} {
		if got := normalizeScope(in); got != want {
			t.Errorf("normalizeScope(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzISODuration(f *testing.F) {
	for _, s := range []string{"PT1M", "P1DT2H3M4.5S", "PT", "P99999999999999999999D"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := parseISODuration(s); err == nil && d < 0 && len(s) < 20 {
			t.Fatalf("%q parsed to a negative %v", s, d)
		}
	})
}

// FuzzOverrides: any configuration file is either read or reported at a
// file:line:col, never a panic.
func FuzzOverrides(f *testing.F) {
	f.Add([]byte("apimServiceName: x\napis:\n  - name: a\n    properties: {serviceUrl: http://h}\n"))
	f.Add([]byte("namedValues: 3\n"))
	f.Add([]byte("apis:\n  - properties: {}\n"))
	f.Add([]byte("- a\n- b\n"))
	f.Add([]byte("{{{"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		file := filepath.Join(dir, "configuration.yaml")
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		var errs engine.ErrorList
		var notes []string
		o := loadOverrides(file, &errs, &notes)
		for _, e := range errs {
			if e.Pos.File != file || e.Pos.Line < 1 {
				t.Fatalf("error without a position: %v", e)
			}
		}
		o.merge("apis", "a", nil)
	})
}
