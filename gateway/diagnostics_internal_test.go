package gateway

import (
	"bytes"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"

	"tollgate/engine"
)

// FuzzDiagnosticJSON: whatever a diagnosticInformation.json holds, the
// parser never panics, and every problem it reports is at a line and
// column of the file.
func FuzzDiagnosticJSON(f *testing.F) {
	for _, seed := range []string{
		`{"properties": {"alwaysLog": "allErrors", "loggerId": "/loggers/azuremonitor", "sampling": {"samplingType": "fixed", "percentage": 50},
 "frontend": {"request": {"headers": ["Content-type"], "body": {"bytes": 512}}, "response": {"headers": ["Content-type"], "body": {"bytes": 512}}},
 "backend": {"request": {"headers": ["Content-type"], "body": {"bytes": 512}}, "response": {"headers": ["Content-type"], "body": {"bytes": 512}}}}}`,
		`{"properties": {"verbosity": "error", "httpCorrelationProtocol": "None", "logClientIp": true,
 "frontend": {"request": {"dataMasking": {"headers": [{"value": "X-Key", "mode": "Mask"}], "queryParams": [{"value": "k", "mode": "Hide"}]}}}}}`,
		`{"properties": {"sampling": {"percentage": 1e400}, "frontend": {"request": {"body": {"bytes": -1}}}}}`,
		`[{"properties": null}]`,
		`{"properties": {"a": [[[[[[]]]]]], "a": {}}}`,
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, name := range []string{diagAzureMonitor, diagAppInsights} {
			var errs engine.ErrorList
			var notes []string
			d := parseDiagnostic("d.json", name, "", data, nil, nil, &errs, &notes)
			if (d == nil) == (len(errs) == 0) {
				t.Fatalf("%s: diagnostic %v with %d errors", name, d != nil, len(errs))
			}
			for _, e := range errs {
				if e.Pos.File != "d.json" || e.Pos.Line < 1 || e.Pos.Line > lines || e.Pos.Col < 1 {
					t.Fatalf("%s: error at %s: %s", name, e.Pos, e.Msg)
				}
			}
			if d != nil && (d.percentage < 0 || d.percentage > 100 || d.frontReq.body > maxDiagBodyBytes) {
				t.Fatalf("%s: out of range: %+v", name, d)
			}
		}
	})
}

// TestDiagnosticOverride: a configuration file's diagnostics entry is laid
// over the extracted diagnostic as APIOps' publisher lays it (objects merge
// key by key), and what it writes is checked, and reported, where it is
// written.
func TestDiagnosticOverride(t *testing.T) {
	const file = `{"properties": {"alwaysLog": "allErrors", "logClientIp": false,
 "sampling": {"samplingType": "fixed", "percentage": 100},
 "frontend": {"request": {"headers": ["Content-type"], "body": {"bytes": 512}}}}}`
	tests := []struct {
		name, yaml string
		check      func(*diagnostic) bool
		errors     []string
		notes      []string
	}{
		{
			name: "sampling and a header per environment",
			yaml: "loggerId: /loggers/prod\nsampling:\n  percentage: 10\nfrontend:\n  request:\n    headers: [X-Tenant]\nlogClientIp: true\n",
			check: func(d *diagnostic) bool {
				return d.percentage == 10 && d.allErrors && d.logClientIP &&
					len(d.frontReq.headers) == 1 && d.frontReq.headers[0] == "X-Tenant" && d.frontReq.body == 512
			},
			notes: []string{"c.yaml:1:1: ignored: loggerId of diagnostic azuremonitor (tollgate writes its own log and exports traces over OTLP)"},
		},
		{
			name:   "a wrong value is reported in the configuration file",
			yaml:   "sampling:\n  percentage: 101\n",
			errors: []string{"c.yaml:2:15: diagnostic azuremonitor: sampling.percentage must be a number from 0 to 100, not 101"},
		},
		{
			name:   "a wrong type",
			yaml:   "sampling: all\n",
			errors: []string{"c.yaml:1:11: diagnostic azuremonitor: sampling must be an object {\"samplingType\": \"fixed\", \"percentage\": N}, not \"all\""},
		},
		{
			name:  "no properties: the file as it is",
			check: func(d *diagnostic) bool { return d.percentage == 100 && !d.logClientIP },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var over *overrideEntry
			if tc.yaml != "" {
				var doc yaml.Node
				if err := yaml.Unmarshal([]byte(tc.yaml), &doc); err != nil {
					t.Fatal(err)
				}
				over = &overrideEntry{file: "c.yaml", props: doc.Content[0]}
			}
			var errs engine.ErrorList
			var notes []string
			d := parseDiagnostic("d.json", diagAzureMonitor, "", []byte(file), over, nil, &errs, &notes)
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.errors, "\n") {
				t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.errors, "\n"))
			}
			if strings.Join(notes, "\n") != strings.Join(tc.notes, "\n") {
				t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(tc.notes, "\n"))
			}
			if tc.check != nil && (d == nil || !tc.check(d)) {
				t.Errorf("diagnostic %+v", d)
			}
		})
	}
}

// FuzzDiagnosticOverride: whatever a configuration file's diagnostics
// entry holds, laying it over a diagnostic never panics, and every problem
// is reported at a line and column of one of the two files.
func FuzzDiagnosticOverride(f *testing.F) {
	for _, seed := range []string{
		"sampling:\n  percentage: 10\nfrontend:\n  request:\n    headers: [X-Tenant]\n",
		"loggerId: /loggers/prod\nlogClientIp: yes\n",
		"sampling: all\n",
		"a: &x [1, *x]\n",
		"frontend: {request: {dataMasking: {headers: [{value: k, mode: Hide}]}}}\n",
		"sampling:\n  percentage: 1e400\n",
		"",
		"---  ",   // an empty override (null): nothing is laid
		"\r\r5KK", // a scalar on YAML's third line (\r breaks lines)
	} {
		f.Add([]byte(seed))
	}
	const file = `{"properties": {"alwaysLog": "allErrors", "sampling": {"samplingType": "fixed", "percentage": 100},
 "frontend": {"request": {"headers": ["Content-type"], "body": {"bytes": 512}}}}}`
	f.Fuzz(func(t *testing.T, data []byte) {
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) != 1 {
			return
		}
		lines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) + 1 // YAML breaks lines at \r too
		for _, name := range []string{diagAzureMonitor, diagAppInsights} {
			var errs engine.ErrorList
			var notes []string
			d := parseDiagnostic("d.json", name, "", []byte(file), &overrideEntry{file: "c.yaml", props: doc.Content[0]}, nil, &errs, &notes)
			if (d == nil) == (len(errs) == 0) {
				t.Fatalf("%s: diagnostic %v with %d errors", name, d != nil, len(errs))
			}
			for _, e := range errs {
				switch {
				case e.Pos.File == "c.yaml" && e.Pos.Line >= 1 && e.Pos.Line <= lines && e.Pos.Col >= 1:
				case e.Pos.File == "d.json" && e.Pos.Line >= 1 && e.Pos.Line <= 2 && e.Pos.Col >= 1:
				default:
					t.Fatalf("%s: error at %s: %s", name, e.Pos, e.Msg)
				}
			}
			if d != nil && (d.percentage < 0 || d.percentage > 100 || d.frontReq.body > maxDiagBodyBytes) {
				t.Fatalf("%s: out of range: %+v", name, d)
			}
		}
	})
}
