package gateway

import (
	"path/filepath"
	"testing"

	"tollgate/internal/testutil"
	"tollgate/policies"
	"tollgate/store"
)

// TestServedPrepared: every API a snapshot routes to (its views and its
// operations' views) has its runtime and its body pooling worked out when
// the snapshot is published, equal to what the per-request look-up and
// walk give; a reload that changes the plan changes the pooling, and the
// runtime stays the name's.
func TestServedPrepared(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) { t.Helper(); testutil.WriteFile(t, filepath.Join(dir, rel), content) }
	const inbound = `<policies><inbound><set-variable name="n" value="@(context.Request.Body.As<string>().Length)"/></inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`
	const outbound = `<policies><inbound/><backend><forward-request/></backend><outbound><set-header name="X" exists-action="override"><value>1</value></set-header></outbound><on-error/></policies>`
	write("a/api.xml", `<api name="a" type="http" path="/a" service-url="http://127.0.0.1:9/">
  <operations><operation id="get" method="GET" url-template="/x"/><operation id="post" method="POST" url-template="/y"/></operations>
</api>`)
	write("a/policy.xml", inbound)
	write("a/operations/post/policy.xml", outbound)
	write("b/api.xml", `<api name="b" type="http" path="/b" service-url="http://127.0.0.1:9/"/>`)
	write("b/policy.xml", outbound)
	s, err := New(Options{Dir: dir, Registry: policies.Registry(policies.Deps{Store: store.NewMemory()}), Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	type seen struct {
		rt   *apiRuntime
		pool bool
	}
	check := func() map[string][]seen {
		t.Helper()
		got := map[string][]seen{}
		one := func(a *API) {
			if a.served.of != a || a.served.srv != s {
				t.Errorf("API %q (operation %v): not prepared", a.Name, a.Operation)
				return
			}
			if rt := s.runtime(a.Name); a.served.rt != rt || s.runtimeOf(a) != rt {
				t.Errorf("API %q: prepared runtime %p, the name's %p", a.Name, a.served.rt, rt)
			}
			if want := poolableBodyPlan(a.Plan); s.poolableBodyAPI(a) != want {
				t.Errorf("API %q (operation %v): prepared pooling %v, the plan's %v", a.Name, a.Operation, a.served.poolBody, want)
			}
			got[a.Name] = append(got[a.Name], seen{a.served.rt, a.served.poolBody})
		}
		for _, a := range s.Current().APIs {
			for _, v := range a.allViews() {
				one(v)
			}
		}
		return got
	}
	before := check()
	// a, its view and the get operation's pool; the post operation's
	// outbound does not; b's plan has an outbound.
	if a := before["a"]; len(a) != 4 || !a[0].pool || !a[1].pool || a[2].pool == a[3].pool {
		t.Fatalf("a: %+v", a)
	}
	if b := before["b"]; len(b) != 2 || b[0].pool || b[1].pool {
		t.Fatalf("b: %+v", b)
	}
	// A copy is not prepared: it is worked out per request.
	cp := *s.Current().APIs[0]
	if cp.served.of == &cp || s.runtimeOf(&cp) != s.runtime(cp.Name) || s.poolableBodyAPI(&cp) != poolableBodyPlan(cp.Plan) {
		t.Fatal("a copy of an API used its original's prepared parts")
	}
	write("b/policy.xml", inbound)
	if st := s.Reload("test"); st.Result != ReloadSuccess {
		t.Fatalf("reload: %+v", st)
	}
	after := check()
	if b := after["b"]; len(b) != 2 || !b[0].pool || !b[1].pool || b[0].rt != before["b"][0].rt {
		t.Fatalf("b after the reload: %+v (runtime before %p)", b, before["b"][0].rt)
	}
}
