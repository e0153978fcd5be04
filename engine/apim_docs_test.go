package engine

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
)

// docEntry is one expression of testdata/apim-docs/expressions.txt.
type docEntry struct {
	label, src, kind, want string
}

func readDocEntries(t *testing.T) []docEntry {
	t.Helper()
	data, err := os.ReadFile("testdata/apim-docs/expressions.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out []docEntry
	var cur *docEntry
	var body []string
	inWant := false
	flush := func() {
		if cur != nil {
			cur.want = strings.TrimRight(strings.Join(body, "\n"), "\n")
			out = append(out, *cur)
		}
	}
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "--- "):
			flush()
			cur, body, inWant = &docEntry{label: line[4:]}, nil, false
		case cur == nil:
		case strings.HasPrefix(line, "=> "):
			k, v, _ := strings.Cut(line[3:], ": ")
			cur.kind, cur.src, body, inWant = k, strings.TrimRight(strings.Join(body, "\n"), "\n"), []string{v}, true
		case inWant || line != "" || len(body) > 0:
			body = append(body, line)
		}
	}
	flush()
	return out
}

// docState is the request the documentation's examples run against.
func docState() *State {
	s := AcquireState(&Api{Name: "weather", Path: "/weather", ServiceUrl: "https://backend"})
	u, _ := url.Parse("https://contoso.azure-api.net/weather/onecall?fromDate=2024-01-01&toDate=2024-02-01")
	s.SetRequest("GET", "https", u.Host, u, http.Header{
		"Authorization": {"dXNlcjpwYXNz"},
		"User-Agent":    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"},
	}, "203.0.113.9")
	s.ctx.Request.Body = NewBody([]byte("name=Ada&tag=a&tag=b"))
	s.SetDeployment(&Deployment{GatewayId: "managed", Region: "westeurope", ServiceName: "contoso"})
	s.SetResponse(&Response{StatusCode: 200, StatusReason: "OK",
		Headers: Headers{"Cache-Control": {"public, max-age=3600"}},
		Body:    NewBody([]byte(`{"lat":33.44,"lon":-94.04,"current":{"temp":292.55},"minutely":[],"hourly":[],"daily":[],"alerts":[]}`))})
	resp := func(body string) *Response {
		return &Response{StatusCode: 200, Headers: Headers{}, Body: NewBody([]byte(body))}
	}
	// A request with a subscription key to the Starter product, whose
	// subscription belongs to user 1 (as APIM fills them from the key).
	s.ctx.Subscription = &Subscription{Id: "starter-sub", Name: "Starter subscription", Key: "0123456789abcdef"}
	s.ctx.Product = &Product{Id: "starter", Name: "Starter", State: "published", SubscriptionRequired: true}
	s.ctx.User = &User{Id: "1", Email: "admin@contoso.example"}
	v := s.Variables()
	v["maxAge"], v["token"], v["fromDate"] = "120", "abc", "2024-01-01"
	v["enduserid"], v["clientversion"] = "alice", "v2"
	v["tokenstate"] = resp(`{"active": false}`)
	v["revenuedata"], v["materialdata"] = resp(`{"total":10}`), resp(`{"level":2}`)
	v["throughputdata"], v["accidentdata"] = resp(`{"rate":0.5}`), resp(`{"count":0}`)
	return s
}

// TestAPIMDocExpressions: the documentation's expressions load as written
// (or are rejected where APIM rejects them) and give the documented result.
func TestAPIMDocExpressions(t *testing.T) {
	entries := readDocEntries(t)
	if len(entries) < 20 {
		t.Fatalf("read %d entries", len(entries))
	}
	for _, e := range entries {
		t.Run(e.label, func(t *testing.T) {
			plan, ex, errs := csCompile(t, e.src)
			if e.kind == "rejected" {
				if len(errs) == 0 {
					t.Fatalf("loaded, want a load error containing %q", e.want)
				}
				if !strings.Contains(errs.Error(), e.want) {
					t.Fatalf("load error %q, want one containing %q", errs.Error(), e.want)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatalf("load errors:\n%v", errs)
			}
			if ex.Lang != "C#" {
				t.Errorf("compiled as %s", ex.Lang)
			}
			s := docState()
			defer s.Release()
			stopped := plan.Run(context.Background(), Inbound, s)
			switch e.kind {
			case "value":
				if stopped {
					t.Fatalf("failed: %+v", s.LastError())
				}
				if got := show(s.Variables()["out"]); got != e.want {
					t.Fatalf("got %q, want %q\n%s", got, e.want, ex)
				}
			case "fails":
				if !stopped {
					t.Fatalf("ran, gave %q; want a failure", show(s.Variables()["out"]))
				}
				le := s.LastError()
				if le.Reason != ReasonExpression || !strings.Contains(le.Message, e.want) {
					t.Fatalf("failure %s %q, want %s with %q", le.Reason, le.Message, ReasonExpression, e.want)
				}
			default:
				t.Fatalf("unknown expectation %q", e.kind)
			}
		})
	}
}
