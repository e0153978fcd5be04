package policies

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"tollgate/engine"
)

// secRequest builds a State for method rawURL from ip, with headers.
func secRequest(method, rawURL, ip string, hdr ...string) *engine.State {
	u, _ := url.Parse(rawURL)
	h := http.Header{}
	for i := 0; i+1 < len(hdr); i += 2 {
		h.Add(hdr[i], hdr[i+1])
	}
	s := engine.AcquireState(&engine.Api{Name: "test", Type: "http", Path: "/api", ServiceUrl: "http://127.0.0.1:1/"})
	s.SetRequest(method, u.Scheme, u.Host, u, h, ip)
	return s
}

func TestIPFilter(t *testing.T) {
	list := `<address>13.66.201.169</address>
  <address-range from="10.0.0.10" to="10.0.0.20"/>
  <address>2001:db8::1</address>
  <address-range from="2001:db8:1::" to="2001:db8:1::ffff"/>
  <address>192.168.0.0/16</address>
  <address>fd00::/8</address>`
	allow := compile(t, testDeps(), `<ip-filter action="allow">`+list+`</ip-filter>`)
	forbid := compile(t, testDeps(), `<ip-filter action="forbid">`+list+`</ip-filter>`)
	byHeader := compile(t, testDeps(), `<ip-filter action="@(context.Request.Headers.GetValueOrDefault(&quot;X-Mode&quot;, &quot;allow&quot;))">`+list+`</ip-filter>`)
	for _, tc := range []struct {
		ip     string
		listed bool
	}{
		{"13.66.201.169", true},
		{"13.66.201.170", false},
		{"10.0.0.10", true},
		{"10.0.0.15", true},
		{"10.0.0.20", true},
		{"10.0.0.21", false},
		{"10.0.0.9", false},
		{"::ffff:10.0.0.15", true}, // IPv4-mapped counts as IPv4
		{"2001:db8::1", true},
		{"2001:db8::2", false},
		{"2001:db8:1::abcd", true},
		{"2001:db8:1::1:0", false},
		{"192.168.44.1", true},
		{"192.169.0.1", false},
		{"fd12:3456::1", true},
		{"fe80::1", false},
		{"::a00:f", false}, // IPv6 bits equal to 10.0.0.15: another family
		{"not-an-ip", false},
	} {
		for _, mode := range []struct {
			plan   *engine.Plan
			allow  bool
			header string
		}{{allow, true, ""}, {forbid, false, ""}, {byHeader, true, "allow"}, {byHeader, false, "forbid"}} {
			s := secRequest("GET", "http://gw/api", tc.ip, "X-Mode", mode.header)
			if mode.header == "" {
				s.Context().Request.Headers = engine.Headers{}
			}
			stopped := runInbound(mode.plan, s)
			wantBlocked := tc.listed != mode.allow
			if stopped != wantBlocked {
				t.Errorf("%s allow=%v: blocked=%v, want %v (%+v)", tc.ip, mode.allow, stopped, wantBlocked, s.LastError())
			}
			if stopped {
				le := s.LastError()
				if le.Reason != "CallerIpNotAllowed" || s.Response().StatusCode != 403 || !strings.Contains(le.Message, tc.ip) {
					t.Errorf("%s: %+v status %d", tc.ip, le, s.Response().StatusCode)
				}
			}
			s.Release()
		}
	}
}

func TestIPFilterBadActionAtRun(t *testing.T) {
	plan := compile(t, testDeps(), `<ip-filter action="@(&quot;deny&quot;)"><address>1.2.3.4</address></ip-filter>`)
	s := secRequest("GET", "http://gw/api", "1.2.3.4")
	defer s.Release()
	if !runInbound(plan, s) || s.LastError().Reason != "ExpressionValueEvaluationFailure" {
		t.Fatalf("LastError = %+v", s.LastError())
	}
}

func TestIPFilterLoadErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`<ip-filter><address>1.2.3.4</address></ip-filter>`, `policy.xml:1:20: inbound/ip-filter[1]: <ip-filter> needs the attribute "action"`},
		{`<ip-filter action="deny"><address>1.2.3.4</address></ip-filter>`, `policy.xml:1:39: inbound/ip-filter[1]: attribute "action" must be allow or forbid, not "deny"`},
		{`<ip-filter action="allow"/>`, `needs at least one <address> or <address-range>`},
		{`<ip-filter action="allow"><address>1.2.3.400</address></ip-filter>`, `policy.xml:1:55: inbound/ip-filter[1]/address[1]: "1.2.3.400" is not an IPv4 or IPv6 address`},
		{`<ip-filter action="allow"><address>fe80::1%eth0</address></ip-filter>`, `is not an IPv4 or IPv6 address`},
		{`<ip-filter action="allow"><address>10.0.0.0/33</address></ip-filter>`, `not an address or a CIDR prefix`},
		{`<ip-filter action="allow"><address-range from="10.0.0.9" to="10.0.0.1"/></ip-filter>`, `the range goes backwards: from 10.0.0.9 is after to 10.0.0.1`},
		{`<ip-filter action="allow"><address-range from="10.0.0.1" to="::1"/></ip-filter>`, `mixes IPv4 (10.0.0.1) and IPv6 (::1)`},
		{`<ip-filter action="allow"><address-range from="x" to="10.0.0.1"/></ip-filter>`, `policy.xml:1:67: inbound/ip-filter[1]/address-range[1]: "x" is not an IPv4 or IPv6 address`},
		{`<ip-filter action="allow"><address-range from="10.0.0.1"/></ip-filter>`, `needs the attribute "to"`},
		{`<ip-filter action="allow"><adress>1.2.3.4</adress></ip-filter>`, `unexpected element <adress> inside <ip-filter>`},
		{`<ip-filter action="allow"><address>@(context.Request.IpAddress)</address></ip-filter>`, `must be written out`},
	} {
		_, errs := compileErrs(testDeps(), tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s\n got: %v\nwant: %s", tc.src, errs, tc.want)
		}
	}
}
