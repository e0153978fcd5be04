package policies

import (
	"context"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"tollgate/engine"
)

// querySetBothWays changes the parameter name of a request whose query is
// raw both ways set-query-parameter can: through a copy of the map
// (MutableQuery, applyValues, SetQueryParamIn) and as text
// (SetQueryParamText, the map parsed when read). It returns each Url's
// query string and map, and OriginalUrl's map after the text change;
// ok is false when the text way does not apply (a parameter given no
// values).
func querySetBothWays(raw, name, action string, vals []string, parseFirst bool) (mapStr, textStr string, mapQ, textQ, orig, origWant engine.Query, ok bool) {
	if len(vals) == 0 && action != "delete" {
		return "", "", nil, nil, nil, nil, false
	}
	mk := func() *engine.State {
		st := engine.AcquireState(nil)
		u := &url.URL{Path: "/p", RawQuery: raw}
		st.SetRequestURI("GET", "http", "h", u, "/p?"+raw, nil, "")
		return st
	}
	a, b := mk(), mk()
	defer a.Release()
	defer b.Release()
	a.SyncQuery()
	origWant = clone(a.Context().Request.OriginalUrl.Query)

	ua := a.Context().Request.Url
	q := ua.MutableQuery()
	before := q[name]
	applyValues(q, name, action, vals)
	ua.SetQueryParamIn(q, name, before, nil)

	ub := b.Context().Request.Url
	if parseFirst {
		b.SyncQuery()
	}
	before, ok = ub.TextBefore(name)
	if !ok { // an escaped name or value, a parameter given twice: parsed first
		b.SyncQuery()
		if before, ok = ub.TextBefore(name); !ok {
			panic("a parsed query the client's, not changeable as text")
		}
	}
	ub.SetQueryParamText(name, before, newValues(before, action, vals), b)
	b.SyncQuery()
	return ua.QueryString, ub.QueryString, ua.Query, ub.Query, b.Context().Request.OriginalUrl.Query, origWant, true
}

func clone(q engine.Query) engine.Query {
	if q == nil {
		return nil
	}
	c := engine.Query{}
	for k, v := range q {
		c[k] = append([]string(nil), v...)
	}
	return c
}

// TestSetQueryParamText: the query set-query-parameter changes as text
// reads back as the map the copy would have given, OriginalUrl's
// unchanged.
func TestSetQueryParamText(t *testing.T) {
	cases := []struct {
		raw, name, action string
		vals              []string
	}{
		{"mode=echo", "tenant", "override", []string{"acme"}},
		{"mode=echo&tenant=x", "tenant", "override", []string{"acme"}},
		{"tenant=x&mode=echo&tenant=y", "tenant", "append", []string{"a b", "c&d"}},
		{"tenant=x&mode=echo", "tenant", "skip", []string{"z"}},
		{"mode=echo", "tenant", "skip", []string{"z"}},
		{"tenant=x&mode=echo", "tenant", "delete", nil},
		{"mode=echo", "tenant", "delete", nil},
		{"", "tenant", "delete", nil},
		{"", "tenant", "override", []string{""}},
		{"a=%zz&a=1", "a", "append", []string{"2"}},
		{"a=%zz", "a", "override", []string{"2"}},
		{"%61=1&a=2;x", "a", "override", []string{"3"}},
		{"a+b=1", "a b", "append", []string{"=&?"}},
		{"a=1&a=2&b", "a", "append", []string{"3"}},
		{"b=1&a=", "a", "skip", []string{"3"}},
		{"&&", "a", "delete", nil},
	}
	for _, c := range cases {
		for _, first := range []bool{false, true} {
			ms, ts, mq, tq, orig, ow, ok := querySetBothWays(c.raw, c.name, c.action, c.vals, first)
			if !ok {
				t.Fatalf("%+v: not a text change", c)
			}
			if ms != ts || !reflect.DeepEqual(mq, tq) {
				t.Errorf("%+v: the copy gives %q %v, the text %q %v", c, ms, mq, ts, tq)
			}
			if !reflect.DeepEqual(orig, ow) {
				t.Errorf("%+v: OriginalUrl.Query %v, want %v", c, orig, ow)
			}
		}
	}
}

// FuzzSetQueryParamText holds the text change to the copy's result for
// any query, name, action and values.
func FuzzSetQueryParamText(f *testing.F) {
	f.Add("mode=echo&tenant=x", "tenant", uint8(0), "acme\x00b")
	f.Add("a=%zz&a=1;&b", "a", uint8(2), "2")
	f.Add("%61=1&&a", "a", uint8(3), "")
	f.Add("a=1&b=2", "a", uint8(4), "3")
	actions := []string{"override", "skip", "append", "delete"}
	f.Fuzz(func(t *testing.T, raw, name string, act uint8, vals string) { // act's bit 2: the query parsed before the change
		var vs []string
		if vals != "" {
			vs = strings.Split(vals, "\x00")
		}
		action := actions[int(act)%len(actions)]
		ms, ts, mq, tq, orig, ow, ok := querySetBothWays(raw, name, action, vs, act&4 != 0)
		if !ok {
			return
		}
		if ms != ts || !reflect.DeepEqual(mq, tq) {
			t.Errorf("%q %q %s %q: the copy gives %q %v, the text %q %v", raw, name, action, vs, ms, mq, ts, tq)
		}
		if !reflect.DeepEqual(orig, ow) {
			t.Errorf("%q: OriginalUrl.Query %v, want %v", raw, orig, ow)
		}
	})
}

// readQueryStep is a policy step whose Go code reads
// context.Request.Url.Query itself (not QueryBlind), as rewrite-uri's and
// validate-parameters' do: it records what it saw.
type readQueryStep struct{ saw *[]string }

func (r readQueryStep) Run(_ context.Context, s *engine.State) error {
	*r.saw = append(*r.saw, strings.Join(s.Context().Request.Url.Query["tenant"], ","))
	return nil
}

// TestQueryReadAfterTextChange: after set-query-parameter changed the
// query as text, every reader sees the changed map: an expression on the
// VM and on the fast paths, a policy step's Go code, a fork; OriginalUrl
// keeps the client's.
func TestQueryReadAfterTextChange(t *testing.T) {
	var saw []string
	reg := Registry(testDeps())
	reg["read-query"] = engine.Policy{Sections: engine.AllSections, Parse: func(*engine.Parser) engine.Step { return readQueryStep{&saw} }}
	src := `<policies><inbound>
  <set-query-parameter name="tenant" exists-action="append"><value>acme</value></set-query-parameter>
  <read-query/>
  <set-query-parameter name="tenant" exists-action="append"><value>b c</value></set-query-parameter>
  <set-variable name="fast" value="@(context.Request.Url.Query.GetValueOrDefault(&quot;tenant&quot;, &quot;none&quot;))"/>
  <set-query-parameter name="tenant" exists-action="override"><value>z</value></set-query-parameter>
  <set-variable name="has" value="@(context.Request.Url.Query.ContainsKey(&quot;tenant&quot;))"/>
  <set-query-parameter name="other" exists-action="override"><value>1</value></set-query-parameter>
  <set-variable name="vm" value="@(string.Join(&quot;|&quot;, context.Request.Url.Query[&quot;tenant&quot;]) + context.Request.Url.Query.Count)"/>
  <set-variable name="orig" value="@(context.Request.OriginalUrl.Query.GetValueOrDefault(&quot;tenant&quot;, &quot;none&quot;))"/>
  <set-query-parameter name="tenant" exists-action="delete"/>
  <read-query/>
</inbound><backend/><outbound/><on-error/></policies>`
	root, err := engine.Read("policy.xml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c := engine.NewCompiler(reg, engine.NewNamedValues())
	plan := c.Compile(root, "api", nil)
	if errs := c.Errors(); len(errs) > 0 {
		t.Fatal(errs.Error())
	}
	s := request("http://gw/chat?tenant=x&mode=echo")
	defer s.Release()
	if runInbound(plan, s) {
		t.Fatal("stopped")
	}
	v := s.Context().Variables
	want := map[string]any{"fast": "x,acme,b c", "has": true, "vm": "z3", "orig": "x"}
	for k, w := range want {
		if v[k] != w {
			t.Errorf("%s = %#v, want %#v", k, v[k], w)
		}
	}
	if got := strings.Join(saw, ";"); got != "x,acme;" {
		t.Errorf("read-query saw %q, want %q", got, "x,acme;")
	}
	if got := s.Context().Request.Url.QueryString; got != "?mode=echo&other=1" {
		t.Errorf("QueryString = %q", got)
	}
	// A fork (wait) copies the map: the text change is parsed first.
	s2 := request("http://gw/chat?mode=echo")
	defer s2.Release()
	u := s2.Context().Request.Url
	u.SetQueryParamText("tenant", nil, []string{"acme"}, s2)
	f := s2.Fork()
	defer f.Release()
	if got := f.Context().Request.Url.Query.GetValueOrDefault("tenant", "none"); got != "acme" {
		t.Errorf("fork sees tenant %q", got)
	}
}
