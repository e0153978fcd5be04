package gateway

import (
	"bytes"
	"testing"

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
			d := parseDiagnostic("d.json", name, "", data, &errs, &notes)
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
