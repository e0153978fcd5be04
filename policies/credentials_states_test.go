package policies

import (
	"fmt"
	"testing"
	"time"

	"tollgate/engine"
)

// Reloads that change or remove connections' definitions do not pile up
// running states: Commit forgets those no served set uses. A reload that
// fails (staged, never committed) keeps the served set's states, and a
// request in flight on an older set keeps working after its states are
// forgotten.
func TestCredentialStatesForgotten(t *testing.T) {
	fx := newCredFixture(t, nil)
	fx.set.Commit()
	const src = `<get-authorization-context provider-id="github-01" authorization-id="auth-01" context-variable-name="a"/>
		<set-header name="Authorization" exists-action="override"><value>@("Bearer " + ((Authorization)context.Variables["a"]).AccessToken)</value></set-header>`
	get := func(plan *engine.Plan) string {
		t.Helper()
		s := request("http://gw/x")
		if runInbound(plan, s) {
			t.Fatalf("stopped: %+v", s.LastError())
		}
		return s.Context().Request.Headers.GetValueOrDefault("Authorization", "")
	}
	first := fx.compile(t, src)
	if got := get(first); got != "Bearer at-1" {
		t.Fatalf("first: %q", got)
	}
	if n := fx.c.States(); n != 1 {
		t.Fatalf("%d states at start, want 1", n)
	}

	// N reloads, each with another scope (a changed definition) and, every
	// other one, a second provider that the next one removes.
	const reloads = 20
	for i := range reloads {
		p := credProvider(fx.f, "github-01", "auth-01")
		p.Params["scopes"] = fmt.Sprintf("scope-%d", i)
		defs := []CredentialProvider{p}
		if i%2 == 0 {
			defs = append(defs, credProvider(fx.f, "other", "conn"))
		}
		set, errs := fx.c.Stage(defs)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		set.Commit()
		if n, want := fx.c.States(), len(defs); n != want {
			t.Fatalf("reload %d: %d states, want %d", i, n, want)
		}
		fx.set = set
	}
	// The first configuration's plan (a request in flight on it) still
	// gets its token: a cached one, then, once it expired, a new one from
	// its forgotten state.
	if got := get(first); got != "Bearer at-1" {
		t.Fatalf("in flight, cached: %q", got)
	}
	fx.clk.advance(2 * time.Hour)
	if got := get(first); got != "Bearer at-2" {
		t.Fatalf("in flight, renewed: %q", got)
	}

	// A reload that fails: staged, never committed. The served set keeps
	// its states (and its token); the next successful reload forgets the
	// failed one's.
	served := fx.compile(t, src)
	before := get(served)
	broken := credProvider(fx.f, "github-01", "auth-01")
	broken.Params["scopes"] = "failed-reload"
	if _, errs := fx.c.Stage([]CredentialProvider{broken, credProvider(fx.f, "third", "c")}); len(errs) > 0 {
		t.Fatal(errs)
	}
	if n := fx.c.States(); n != 3 {
		t.Fatalf("%d states after a failed reload, want 3 (the served one and the failed one's two)", n)
	}
	if got := get(served); got != before {
		t.Fatalf("after a failed reload the served configuration got %q, want its cached %q", got, before)
	}
	// Committing a set keeps the states of the sets staged after it (a
	// reload under way): here the failed one's and the next one's.
	next, _ := fx.c.Stage([]CredentialProvider{credProvider(fx.f, "fourth", "c")})
	fx.set.Commit()
	if n := fx.c.States(); n != 4 {
		t.Fatalf("%d states, want 4 (the served set's and those of the two sets staged after it)", n)
	}
	next.Commit()
	if n := fx.c.States(); n != 1 || next.providers["fourth"].conns["c"].connState != fx.c.conns[next.providers["fourth"].conns["c"].key] {
		t.Fatalf("%d states after committing the last set, want its 1", n)
	}
	// Unstaged sets (nil, the registry's own) commit nothing.
	var none *CredentialSet
	none.Commit()
	fx.c.emptySet().Commit()
	if n := fx.c.States(); n != 1 {
		t.Fatalf("%d states", n)
	}
}
