package gateway

import (
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strings"
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
		{"PT0.3S", 300 * time.Millisecond, true}, {"PT1.000000001S", time.Second + 1, true},
		{"PT1.0000000019S", time.Second + 1, true}, // finer than a nanosecond: dropped
		// The longest a time.Duration holds is 106751 days 23:47:16.854775807.
		{"P106751D", 106751 * 24 * time.Hour, true},
		{"P106751DT23H47M16.854775807S", math.MaxInt64, true},
		{"P106751DT23H47M16.854775808S", 0, false}, {"P106751DT23H48M", 0, false},
		{"PT9223372036.854775807S", math.MaxInt64, true}, {"PT9223372037S", 0, false},
		{"P106752D", 0, false}, {"P107000D", 0, false}, // wrapped to a negative before
		{"P99999999999999999999D", 0, false}, {"PT2562047788015216H", 0, false},
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
		// the built-in all-access subscription: the service itself
		"/subscriptions/x/resourceGroups/rg/providers/Microsoft.ApiManagement/service/s/": "/apis",
		"/subscriptions/x/resourceGroups/rg/providers/Microsoft.ApiManagement/service/s":  "/apis",
		"/subscriptions/x/resourceGroups/rg/providers/Microsoft.ApiManagement/service/":   "",
		"/subscriptions/x/resourceGroups/rg/providers/Microsoft.Web/sites/s":              "",
		"/users": "", "": "", "/products/": "",
	} {
		if got := normalizeScope(in); got != want {
			t.Errorf("normalizeScope(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzISODuration: a duration parses to its exact value in nanoseconds
// (worked out with big integers) when that fits a time.Duration, and is an
// error when it does not: never a value that wrapped around.
func FuzzISODuration(f *testing.F) {
	for _, s := range []string{"PT1M", "P1DT2H3M4.5S", "PT", "P99999999999999999999D", "P106751DT23H47M16.854775807S"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseISODuration(s)
		m := isoDuration.FindStringSubmatch(s)
		if m == nil || s == "P" || s == "PT" {
			if err == nil {
				t.Fatalf("%q parsed to %v", s, d)
			}
			return
		}
		exact := new(big.Int)
		whole, frac, _ := strings.Cut(m[4], ".")
		if frac != "" {
			frac = (frac + "00000000")[:9]
		}
		for i, unit := range []int64{int64(24 * time.Hour), int64(time.Hour), int64(time.Minute), int64(time.Second), 1} {
			digits := []string{m[1], m[2], m[3], whole, frac}[i]
			if digits == "" {
				continue
			}
			n, _ := new(big.Int).SetString(digits, 10)
			exact.Add(exact, n.Mul(n, big.NewInt(unit)))
		}
		if exact.IsInt64() {
			if err != nil || int64(d) != exact.Int64() {
				t.Fatalf("%q = %v, %v; want %v", s, d, err, time.Duration(exact.Int64()))
			}
		} else if err == nil {
			t.Fatalf("%q = %v, want an error (%s ns does not fit)", s, d, exact)
		}
	})
}

// FuzzOverrides: any configuration file is either read or reported at a
// file:line:col, never a panic.
func FuzzOverrides(f *testing.F) {
	f.Add([]byte("apimServiceName: x\napis:\n  - name: a\n    properties: {serviceUrl: http://h}\n"))
	f.Add([]byte("namedValues: 3\n"))
	f.Add([]byte("namedValues:\nackends:\n  - name: a\nloggers: ~\n"))
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

// TestDecodeJSONFileTypeErrors: a resource file whose value has the wrong
// JSON type is told so in JSON's words, never with the Go type it was
// decoded into (real extracts: a gateway's apis.json written as a list of
// strings, properties written as a list).
func TestDecodeJSONFileTypeErrors(t *testing.T) {
	for _, tc := range []struct {
		data string
		v    any
		want string
	}{
		{`["orders"]`, &[]struct {
			Name string `json:"name"`
		}{}, "f.json:1:9: this value must be an object, not a string"},
		{`{"properties": []}`, &resourceInfo{}, "f.json:1:16: properties must be an object, not a list"},
		{`{"n": 1.5}`, &struct {
			N int `json:"n"`
		}{}, "f.json:1:9: n must be a whole number, not a number 1.5"},
		{`{"b": "yes"}`, &struct {
			B bool `json:"b"`
		}{}, "f.json:1:11: b must be true or false, not a string"},
	} {
		var errs engine.ErrorList
		if decodeJSONFile("f.json", []byte(tc.data), tc.v, &errs) || len(errs) != 1 || errs[0].Error() != tc.want {
			t.Errorf("%s: %v, want %q", tc.data, errs, tc.want)
		}
	}
}

// TestWatchLegacyLayout: the watcher descends into the early extractor's
// apis/DISPLAY NAME/VERSION/REVISION/ folders (their operations/OP/ too),
// which the loader reads, and into no other folder of an API.
func TestWatchLegacyLayout(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"apis/IATI Datastore/Original/1/apiInformation.json", "apis/IATI Datastore/Original/1/operations/Query/policy.xml",
		"apis/echo/apiInformation.json", "apis/echo/Original/1/apiInformation.json", "apis/other/node_modules/x/y.json"} {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		at, child string
		want      bool
	}{
		{"apis/IATI Datastore", "Original", true},
		{"apis/echo", "Original", false}, // its own apiInformation.json is the API
		{"apis/other", "node_modules", false},
	} {
		rel := strings.Split(c.at, "/")
		real := filepath.Join(dir, filepath.FromSlash(c.at))
		if got := watchInto(rel, c.child) || legacyVersionFolder(real, rel, c.child); got != c.want {
			t.Errorf("%s: %s: %v, want %v", c.at, c.child, got, c.want)
		}
	}
	for _, c := range []struct {
		at, child string
		want      bool
	}{
		{"apis/IATI Datastore/Original", "1", true},
		{"apis/IATI Datastore/Original/1", "operations", true},
		{"apis/IATI Datastore/Original/1", "other", false},
		{"apis/IATI Datastore/Original/1/operations", "Query", true},
		{"workspaces/hr/apis/IATI Datastore/Original/1/operations", "Query", true},
		{"apis/IATI Datastore/Original/1/operations/Query", "deep", false},
	} {
		if got := watchInto(strings.Split(c.at, "/"), c.child); got != c.want {
			t.Errorf("watchInto(%s, %s) = %v, want %v", c.at, c.child, got, c.want)
		}
	}
}
