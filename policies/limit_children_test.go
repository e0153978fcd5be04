package policies

import (
	"strings"
	"testing"

	"tollgate/engine"
)

// opRequest is a request to operation op (id and name) of API api, with a
// subscription when sub is not empty.
func opRequest(api, op, sub string) *engine.State {
	s := apiRequest(api)
	c := s.Context()
	c.Api.Id = api
	if op != "" {
		c.Operation = &engine.Operation{Id: op, Name: "Op " + op}
	}
	if sub != "" {
		c.Subscription = &engine.Subscription{Id: sub}
	}
	return s
}

// TestRateLimitAPIChildren: a product's rate-limit with an <api> limit and,
// inside it, an <operation> limit (APIM's reference: "Product, API, and
// operation call rate limits are applied independently"). Each applies to
// the calls it names; a call refused by one counts against none.
func TestRateLimitAPIChildren(t *testing.T) {
	d := testDeps()
	plan := compile(t, d, `<rate-limit calls="4" renewal-period="60" remaining-calls-header-name="X-Left" total-calls-header-name="X-Total">
  <api name="orders" calls="2" renewal-period="60">
    <operation id="get-order" calls="1" renewal-period="60"/>
  </api>
  <api id="audit" name="ignored, id wins" calls="1" renewal-period="60"/>
</rate-limit>`)
	type call struct {
		api, op, sub string
		ok           bool
		left, total  string // X-Left, X-Total when admitted
	}
	for i, c := range []call{
		{"orders", "get-order", "s1", true, "0", "1"}, // the operation's limit is the tightest
		{"orders", "get-order", "s1", false, "", ""},  // operation limit: 1
		{"orders", "list", "s1", true, "0", "2"},      // the API's limit has 0 left
		{"orders", "list", "s1", false, "", ""},       // API limit: 2 (the refused call did not count)
		{"orders", "get-order", "s2", true, "0", "1"}, // another subscription counts apart
		{"audit", "", "s1", true, "0", "1"},           // matched by id
		{"audit", "", "s1", false, "", ""},
		{"ignored, id wins", "", "s1", true, "0", "4"}, // name ignored when id is given: only the product's limit
		{"other", "", "s1", false, "", ""},             // product limit: 4 (orders 2, audit 1, one more)
	} {
		s := opRequest(c.api, c.op, c.sub)
		what := c.api + "/" + c.op + " " + c.sub
		if c.ok {
			admit(t, plan, s, what)
			h := s.ResponseHeaders()
			if got, got2 := h.GetValueOrDefault("X-Left", ""), h.GetValueOrDefault("X-Total", ""); got != c.left || got2 != c.total {
				t.Errorf("call %d (%s): X-Left %q X-Total %q, want %q %q", i+1, what, got, got2, c.left, c.total)
			}
		} else {
			body, _ := reject(t, plan, s, 429, engine.ReasonRateLimitExceeded, what)
			if !rateBody.MatchString(body) {
				t.Errorf("call %d: body %s", i+1, body)
			}
		}
		s.Release()
	}
}

// TestRateLimitAPIChildrenNoSubscription: without a subscription the
// element counts per API, and so do its children.
func TestRateLimitAPIChildrenNoSubscription(t *testing.T) {
	plan := compile(t, testDeps(), `<rate-limit calls="10" renewal-period="60"><api name="orders" calls="1" renewal-period="60"/></rate-limit>`)
	s := opRequest("orders", "", "")
	admit(t, plan, s, "first")
	s.Release()
	s = opRequest("orders", "", "")
	reject(t, plan, s, 429, engine.ReasonRateLimitExceeded, "second")
	s.Release()
	s = opRequest("other", "", "")
	admit(t, plan, s, "other API")
	s.Release()
}

// TestQuotaAPIChildren: quota's <api> and <operation> children, calls and
// bandwidth, each applied on its own.
func TestQuotaAPIChildren(t *testing.T) {
	plan := compile(t, testDeps(), `<quota calls="100" renewal-period="3600">
  <api name="orders" calls="3" renewal-period="3600">
    <operation name="Op upload" bandwidth="1" renewal-period="0"/>
  </api>
</quota>`)
	// 1.5 KB uploaded in a first call: admitted, then counted once over.
	s := opRequest("orders", "upload", "s1")
	admit(t, plan, s, "first upload")
	s.CountBytes().In.Add(1536)
	s.Done()
	s.Release()
	s = opRequest("orders", "upload", "s1")
	body, ra := reject(t, plan, s, 403, engine.ReasonQuotaExceeded, "second upload")
	if checkQuotaBody(t, body, ra) != "bandwidth" {
		t.Errorf("body %s", body)
	}
	s.Release()
	// The refused upload did not count against the API's 3 calls.
	for range 2 {
		s = opRequest("orders", "list", "s1")
		admit(t, plan, s, "list")
		s.Release()
	}
	s = opRequest("orders", "list", "s1")
	body, ra = reject(t, plan, s, 403, engine.ReasonQuotaExceeded, "fourth orders call")
	if checkQuotaBody(t, body, ra) != "call volume" {
		t.Errorf("body %s", body)
	}
	s.Release()
	s = opRequest("orders", "list", "s2")
	admit(t, plan, s, "another subscription")
	s.Release()
	if !strings.Contains(body, "Quota will be replenished") {
		t.Errorf("body %s", body)
	}
}
