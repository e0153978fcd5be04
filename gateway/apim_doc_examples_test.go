package gateway_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"tollgate/gateway"
)

// The forward-request page's four examples, as written, in one APIOps
// folder: example 1 is the API's policy ("api level"); examples 2, 3 and 4
// ("operation level") are the policies of three operations. The backend
// answers 404 on /orders/own, so that example 3's fail-on-error-status-code
// sends it to on-error. The page's effects: 2 inherits the API's
// forward-request, 3 forwards itself, 4 does not forward at all.
func TestDocExamplesForwardRequest(t *testing.T) {
	rb := newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/own") {
			http.Error(w, "no such order", http.StatusNotFound)
			return
		}
		_, _ = w.Write([]byte("from " + r.URL.Path))
	})
	dir := t.TempDir()
	writeFile(t, dir, "apis/orders/apiInformation.json", `{"properties": {"path": "orders", "serviceUrl": "`+rb.url+`", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/orders/specification.yaml", `openapi: 3.0.1
info: {title: Orders, version: "1"}
paths:
  /inherit: {get: {operationId: inherit, responses: {"200": {description: ok}}}}
  /own: {get: {operationId: own, responses: {"200": {description: ok}}}}
  /none: {get: {operationId: none, responses: {"200": {description: ok}}}}
`)
	writeFile(t, dir, "apis/orders/policy.xml", `<!-- api level -->
<policies>
    <inbound>
        <base/>
    </inbound>
    <backend>
        <forward-request timeout="60"/>
    </backend>
    <outbound>
        <base/>
    </outbound>
</policies>
`)
	writeFile(t, dir, "apis/orders/operations/inherit/policy.xml", `<!-- operation level -->
<policies>
    <inbound>
        <base/>
    </inbound>
    <backend>
        <base/>
    </backend>
    <outbound>
        <base/>
    </outbound>
</policies>
`)
	writeFile(t, dir, "apis/orders/operations/own/policy.xml", `<!-- operation level -->
<policies>
    <inbound>
        <base/>
    </inbound>
    <backend>
        <forward-request timeout="120" fail-on-error-status-code="true" />
        <!-- effective policy. note the absence of <base/> -->
    </backend>
    <outbound>
        <base/>
    </outbound>
</policies>
`)
	writeFile(t, dir, "apis/orders/operations/none/policy.xml", `<!-- operation level -->
<policies>
    <inbound>
        <base/>
    </inbound>
    <backend>
        <!-- no forwarding to backend -->
    </backend>
    <outbound>
        <base/>
    </outbound>
</policies>
`)
	g := startGateway(t, dir)

	resp, body := get(t, g.url+"/orders/inherit", nil)
	if resp.StatusCode != 200 || body != "from /inherit" || rb.calls.Load() != 1 {
		t.Errorf("example 2 (inherit): %d %q after %d backend calls", resp.StatusCode, body, rb.calls.Load())
	}
	resp, body = get(t, g.url+"/orders/own", nil)
	// on-error has nothing of its own: tollgate's JSON error, 502 (docs/gateway.md).
	if resp.StatusCode != 502 || strings.Contains(body, "no such order") || rb.calls.Load() != 2 {
		t.Errorf("example 3 (own, 404 to on-error): %d %q after %d backend calls", resp.StatusCode, body, rb.calls.Load())
	}
	resp, body = get(t, g.url+"/orders/none", nil)
	if resp.StatusCode != 200 || body != "" || rb.calls.Load() != 2 {
		t.Errorf("example 4 (no forwarding): %d %q after %d backend calls", resp.StatusCode, body, rb.calls.Load())
	}
}

// include-fragment page's example: the inbound section as written, with
// the page's "[...]" (the rest of the document) filled in by the test,
// and a fragment named myFragment in the folder.
func TestDocExamplesIncludeFragment(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := t.TempDir()
	writeFile(t, dir, "apis/orders/apiInformation.json", `{"properties": {"path": "orders", "serviceUrl": "`+rb.url+`", "subscriptionRequired": false}}`)
	writeFile(t, dir, "policy fragments/myFragment/policy.xml", `<fragment>
    <set-header name="X-From-Fragment" exists-action="override"><value>myFragment</value></set-header>
</fragment>
`)
	const example = `<inbound>
    <include-fragment fragment-id="myFragment" />
    <base />
</inbound>
[...]`
	writeFile(t, dir, "apis/orders/policy.xml", "<policies>\n"+strings.Replace(example, "[...]",
		"<backend><forward-request/></backend><outbound/><on-error/>", 1)+"\n</policies>\n")
	g := startGateway(t, dir)
	if resp, body := get(t, g.url+"/orders/x", nil); resp.StatusCode != 200 || body != "backend body" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	if got := rb.last.Load().header.Get("X-From-Fragment"); got != "myFragment" {
		t.Errorf("X-From-Fragment = %q", got)
	}
}

// The llm-token-limit page's two examples and azure-openai-token-limit's
// one, each the policy of an API as written, each in a gateway of its own
// (a counter-key's counter is shared by every scope that uses the key, so
// the two IP-keyed examples would share one), in front of an OpenAI-like
// backend whose answers report 2000 tokens used. The folder's global
// policy (the test's) copies the variables the examples fill into
// response headers. Token rate limit: 5000 a minute per caller IP; token
// quota: 10000 a day per subscription (the test's subscription "alice").
func TestDocExamplesLLMTokenLimit(t *testing.T) {
	llm := newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"c1","object":"chat.completion","choices":[],"usage":{"prompt_tokens":500,"completion_tokens":1500,"total_tokens":2000}}`))
	})
	serve := func(t *testing.T, policy string) func() (int, string, string) {
		dir := t.TempDir()
		writeFile(t, dir, "policy.xml", `<policies><inbound/><backend><forward-request/></backend><outbound>
  <set-header name="X-Remaining-Tokens" exists-action="override"><value>@(context.Variables.ContainsKey("remainingTokens") ? context.Variables["remainingTokens"].ToString() : "none")</value></set-header>
  <set-header name="X-Remaining-Quota-Tokens" exists-action="override"><value>@(context.Variables.ContainsKey("remainingQuotaTokens") ? context.Variables["remainingQuotaTokens"].ToString() : "none")</value></set-header>
</outbound><on-error/></policies>`)
		writeFile(t, dir, "apis/llm/apiInformation.json", `{"properties": {"path": "llm", "serviceUrl": "`+llm.url+`"}}`)
		writeFile(t, dir, "apis/llm/policy.xml", policy)
		writeFile(t, dir, "subscriptions/alice/subscriptionInformation.json", `{"properties": {"scope": "/apis", "state": "active"}}`)
		keys := filepath.Join(t.TempDir(), "keys.json")
		writeFile(t, filepath.Dir(keys), filepath.Base(keys), `{"alice": {"primaryKey": "alice-key"}}`)
		g := startGateway(t, dir, func(o *gateway.Options) { o.SubscriptionKeys = keys })
		return func() (int, string, string) {
			t.Helper()
			req, _ := http.NewRequestWithContext(testCtx(t), http.MethodPost, g.url+"/llm/chat/completions", strings.NewReader(`{"messages":[{"role":"user","content":"hi"}]}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Ocp-Apim-Subscription-Key", "alice-key")
			resp, _ := do(t, req)
			return resp.StatusCode, resp.Header.Get("X-Remaining-Tokens"), resp.Header.Get("X-Remaining-Quota-Tokens")
		}
	}
	// 5000 a minute, 2000 per answer: admitted with 5000, 3000 and 1000
	// left (the third overshoots), then 429.
	for name, policy := range map[string]string{
		"llm-token-limit": `<policies>
    <inbound>
        <base />
        <llm-token-limit
            counter-key="@(context.Request.IpAddress)"
            tokens-per-minute="5000" estimate-prompt-tokens="false" remaining-tokens-variable-name="remainingTokens" />
    </inbound>
    <outbound>
        <base />
    </outbound>
</policies>`,
		"azure-openai-token-limit": `<policies>
    <inbound>
        <base />
        <azure-openai-token-limit
            counter-key="@(context.Request.IpAddress)"
            tokens-per-minute="5000" estimate-prompt-tokens="false" remaining-tokens-variable-name="remainingTokens" />
    </inbound>
    <outbound>
        <base />
    </outbound>
</policies>`,
	} {
		t.Run(name+" token rate limit", func(t *testing.T) {
			call := serve(t, policy)
			for i, want := range []struct {
				status    int
				remaining string
			}{{200, "5000"}, {200, "3000"}, {200, "1000"}, {429, ""}} {
				status, rem, _ := call()
				if status != want.status || (status == 200 && rem != want.remaining) {
					t.Errorf("call %d: %d remainingTokens %q, want %d %q", i+1, status, rem, want.status, want.remaining)
				}
			}
		})
	}
	// 10000 a day for alice: five answers, then 403.
	t.Run("llm-token-limit token quota", func(t *testing.T) {
		call := serve(t, `<policies>
    <inbound>
        <base />
        <llm-token-limit
            counter-key="@(context.Subscription.Id)"
            token-quota="10000" token-quota-period="Daily" remaining-quota-tokens-variable-name="remainingQuotaTokens" />
    </inbound>
    <outbound>
        <base />
    </outbound>
</policies>
`)
		for i := range 6 {
			status, _, rem := call()
			if want := fmt.Sprint(10000 - 2000*i); i < 5 && (status != 200 || rem != want) {
				t.Errorf("call %d: %d remainingQuotaTokens %q, want 200 %q", i+1, status, rem, want)
			}
			if i == 5 && status != 403 {
				t.Errorf("call 6: %d, want 403", status)
			}
		}
	})
	// The pages' token quota example as they serve it now (both policies:
	// token-quota="100000", "resets monthly"; the text still says 10000).
	for _, name := range []string{"llm-token-limit", "azure-openai-token-limit"} {
		t.Run(name+" token quota, monthly", func(t *testing.T) {
			call := serve(t, `<policies>
    <inbound>
        <base />
        <`+name+`
            counter-key="@(context.Subscription.Id)"
            token-quota="100000" token-quota-period="Monthly" remaining-quota-tokens-variable-name="remainingQuotaTokens" />
    </inbound>
    <outbound>
        <base />
    </outbound>
</policies>
`)
			for i := range 3 {
				if status, _, rem := call(); status != 200 || rem != fmt.Sprint(100000-2000*i) {
					t.Errorf("call %d: %d remainingQuotaTokens %q, want 200 %d", i+1, status, rem, 100000-2000*i)
				}
			}
		})
	}
}

// The token limits' remaining-tokens and tokens-consumed values at each
// point, as the pages describe them: remaining-* "after each policy
// execution" (the policy runs in inbound only), so with estimate-prompt-tokens
// the prompt's estimate is already taken off ("false": the remaining tokens
// "are calculated using the actual token usage from the response"), and a
// streamed request is always estimated; outbound sees the inbound value.
// tokens-consumed is the estimate (or zero) before the backend and the
// reported count in outbound. The prompt {"messages":[{"role":"user",
// "content":"hi"}]} is estimated at 8 tokens (1 + 4 per message + 3); every
// answer reports 2000.
func TestLLMTokenLimitValuesAfterExecution(t *testing.T) {
	llm := newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"c1","object":"chat.completion","choices":[],"usage":{"prompt_tokens":500,"completion_tokens":1500,"total_tokens":2000}}`))
	})
	for _, c := range []struct {
		name, estimate string
		stream         bool
		inbound        []string // "remainingTokens remainingQuotaTokens consumed" right after the policy, call by call
		outbound       []string // the same read in outbound
		header         []string // remaining-tokens-header-name's value
	}{
		{"llm-token-limit", "false", false,
			[]string{"5000 100000 0", "3000 98000 0", "1000 96000 0"},
			[]string{"5000 100000 2000", "3000 98000 2000", "1000 96000 2000"},
			[]string{"5000", "3000", "1000"}},
		{"azure-openai-token-limit", "false", false,
			[]string{"5000 100000 0", "3000 98000 0", "1000 96000 0"},
			[]string{"5000 100000 2000", "3000 98000 2000", "1000 96000 2000"},
			[]string{"5000", "3000", "1000"}},
		{"llm-token-limit", "true", false,
			[]string{"4992 99992 8", "2992 97992 8", "992 95992 8"},
			[]string{"4992 99992 2000", "2992 97992 2000", "992 95992 2000"},
			[]string{"4992", "2992", "992"}},
		{"azure-openai-token-limit", "true", false,
			[]string{"4992 99992 8", "2992 97992 8", "992 95992 8"},
			[]string{"4992 99992 2000", "2992 97992 2000", "992 95992 2000"},
			[]string{"4992", "2992", "992"}},
		{"llm-token-limit", "false", true, // streamed: always estimated
			[]string{"4992 99992 8", "2992 97992 8", "992 95992 8"},
			[]string{"4992 99992 2000", "2992 97992 2000", "992 95992 2000"},
			[]string{"4992", "2992", "992"}},
	} {
		t.Run(fmt.Sprintf("%s estimate=%s stream=%v", c.name, c.estimate, c.stream), func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "apis/llm/apiInformation.json", `{"properties": {"path": "llm", "serviceUrl": "`+llm.url+`", "subscriptionRequired": false}}`)
			writeFile(t, dir, "apis/llm/policy.xml", `<policies>
  <inbound>
    <base />
    <`+c.name+` counter-key="k" tokens-per-minute="5000" token-quota="100000" token-quota-period="Monthly" estimate-prompt-tokens="`+c.estimate+`"
        remaining-tokens-variable-name="remainingTokens" remaining-tokens-header-name="x-remaining-tokens"
        remaining-quota-tokens-variable-name="remainingQuotaTokens" tokens-consumed-variable-name="consumed" />
    <set-variable name="atInbound" value='@(context.Variables["remainingTokens"].ToString() + " " + context.Variables["remainingQuotaTokens"].ToString() + " " + context.Variables["consumed"].ToString())' />
  </inbound>
  <backend><forward-request /></backend>
  <outbound>
    <base />
    <set-header name="X-At-Inbound" exists-action="override"><value>@((string)context.Variables["atInbound"])</value></set-header>
    <set-header name="X-At-Outbound" exists-action="override"><value>@(context.Variables["remainingTokens"].ToString() + " " + context.Variables["remainingQuotaTokens"].ToString() + " " + context.Variables["consumed"].ToString())</value></set-header>
  </outbound>
  <on-error />
</policies>`)
			g := startGateway(t, dir)
			body := `{"messages":[{"role":"user","content":"hi"}]}`
			if c.stream {
				body = `{"messages":[{"role":"user","content":"hi"}],"stream":true}`
			}
			for i := range 4 {
				req, _ := http.NewRequestWithContext(testCtx(t), http.MethodPost, g.url+"/llm/chat/completions", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, _ := do(t, req)
				if i == 3 {
					// the minute's counter is full (1000 left, 2000 taken)
					if resp.StatusCode != http.StatusTooManyRequests {
						t.Errorf("call 4: %d, want 429", resp.StatusCode)
					}
					continue
				}
				if resp.StatusCode != 200 || resp.Header.Get("X-At-Inbound") != c.inbound[i] || resp.Header.Get("X-At-Outbound") != c.outbound[i] || resp.Header.Get("X-Remaining-Tokens") != c.header[i] {
					t.Errorf("call %d: %d inbound %q outbound %q header %q, want 200 %q %q %q", i+1, resp.StatusCode,
						resp.Header.Get("X-At-Inbound"), resp.Header.Get("X-At-Outbound"), resp.Header.Get("X-Remaining-Tokens"),
						c.inbound[i], c.outbound[i], c.header[i])
				}
			}
		})
	}
}
