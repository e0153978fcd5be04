package policies

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"tollgate/engine"
	"tollgate/store"
)

// testDeps returns Deps with a fresh in-memory store.
func testDeps() Deps { return Deps{Store: store.NewMemory()} }

// compile compiles a <policies> document (or, when src has no <policies>
// root, an inbound section body) and fails the test on any load error.
func compile(t testing.TB, d Deps, src string) *engine.Plan {
	t.Helper()
	plan, errs := compileErrs(d, src)
	if len(errs) > 0 {
		t.Fatalf("load errors:\n%s", errs.Error())
	}
	return plan
}

func compileErrs(d Deps, src string) (*engine.Plan, engine.ErrorList) {
	if !strings.Contains(src, "<policies>") {
		src = "<policies><inbound>" + src + "</inbound><backend/><outbound/><on-error/></policies>"
	}
	root, err := engine.Read("policy.xml", []byte(src))
	if err != nil {
		var el engine.ErrorList
		el.Append(err)
		return nil, el
	}
	c := engine.NewCompiler(Registry(d), engine.NewNamedValues(
		engine.NamedValue{Name: "backend", Value: "ws://127.0.0.1:9/"},
		engine.NamedValue{Name: "secret", Value: "s3cr3t", Secret: true},
	))
	c.Schemas = testSchemas()
	plan := c.Compile(root, "api", nil)
	return plan, c.Errors()
}

// request builds a State for a GET of rawURL with headers (name, value pairs).
func request(rawURL string, hdr ...string) *engine.State {
	u, _ := url.Parse(rawURL)
	h := http.Header{}
	for i := 0; i+1 < len(hdr); i += 2 {
		h.Add(hdr[i], hdr[i+1])
	}
	s := engine.AcquireState(&engine.Api{Name: "test", Type: "websocket", Path: "/chat", ServiceUrl: "ws://127.0.0.1:1/"})
	s.SetRequest(http.MethodGet, u.Scheme, u.Host, u, h, "10.1.2.3")
	return s
}

// runInbound runs the inbound section and reports whether it ended the pipeline.
func runInbound(plan *engine.Plan, s *engine.State) bool {
	return plan.Run(context.Background(), engine.Inbound, s)
}
