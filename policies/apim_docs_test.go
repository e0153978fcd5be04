package policies

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tollgate/engine"
)

// TestAPIMDocPolicies: the documentation's policies load as written, and
// the one that needs nothing from Azure gives the documented result.
func TestAPIMDocPolicies(t *testing.T) {
	files, err := filepath.Glob("testdata/apim-docs/*.xml")
	if err != nil || len(files) < 4 {
		t.Fatalf("%d files: %v", len(files), err)
	}
	plans := map[string]*engine.Plan{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src := string(data)
		switch {
		case strings.HasSuffix(f, ".outbound.xml"):
			src = "<policies><inbound/><backend/><outbound>" + src + "</outbound><on-error/></policies>"
		case strings.HasSuffix(f, ".backend.xml"):
			src = "<policies><inbound/><backend>" + src + "</backend><outbound/><on-error/></policies>"
		case strings.HasPrefix(strings.TrimSpace(src), "<inbound>"):
			src = "<policies>" + src + "<backend/><outbound/><on-error/></policies>"
		}
		plan, errs := compileErrs(testDeps(), src)
		if len(errs) > 0 {
			t.Errorf("%s: load errors:\n%v", f, errs)
			continue
		}
		plans[filepath.Base(f)] = plan
	}

	// set-variable: IsMobile is true for an iPhone's User-Agent.
	for ua, want := range map[string]bool{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)": true, "curl/8.0": false} {
		s := engine.AcquireState(&engine.Api{Name: "docs"})
		u, _ := url.Parse("http://gw/x")
		s.SetRequest("GET", "http", "gw", u, http.Header{"User-Agent": {ua}}, "10.0.0.1")
		if plans["set-variable.xml"].Run(context.Background(), engine.Inbound, s) {
			t.Fatalf("stopped: %+v", s.LastError())
		}
		if got := s.Variables()["IsMobile"]; got != want {
			t.Errorf("IsMobile for %q = %v, want %v", ua, got, want)
		}
		s.Release()
	}
}
