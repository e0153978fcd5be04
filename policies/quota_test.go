package policies

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"tollgate/engine"
)

var quotaBody = regexp.MustCompile(`^\{"statusCode":403,"message":"Out of (call volume|bandwidth) quota\. Quota will be replenished in (\d{2,}):(\d\d):(\d\d)\."\}$`)

// checkQuotaBody checks the 403 body against Retry-After and returns which
// quota ran out.
func checkQuotaBody(t *testing.T, body string, retryAfter int) string {
	t.Helper()
	m := quotaBody.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("body = %s", body)
	}
	h, _ := strconv.Atoi(m[2])
	mi, _ := strconv.Atoi(m[3])
	sec, _ := strconv.Atoi(m[4])
	if h*3600+mi*60+sec != retryAfter || retryAfter < 1 {
		t.Errorf("body %s does not match Retry-After %d", body, retryAfter)
	}
	return m[1]
}

func TestQuotaCalls(t *testing.T) {
	d := testDeps()
	const src = `<quota calls="2" renewal-period="3600"/>`
	plan := compile(t, d, src)
	for i := range 2 {
		s := request("ws://gw/chat")
		admit(t, plan, s, fmt.Sprintf("call %d", i+1))
		s.Release()
	}
	s := request("ws://gw/chat")
	body, ra := reject(t, plan, s, 403, engine.ReasonQuotaExceeded, "call 3")
	if checkQuotaBody(t, body, ra) != "call volume" || ra > 3600 {
		t.Errorf("body %s, Retry-After %d", body, ra)
	}
	s.Release()

	s = apiRequest("other")
	admit(t, plan, s, "other API")
	s.Release()

	// Counters survive a reload of the same document.
	plan = compile(t, d, src)
	s = request("ws://gw/chat")
	reject(t, plan, s, 403, engine.ReasonQuotaExceeded, "after reload")
	s.Release()
}

// Bandwidth is counted from the State's ByteCount when the request (for a
// WebSocket API, the session) is over, so it rejects the next requests.
func TestQuotaBandwidth(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		key       []string
	}{
		{"quota", `<quota bandwidth="1" renewal-period="0"/>`, nil},
		{"quota-by-key", `<quota-by-key bandwidth="1" renewal-period="60" counter-key="@(context.Request.Headers.GetValueOrDefault("X-Key",""))"/>`, []string{"X-Key", "a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := compile(t, testDeps(), tc.src)
			// 600 bytes: under 1 KB, still admitted afterwards.
			s := request("ws://gw/chat", tc.key...)
			admit(t, plan, s, "first")
			bc := s.ByteCount()
			if bc == nil {
				t.Fatal("no byte counter requested")
			}
			bc.In.Add(100)
			bc.Out.Add(500)
			s.Done()
			s.Release()

			// 600 more: over 1 KB. The session was admitted; the next is not.
			s = request("ws://gw/chat", tc.key...)
			admit(t, plan, s, "second")
			bc = s.ByteCount()
			s.Done() // the OnDone function reads only the counter
			s.Release()
			bc.In.Add(600) // too late: already counted (0 bytes)
			s = request("ws://gw/chat", tc.key...)
			admit(t, plan, s, "third")
			s.ByteCount().Out.Add(600)
			s.Done()
			s.Release()

			s = request("ws://gw/chat", tc.key...)
			body, ra := reject(t, plan, s, 403, engine.ReasonQuotaExceeded, "fourth")
			if checkQuotaBody(t, body, ra) != "bandwidth" {
				t.Errorf("body %s", body)
			}
			s.Release()
			if tc.key != nil {
				s = request("ws://gw/chat", "X-Key", "b")
				admit(t, plan, s, "other key")
				s.Release()
			}
		})
	}
}

func TestQuotaByKey(t *testing.T) {
	ctx := context.Background()
	plan := compile(t, testDeps(), `<quota-by-key calls="1" renewal-period="86400" counter-key="@(context.Request.Headers.GetValueOrDefault("X-Key",""))"
  increment-condition="@(context.Response.StatusCode &lt; 400)" first-period-start="2024-01-01T00:00:00Z"/>`)
	run := func(key string, status int) bool {
		s := request("ws://gw/chat", "X-Key", key)
		defer s.Release()
		if runInbound(plan, s) {
			if s.Response().StatusCode != 403 || s.LastError().Reason != engine.ReasonQuotaExceeded {
				t.Fatalf("%s: %d %+v", key, s.Response().StatusCode, s.LastError())
			}
			return false
		}
		s.SetResponse(engine.NewResponse(status))
		s.Finish(ctx)
		return true
	}
	for i, tc := range []struct {
		key    string
		status int
		ok     bool
	}{
		{"a", 500, true}, // not counted: the condition is false
		{"a", 500, true},
		{"a", 200, true}, // counted at the end
		{"a", 200, false},
		{"b", 200, true},
		{"b", 200, false},
	} {
		if got := run(tc.key, tc.status); got != tc.ok {
			t.Errorf("%d (%s, %d): admitted = %v, want %v", i, tc.key, tc.status, got, tc.ok)
		}
	}
}

// Starts before 1970 move forward by whole periods: same windows, small
// numbers for the store.
func TestQuotaAlignStart(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		start  time.Time
		period time.Duration
		want   time.Time
	}{
		{time.Time{}, day, time.Unix(0, 0).UTC()},
		{time.Time{}, 7 * day, time.Date(1969, 12, 29, 0, 0, 0, 0, time.UTC)}, // 0001-01-01 was a Monday
		{time.Time{}, 3600 * time.Second, time.Unix(0, 0).UTC()},
		{time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC), 7 * time.Minute, time.Date(1969, 12, 31, 23, 56, 0, 0, time.UTC)},
		{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), day, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		got := alignStart(tc.start, tc.period)
		if !got.Equal(tc.want) {
			t.Errorf("alignStart(%v, %v) = %v, want %v", tc.start, tc.period, got, tc.want)
		}
		if tc.start.Unix() < 0 && (got.Unix()-tc.start.Unix())%int64(tc.period/time.Second) != 0 {
			t.Errorf("alignStart(%v, %v) moved by a fraction of a period", tc.start, tc.period)
		}
	}
}

// quota-by-key's increment-count, as APIM documents it ("the number by which
// the counter is increased per request", expressions allowed, default 1):
// jonathandhaene/apim-educational counts estimated tokens against a monthly
// quota with it. A constant counts in inbound; an expression at the end of
// outbound (inbound then only checks); 0 only checks.
func TestQuotaByKeyIncrementCount(t *testing.T) {
	finish := func(s *engine.State, status int) {
		s.SetResponse(engine.NewResponse(status))
		s.Finish(context.Background())
		s.Release()
	}
	plan := compile(t, testDeps(), `<quota-by-key calls="10" renewal-period="2592000" counter-key="k1" increment-count="3"/>`)
	for i := range 3 {
		s := request("ws://gw/chat")
		admit(t, plan, s, fmt.Sprintf("constant 3, call %d", i+1)) // 3, 6, 9
		s.Release()
	}
	s := request("ws://gw/chat")
	body, ra := reject(t, plan, s, 403, engine.ReasonQuotaExceeded, "constant 3, call 4") // 12 > 10
	checkQuotaBody(t, body, ra)
	s.Release()

	// the corpus document's own expression: a variable set before it
	plan = compile(t, testDeps(), `<quota-by-key calls="10" renewal-period="2592000" counter-key="k2" increment-count="@((int)context.Variables[&quot;estimatedInputTokens&quot;])"/>`)
	for i, n := range []int{8, 1, 1} {
		s := request("ws://gw/chat")
		s.Variables()["estimatedInputTokens"] = n
		admit(t, plan, s, fmt.Sprintf("expression %d, call %d", n, i+1)) // checked at 0, 8, 9 used
		finish(s, 200)
	}
	s = request("ws://gw/chat")
	s.Variables()["estimatedInputTokens"] = 1
	reject(t, plan, s, 403, engine.ReasonQuotaExceeded, "expression, quota used up") // 10 used
	s.Release()

	// increment-condition false: not counted, whatever the count
	plan = compile(t, testDeps(), `<quota-by-key calls="2" renewal-period="3600" counter-key="k3" increment-count="@(5)" increment-condition="@(context.Response.StatusCode &lt; 400)"/>`)
	for i := range 3 {
		s := request("ws://gw/chat")
		admit(t, plan, s, fmt.Sprintf("failed call %d", i+1))
		finish(s, 500)
	}

	for _, tc := range []struct{ src, want string }{
		{`<quota-by-key calls="10" renewal-period="60" counter-key="k" increment-count="-1"/>`, `increment-count`},
		{`<quota-by-key calls="10" renewal-period="60" counter-key="k" increment-count="x"/>`, `increment-count`},
		{`<quota calls="10" renewal-period="60" increment-count="2"/>`, `has no attribute "increment-count"`},
	} {
		_, errs := compileErrs(testDeps(), tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %q", tc.src, errs, tc.want)
		}
	}
}
