package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	promtest "github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"

	"tollgate/gateway"
	"tollgate/internal/testutil"
	"tollgate/policies"
)

// fakeOpenAI answers /chat/completions like OpenAI: a JSON completion with
// usage (80 tokens), or, with "stream": true, an SSE stream of 10 content
// deltas without usage.
func fakeOpenAI(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Stream bool `json:"stream"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		if !req.Stream {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":30,"completion_tokens":50,"total_tokens":80}}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		for i := range 10 {
			fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-2\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"t%d \"}}]}\n\n", i)
			fl.Flush()
		}
		_, _ = io.WriteString(w, "data: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func llmGateway(t *testing.T, backend string, inbound string) (string, *gateway.Metrics) {
	dir := t.TempDir()
	testutil.WriteFile(t, filepath.Join(dir, "openai", "api.xml"), fmt.Sprintf(`<api name="openai" type="http" path="/openai" service-url=%q/>`, backend))
	testutil.WriteFile(t, filepath.Join(dir, "openai", "policy.xml"), `<policies>
  <inbound>`+inbound+`</inbound>
  <backend><forward-request buffer-response="false"/></backend>
  <outbound/>
  <on-error/>
</policies>`)
	m := gateway.NewMetrics()
	return serveGateway(t, gateway.Options{Dir: dir, Metrics: m, Log: zap.NewNop(), Getenv: func(string) string { return "" },
		Registry: policies.Registry(policies.Deps{Metrics: m, Log: zap.NewNop()})}), m
}

type llmResult struct {
	status    int
	remaining string
	retry     string
	consumed  string
	body      string
}

func chat(t *testing.T, gw string, stream bool) llmResult {
	t.Helper()
	body := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello to everyone in this room, please."}]` // 43 chars: 11 tokens + 4 + 3
	if stream {
		body += `,"stream":true}`
	} else {
		body += `}`
	}
	resp, err := http.Post(gw+"/openai/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return llmResult{resp.StatusCode, resp.Header.Get("X-Remaining-Tokens"), resp.Header.Get("Retry-After"), resp.Header.Get("X-Tokens-Consumed"), string(b)}
}

// Plain answers: usage counts. 200 tokens a minute, 80 per call: the third
// call is admitted with 40 left and overshoots; the fourth is refused.
func TestLLMTokenLimitPlain(t *testing.T) {
	gw, _ := llmGateway(t, fakeOpenAI(t).URL, `<llm-token-limit counter-key="@(context.Request.IpAddress)" tokens-per-minute="200" estimate-prompt-tokens="false" remaining-tokens-header-name="X-Remaining-Tokens" tokens-consumed-header-name="x-tokens-consumed"/>`)
	want := []struct {
		status    int
		remaining string
	}{{200, "200"}, {200, "120"}, {200, "40"}, {429, ""}}
	for i, w := range want {
		r := chat(t, gw, false)
		if r.status != w.status || r.remaining != w.remaining {
			t.Fatalf("call %d: %d remaining %q (%s), want %d %q", i+1, r.status, r.remaining, r.body, w.status, w.remaining)
		}
		if r.status == 200 && r.consumed != "80" {
			t.Fatalf("call %d: tokens consumed %q", i+1, r.consumed)
		}
		if r.status == 429 && (r.retry == "" || r.retry == "0") {
			t.Fatalf("429 without Retry-After")
		}
	}
}

// token-quota as an expression (APIM's reference says it takes none, yet a
// live instance's extract holds one: it loads with a notice and is
// evaluated per request). A quota of 160 tokens, 80 per call.
func TestLLMTokenQuotaExpression(t *testing.T) {
	gw, _ := llmGateway(t, fakeOpenAI(t).URL, `<set-variable name="tokens" value="@(160L)"/>
    <llm-token-limit counter-key="q" estimate-prompt-tokens="false" token-quota="@((long)context.Variables[&quot;tokens&quot;])" token-quota-period="Hourly" remaining-quota-tokens-header-name="X-Remaining-Tokens"/>`)
	want := []struct {
		status    int
		remaining string
	}{{200, "160"}, {200, "80"}, {403, ""}}
	for i, w := range want {
		r := chat(t, gw, false)
		if r.status != w.status || r.remaining != w.remaining {
			t.Fatalf("call %d: %d remaining %q (%s), want %d %q", i+1, r.status, r.remaining, r.body, w.status, w.remaining)
		}
	}
}

// Streamed answers: the prompt is estimated (18 tokens) and each of the 10
// deltas counts one: 28 per call. The stream reaches the client whole.
func TestLLMTokenLimitStreamed(t *testing.T) {
	gw, _ := llmGateway(t, fakeOpenAI(t).URL, `<azure-openai-token-limit counter-key="k" tokens-per-minute="60" estimate-prompt-tokens="false" remaining-tokens-header-name="X-Remaining-Tokens"/>`)
	want := []struct {
		status    int
		remaining string
	}{{200, "42"}, {200, "14"}, {429, ""}} // 60-28=32 >= 18, admitted; then 4 < 18 estimated. A streamed prompt is always estimated: remaining is after its 18 tokens
	for i, w := range want {
		r := chat(t, gw, true)
		if r.status != w.status || r.remaining != w.remaining {
			t.Fatalf("call %d: %d remaining %q (%s), want %d %q", i+1, r.status, r.remaining, r.body, w.status, w.remaining)
		}
		if r.status == 200 && (strings.Count(r.body, "data: ") != 11 || !strings.HasSuffix(r.body, "data: [DONE]\n\n")) {
			t.Fatalf("stream changed: %q", r.body)
		}
	}
}

// llm-emit-token-metric, APIM's example, plain and streamed.
func TestLLMEmitTokenMetric(t *testing.T) {
	gw, m := llmGateway(t, fakeOpenAI(t).URL, `<llm-emit-token-metric
            namespace="MyLLM">
            <dimension name="API ID" />
        </llm-emit-token-metric>`)
	chat(t, gw, false)
	chat(t, gw, true)
	want := `
# HELP llm_tokens_total LLM tokens consumed (llm-emit-token-metric), by type: prompt, completion, total.
# TYPE llm_tokens_total counter
llm_tokens_total{api_id="openai",namespace="MyLLM",type="completion"} 60
llm_tokens_total{api_id="openai",namespace="MyLLM",type="prompt"} 48
llm_tokens_total{api_id="openai",namespace="MyLLM",type="total"} 108
`
	if err := promtest.GatherAndCompare(m.Registry, strings.NewReader(want), "llm_tokens_total"); err != nil {
		t.Fatal(err)
	}
}
