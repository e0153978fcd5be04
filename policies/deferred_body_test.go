package policies

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"tollgate/engine"
)

// TestDeferredCountReadsStreamedBody: rate-limit-by-key and quota-by-key
// whose increment-count reads the answer's usage.total_tokens, as the
// policies of CrewAakash/aoai-apim-policies (third corpus survey) count an
// LLM's tokens. The count runs after the body has been streamed to the
// client: the gateway's body is then spent (here: a lazy body that fails
// as the closed stream does), and the count must read the copy kept as it
// was sent. Without that copy no request is counted and the third is
// admitted.
func TestDeferredCountReadsStreamedBody(t *testing.T) {
	ctx := context.Background()
	const tokens = `@(context.Response.Body.As&lt;JObject&gt;(true).SelectToken(&quot;usage.total_tokens&quot;).ToObject&lt;int&gt;())`
	for _, tc := range []struct{ name, policy string }{
		{"rate-limit-by-key", `<rate-limit-by-key calls="100" renewal-period="60" counter-key="tpm" increment-condition="@(context.Response.StatusCode &gt;= 200 &amp;&amp; context.Response.StatusCode &lt; 400)" increment-count="` + tokens + `"/>`},
		{"rate-limit-by-key, ?.Body", `<rate-limit-by-key calls="100" renewal-period="60" counter-key="tpm2" increment-count="@((int)context.Response?.Body?.As&lt;JObject&gt;(true)[&quot;usage&quot;][&quot;total_tokens&quot;])"/>`},
		{"quota-by-key", `<quota-by-key calls="100" renewal-period="3600" counter-key="q" increment-count="` + tokens + `"/>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := compile(t, testDeps(), tc.policy)
			for i := range 2 {
				s := request("http://gw/chat")
				admit(t, plan, s, fmt.Sprintf("call %d", i+1))
				sendStreamed(t, ctx, s, `{"usage":{"total_tokens":60}}`)
			}
			s := request("http://gw/chat")
			if plan.Run(ctx, engine.Inbound, s) {
				if st := s.Response().StatusCode; st != 429 && st != 403 {
					t.Fatalf("third call: status %d", st)
				}
			} else {
				t.Fatal("third call admitted: the first two (120 tokens of 100) were not counted")
			}
			s.Release()
		})
	}
	// A response a policy made (not streamed through the gateway) is read
	// as it is: no copy is needed.
	plan := compile(t, testDeps(), `<rate-limit-by-key calls="100" renewal-period="60" counter-key="made" increment-count="`+tokens+`"/>`)
	for i := range 2 {
		s := request("http://gw/chat")
		admit(t, plan, s, fmt.Sprintf("made %d", i+1))
		r := engine.NewResponse(200)
		r.Body = engine.NewBody([]byte(`{"usage":{"total_tokens":60}}`))
		s.SetResponse(r)
		s.Finish(ctx)
		s.Release()
	}
	s := request("http://gw/chat")
	if !plan.Run(ctx, engine.Inbound, s) {
		t.Fatal("third call admitted after two made responses of 60 tokens")
	}
	s.Release()
}

// sendStreamed plays the gateway's part after outbound: the backend's
// answer goes to the client through WrapResponseBody, then Finish runs
// with the state's body spent.
func sendStreamed(t *testing.T, ctx context.Context, s *engine.State, body string) {
	t.Helper()
	r := engine.NewResponse(200)
	r.Headers = engine.Headers{"Content-Type": {"application/json"}}
	r.Body = engine.NewLazyBody(func() ([]byte, error) {
		return nil, errors.New("upstream: read on a closed response body")
	})
	s.SetResponse(r)
	if _, err := io.Copy(io.Discard, s.WrapResponseBody(io.NopCloser(bytes.NewReader([]byte(body))))); err != nil {
		t.Fatal(err)
	}
	s.Finish(ctx)
	s.Release()
}
