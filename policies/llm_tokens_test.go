package policies

import (
	"fmt"
	"strings"
	"testing"
)

func TestUsageCounter(t *testing.T) {
	sse := func(parts ...string) string {
		var b strings.Builder
		for _, p := range parts {
			b.WriteString("data: " + p + "\n\n")
		}
		return b.String()
	}
	chunk := func(s string) string {
		return `{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":` + fmt.Sprintf("%q", s) + `}}]}`
	}
	cases := []struct {
		name, ct, body string
		prompt         int64
		want           tokenUsage
	}{
		{"JSON usage", "application/json", `{"id":"x","choices":[{"message":{"content":"hi"}}],"usage":{"prompt_tokens":12,"completion_tokens":30,"total_tokens":42}}`, 5,
			tokenUsage{12, 30, 42, true}},
		{"JSON without usage", "application/json", `{"choices":[]}`, 5, tokenUsage{5, 0, 5, false}},
		{"SSE deltas", "text/event-stream", sse(`{"choices":[{"delta":{"role":"assistant"}}]}`, chunk("Hel"), chunk("lo"), chunk(""), chunk("!"), "[DONE]"), 9,
			tokenUsage{9, 3, 12, false}},
		{"SSE with usage chunk", "text/event-stream; charset=utf-8", sse(chunk("a"), chunk("b"), `{"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}}`, "[DONE]"), 100,
			tokenUsage{7, 2, 9, true}},
		{"SSE CRLF and comments", "text/event-stream", ": keep-alive\r\ndata: " + chunk("x") + "\r\n\r\ndata: [DONE]\r\n\r\n", 1, tokenUsage{1, 1, 2, false}},
	}
	for _, c := range cases {
		for _, split := range []int{1, 3, 7, 1 << 20} { // the stream arrives in pieces of any size
			t.Run(fmt.Sprintf("%s/%d", c.name, split), func(t *testing.T) {
				u := newUsageCounter(c.ct)
				for b := c.body; len(b) > 0; {
					n := min(split, len(b))
					u.write([]byte(b[:n]))
					b = b[n:]
				}
				if got := u.result(c.prompt); got != c.want {
					t.Fatalf("got %+v, want %+v", got, c.want)
				}
			})
		}
	}
}

func TestEstimateTokens(t *testing.T) {
	for in, want := range map[string]int64{"": 0, "a": 1, "abcd": 1, "abcde": 2, "Hello, how are you today?": 7, "你好世界": 4} {
		if got := estimateTokens(in); got != want {
			t.Errorf("%q: %d, want %d", in, got, want)
		}
	}
}

// BenchmarkUsageCounterSSEChunk is the cost of counting one streamed
// chat-completion chunk (one SSE event of a typical size):
//
//	go test -run x -bench UsageCounterSSEChunk ./policies/
func BenchmarkUsageCounterSSEChunk(b *testing.B) {
	ev := []byte(`data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1733300000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":" token"},"finish_reason":null}]}` + "\n\n")
	u := newUsageCounter("text/event-stream")
	b.SetBytes(int64(len(ev)))
	b.ReportAllocs()
	for range b.N {
		u.write(ev)
	}
	if u.deltas != int64(b.N) {
		b.Fatalf("counted %d of %d", u.deltas, b.N)
	}
}

// APIM's llm-token-limit examples as written: both load (the second keys by
// context.Subscription.Id, which the resource model fills).
func TestLLMTokenLimitDocExamples(t *testing.T) {
	compile(t, testDeps(), `<policies>
    <inbound>
        <base />
        <llm-token-limit
            counter-key="@(context.Request.IpAddress)"
            tokens-per-minute="5000" estimate-prompt-tokens="false" remaining-tokens-variable-name="remainingTokens" />
    </inbound>
    <outbound>
        <base />
    </outbound>
</policies>`)
	compile(t, testDeps(), `<policies>
    <inbound>
        <base />
        <llm-token-limit
            counter-key="@(context.Subscription.Id)"
            token-quota="10000" token-quota-period="Daily" remaining-quota-tokens-variable-name="remainingQuotaTokens" />
    </inbound>
    <outbound>
        <base />
    </outbound>
</policies>`)
	for _, c := range []struct{ src, want string }{
		{`<llm-token-limit counter-key="k"/>`, `needs tokens-per-minute, or token-quota`},
		{`<llm-token-limit counter-key="k" token-quota="10"/>`, `needs the attribute "token-quota-period"`},
		{`<llm-token-limit counter-key="k" token-quota="10" token-quota-period="Fortnightly"/>`, `token-quota-period`},
		{`<llm-token-limit counter-key="k" tokens-per-minute="0"/>`, `tokens-per-minute`},
		{`<llm-token-limit tokens-per-minute="10"/>`, `needs the attribute "counter-key"`},
		{`<llm-emit-token-metric namespace="x"/>`, `needs at least one <dimension>`},
	} {
		d := testDeps()
		d.Metrics = &fakeMetrics{}
		_, errs := compileErrs(d, c.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.src, errs, c.want)
		}
	}
}
