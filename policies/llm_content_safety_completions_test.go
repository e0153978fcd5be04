package policies

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"tollgate/engine"
)

// enforce-on-completions="true" end to end over real sockets: a client, a
// gateway in miniature that runs the plan as gateway/http.go does (inbound,
// the backend call, OnBackendResponse, outbound, the answer sent from
// memory once a policy read it, max-body-size on what policies read), a
// fake LLM that checks the exact request it gets, and a fake Azure AI
// Content Safety (TLS) that records the exact calls.

// csLLMAnswer is what the fake LLM answers: a status, a Content-Type and a
// body, written in the pieces given (a stream is flushed after each).
type csLLMAnswer struct {
	status   int
	ctype    string
	pieces   []string
	encoding string // Content-Encoding, the pieces already encoded
}

func jsonAnswer(body string) csLLMAnswer {
	return csLLMAnswer{status: 200, ctype: "application/json", pieces: []string{body}}
}

func sseAnswer(events ...string) csLLMAnswer {
	a := csLLMAnswer{status: 200, ctype: "text/event-stream"}
	for _, e := range events {
		a.pieces = append(a.pieces, e+"\n\n")
	}
	return a
}

func (a csLLMAnswer) body() string { return strings.Join(a.pieces, "") }

// csLLM is the fake model: it records the requests it gets (method, path,
// Content-Type, body) and answers with answer.
type csLLM struct {
	srv    *httptest.Server
	answer csLLMAnswer
	mu     sync.Mutex
	got    []string
}

func newCSLLM(t *testing.T, answer csLLMAnswer) *csLLM {
	m := &csLLM{answer: answer}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m.mu.Lock()
		m.got = append(m.got, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type")+" "+string(body))
		m.mu.Unlock()
		w.Header().Set("Content-Type", m.answer.ctype)
		w.Header().Set("X-Model", "fake")
		if m.answer.encoding != "" {
			w.Header().Set("Content-Encoding", m.answer.encoding)
		}
		w.WriteHeader(m.answer.status)
		for _, p := range m.answer.pieces {
			if _, err := io.WriteString(w, p); err != nil {
				return // the gateway went away (an answer over max-body-size)
			}
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *csLLM) requests() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.got...)
}

// csGateway runs plan for each request as gateway/http.go's handler and
// modifyResponse do.
type csGateway struct {
	plan    *engine.Plan
	llm     string
	maxBody int64
	srv     *httptest.Server

	mu        sync.Mutex
	lastError *engine.LastError
}

func newCSGateway(t *testing.T, plan *engine.Plan, llm string, maxBody int64) *csGateway {
	g := &csGateway{plan: plan, llm: llm, maxBody: maxBody}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *csGateway) serve(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	body, _ := io.ReadAll(r.Body)
	s := engine.AcquireState(&engine.Api{Name: "chat", Type: "http", Path: "/", ServiceUrl: g.llm})
	s.SetRequest(r.Method, "http", r.Host, r.URL, r.Header.Clone(), "10.0.0.1")
	s.Context().Request.Body = engine.NewBody(body)
	s.EnableTrace()
	defer func() {
		g.mu.Lock()
		if le := s.LastError(); le != nil {
			c := *le
			g.lastError = &c
		}
		g.mu.Unlock()
		s.Finish(ctx)
		s.Release()
	}()
	if g.plan.Run(ctx, engine.Inbound, s) {
		g.send(w, s, s.Response(), nil)
		return
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.llm+r.URL.Path, bytes.NewReader(body))
	req.Header.Set("Content-Type", r.Header.Get("Content-Type"))
	if ae := r.Header.Get("Accept-Encoding"); ae != "" {
		req.Header.Set("Accept-Encoding", ae) // forwarded, as the gateway does
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer res.Body.Close()
	var read []byte // what a read over max-body-size consumed
	er := engine.NewResponse(res.StatusCode)
	er.Headers = engine.Headers(res.Header.Clone())
	er.Body = engine.NewLazyBody(func() ([]byte, error) {
		data, err := io.ReadAll(io.LimitReader(res.Body, g.maxBody+1))
		if err != nil {
			return nil, err
		}
		if int64(len(data)) > g.maxBody {
			read = data
			return nil, fmt.Errorf("the backend response is larger than %d bytes: %w", g.maxBody, engine.ErrBodyTooLarge)
		}
		return data, nil
	})
	s.SetResponse(er)
	s.BackendResponded()
	g.plan.Run(ctx, engine.Outbound, s)
	final := s.Response()
	if final.Body != er.Body || er.Body.Loaded() {
		data, err := final.Body.Bytes()
		switch {
		case err != nil && final.Body == er.Body && errors.Is(err, engine.ErrBodyTooLarge):
			g.send(w, s, final, io.MultiReader(bytes.NewReader(read), res.Body))
		case err != nil && final.Body == er.Body:
			http.Error(w, "the backend's answer broke off", http.StatusBadGateway)
		default:
			res.Body.Close()
			final.Headers["Content-Length"] = []string{strconv.Itoa(len(data))}
			g.send(w, s, final, bytes.NewReader(data))
		}
		return
	}
	g.send(w, s, final, res.Body)
}

func (g *csGateway) send(w http.ResponseWriter, s *engine.State, res *engine.Response, body io.Reader) {
	if body == nil {
		data, _ := res.Body.Bytes()
		res.Headers["Content-Length"] = []string{strconv.Itoa(len(data))}
		body = bytes.NewReader(data)
	}
	rc := io.NopCloser(body)
	if f, ok := s.FilterResponse(res.Headers, rc); ok { // before the headers go: a filter may change them
		rc = f
		delete(res.Headers, "Content-Length")
	}
	for k, v := range res.Headers {
		w.Header()[k] = v
	}
	w.WriteHeader(res.StatusCode)
	// A stream, or an answer of unknown length, is flushed after each
	// read, as the gateway does (flushEach, copyResponse).
	flush := len(res.Headers["Content-Length"]) == 0 || mediaType(res.Headers.GetValueOrDefault("Content-Type", "")) == "text/event-stream"
	rc = s.WrapResponseBody(rc)
	defer rc.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := rc.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if flush {
				w.(http.Flusher).Flush()
			}
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			panic(http.ErrAbortHandler) // the client must see it break off
		}
	}
}

// csByText answers text:analyze by the text's words: "hateful" is Hate 5,
// "violent" Violence 6 (else 0), "BLOCKED" matches the first blocklist;
// "UNLUCKY" fails with 500, "SLOW" never answers. text:shieldPrompt finds
// no attack.
func csByText(w http.ResponseWriter, r *http.Request, body string) {
	w.Header().Set("Content-Type", "application/json")
	if strings.HasSuffix(r.URL.Path, "/contentsafety/text:shieldPrompt") {
		io.WriteString(w, `{"userPromptAnalysis":{"attackDetected":false},"documentsAnalysis":[]}`)
		return
	}
	var req analyzeRequest
	if json.Unmarshal([]byte(body), &req) != nil {
		w.WriteHeader(400)
		return
	}
	switch {
	case strings.Contains(req.Text, "UNLUCKY"):
		w.WriteHeader(500)
		io.WriteString(w, `{"error":{"code":"InternalServerError","message":"SECRET detail"}}`)
		return
	case strings.Contains(req.Text, "SLOW"):
		<-r.Context().Done()
		return
	}
	type cat struct {
		Category string `json:"category"`
		Severity int    `json:"severity"`
	}
	res := struct {
		BlocklistsMatch    []map[string]string `json:"blocklistsMatch"`
		CategoriesAnalysis []cat               `json:"categoriesAnalysis"`
	}{BlocklistsMatch: []map[string]string{}, CategoriesAnalysis: []cat{}}
	for _, c := range req.Categories {
		sev := 0
		switch {
		case c == "Hate" && strings.Contains(req.Text, "hateful"):
			sev = 5
		case c == "Violence" && strings.Contains(req.Text, "violent"):
			sev = 6
		}
		res.CategoriesAnalysis = append(res.CategoriesAnalysis, cat{c, sev})
	}
	if strings.Contains(req.Text, "BLOCKED") && len(req.BlocklistNames) > 0 {
		res.BlocklistsMatch = append(res.BlocklistsMatch, map[string]string{"blocklistName": req.BlocklistNames[0], "blocklistItemId": "1", "blocklistItemText": "BLOCKED"})
	}
	json.NewEncoder(w).Encode(res)
}

// chatAnswer is a chat completion's JSON answer.
func chatAnswer(contents ...string) string {
	var choices []string
	for i, c := range contents {
		b, _ := json.Marshal(c)
		choices = append(choices, fmt.Sprintf(`{"index":%d,"message":{"role":"assistant","content":%s},"finish_reason":"stop"}`, i, b))
	}
	return `{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o","choices":[` + strings.Join(choices, ",") +
		`],"usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14}}`
}

// chatStream is a streamed chat completion's events: one delta per piece.
func chatStream(pieces ...string) []string {
	ev := []string{`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}`}
	for _, p := range pieces {
		b, _ := json.Marshal(p)
		ev = append(ev, `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":`+string(b)+`}}]}`)
	}
	return append(ev, `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`, "data: [DONE]")
}

func TestLLMContentSafetyCompletions(t *testing.T) {
	const analyze = "/contentsafety/text:analyze?api-version=2023-10-01"
	const shield = "/contentsafety/text:shieldPrompt?api-version=2024-09-01"
	const maxBody = 64 << 10
	doc := azureDoc(t, "llm-content-safety.xml")
	// APIM's example with the attribute of its policy statement set: APIM's
	// page has no example of enforce-on-completions.
	docEnforce := strings.Replace(doc, `shield-prompt="true">`, `shield-prompt="true" enforce-on-completions="true">`, 1)
	if docEnforce == doc {
		t.Fatal("APIM's example changed: cannot set enforce-on-completions")
	}
	docCats := `,"categories":["Hate","Violence"],"outputType":"EightSeverityLevels"}`
	tulips := chat("You are helpful.", "Tell me about tulips.")
	promptCalls := []string{
		analyze + ` {"text":"You are helpful.\nTell me about tulips."` + docCats,
		shield + ` {"userPrompt":"You are helpful.\nTell me about tulips.","documents":[]}`,
	}
	answerCall := func(text string) string {
		b, _ := json.Marshal(text)
		return analyze + ` {"text":` + string(b) + docCats
	}
	calls := func(extra ...string) []string { return append(append([]string(nil), promptCalls...), extra...) }
	blocked := func(why string) string {
		return `{"statusCode":403,"message":"The response was blocked by content safety: ` + why + `."}`
	}
	const internal = `{"statusCode":500,"message":"Internal server error"}`

	huge := chatAnswer(strings.Repeat("tulips ", 20000)) // 140 KB: over max-body-size
	var hugeStream []string
	for range 5000 {
		hugeStream = append(hugeStream, "tulips tulips tulips ")
	}
	var hugeCalls []string // its windows: 10,000 characters, no overlap
	for text := strings.Join(hugeStream, ""); text != ""; {
		n := min(len(text), contentSafetyMaxText)
		hugeCalls, text = append(hugeCalls, answerCall(text[:n])), text[n:]
	}

	type want struct {
		status int
		ctype  string
		body   string   // exact; "" with same: the LLM's body unchanged
		same   bool     // the answer is the LLM's, byte for byte
		calls  []string // Content Safety's calls: path?query body
		reason string   // context.LastError.Reason ("" none)
		msg    string   // in LastError.Message
	}
	tests := []struct {
		name   string
		policy string
		path   string
		req    string
		answer csLLMAnswer
		want   want
	}{
		{
			name: "APIM's example as written: answers are not checked", policy: doc, req: tulips,
			answer: jsonAnswer(chatAnswer("a hateful answer")),
			want:   want{status: 200, ctype: "application/json", same: true, calls: promptCalls},
		},
		{
			name: "APIM's example with enforce-on-completions: a clean chat answer passes unchanged", policy: docEnforce, req: tulips,
			answer: jsonAnswer(chatAnswer("Tulips are flowers.")),
			want:   want{status: 200, ctype: "application/json", same: true, calls: calls(answerCall("Tulips are flowers."))},
		},
		{
			name: "APIM's example with enforce-on-completions: a flagged chat answer is replaced with 403", policy: docEnforce, req: tulips,
			answer: jsonAnswer(chatAnswer("a hateful answer")),
			want: want{status: 403, ctype: "application/json", body: blocked("Hate severity 5 reaches the threshold 4"),
				calls: calls(answerCall("a hateful answer")), reason: ReasonContentSafetyBlocked, msg: "Hate severity 5"},
		},
		{
			name: "several choices, text parts: joined by newlines", policy: docEnforce, req: tulips,
			answer: jsonAnswer(`{"choices":[{"index":0,"message":{"role":"assistant","content":[{"type":"text","text":"one"},{"type":"text","text":"two"}]}},{"index":1,"message":{"role":"assistant","content":"three violent"}}]}`),
			want: want{status: 403, ctype: "application/json", body: blocked("Violence severity 6 reaches the threshold 4"),
				calls: calls(answerCall("one\ntwo\nthree violent")), reason: ReasonContentSafetyBlocked},
		},
		{
			name: "a completion (choices[].text) flagged by a blocklist", path: "/openai/deployments/instruct/completions",
			policy: `<llm-content-safety backend-id="content-safety-backend" enforce-on-completions="@(true)"><blocklists><id>banned</id></blocklists></llm-content-safety>`,
			req:    `{"model":"gpt-35-turbo-instruct","prompt":"Say something"}`,
			answer: jsonAnswer(`{"id":"cmpl-1","object":"text_completion","choices":[{"text":"this is BLOCKED","index":0,"finish_reason":"stop"}]}`),
			want: want{status: 403, ctype: "application/json", body: blocked(`it matches the blocklist \"banned\"`),
				calls: []string{
					analyze + ` {"text":"Say something","blocklistNames":["banned"],"outputType":"FourSeverityLevels"}`,
					analyze + ` {"text":"this is BLOCKED","blocklistNames":["banned"],"outputType":"FourSeverityLevels"}`,
				}, reason: ReasonContentSafetyBlocked},
		},
		{
			name: "a clean completion passes unchanged", path: "/openai/deployments/instruct/completions", policy: docEnforce,
			req:    `{"prompt":"Say something"}`,
			answer: jsonAnswer(`{"choices":[{"text":"Something.","index":0}]}`),
			want: want{status: 200, ctype: "application/json", same: true, calls: []string{
				analyze + ` {"text":"Say something"` + docCats, shield + ` {"userPrompt":"Say something","documents":[]}`, answerCall("Something.")}},
		},
		{
			name: "a Responses answer's output text", path: "/openai/v1/responses", policy: docEnforce,
			req:    `{"model":"gpt-4o","input":"Tell me about tulips."}`,
			answer: jsonAnswer(`{"id":"resp_1","object":"response","output":[{"type":"reasoning","summary":[]},{"type":"message","role":"assistant","content":[{"type":"output_text","text":"a hateful answer","annotations":[]}]}]}`),
			want: want{status: 403, ctype: "application/json", body: blocked("Hate severity 5 reaches the threshold 4"),
				calls: []string{analyze + ` {"text":"Tell me about tulips."` + docCats, shield + ` {"userPrompt":"Tell me about tulips.","documents":[]}`,
					answerCall("a hateful answer")}, reason: ReasonContentSafetyBlocked},
		},
		{
			name: "a streamed chat answer is checked whole and sent unchanged", policy: docEnforce, req: tulips,
			answer: sseAnswer(chatStream("Tulips ", "are ", "flowers.")...),
			want:   want{status: 200, ctype: "text/event-stream", same: true, calls: calls(answerCall("Tulips are flowers."))},
		},
		{
			name: "a flagged streamed answer: its events are not sent, no 403 (APIM); the role event without text went first", policy: docEnforce, req: tulips,
			answer: sseAnswer(chatStream("a ", "hateful ", "answer")...),
			want: want{status: 200, ctype: "text/event-stream", body: chatStream()[0] + "\n\n", calls: calls(answerCall("a hateful answer")),
				reason: ReasonContentSafetyBlocked, msg: "Hate severity 5"},
		},
		{
			name: "a streamed completion with two choices", path: "/openai/deployments/instruct/completions", policy: docEnforce,
			req: `{"prompt":"Say something","n":2,"stream":true}`,
			answer: sseAnswer(
				`data: {"choices":[{"index":0,"text":"Some"}]}`, `data: {"choices":[{"index":1,"text":"Other"}]}`,
				`data: {"choices":[{"index":0,"text":"thing."}]}`, `data: {"choices":[{"index":1,"text":" words."}]}`, "data: [DONE]"),
			want: want{status: 200, ctype: "text/event-stream", same: true, calls: []string{
				analyze + ` {"text":"Say something"` + docCats, shield + ` {"userPrompt":"Say something","documents":[]}`,
				answerCall("Something."), answerCall("Other words.")}}, // each choice its own windows
		},
		{
			name: "a streamed Responses answer, flagged", path: "/openai/v1/responses", policy: docEnforce,
			req: `{"input":"Tell me about tulips.","stream":true}`,
			answer: sseAnswer(
				"event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\"}}",
				"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"output_index\":0,\"content_index\":0,\"delta\":\"very \"}",
				"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"output_index\":0,\"content_index\":0,\"delta\":\"violent\"}",
				"event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\",\"output\":[]}}"),
			want: want{status: 200, ctype: "text/event-stream", body: "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\"}}\n\n",
				calls: []string{
					analyze + ` {"text":"Tell me about tulips."` + docCats, shield + ` {"userPrompt":"Tell me about tulips.","documents":[]}`,
					answerCall("very violent")}, reason: ReasonContentSafetyBlocked},
		},
		{
			name: "Content Safety fails on the answer: 500", policy: docEnforce, req: tulips,
			answer: jsonAnswer(chatAnswer("UNLUCKY words")),
			want: want{status: 500, ctype: "application/json", body: internal, calls: calls(answerCall("UNLUCKY words")),
				reason: ReasonContentSafetyFailure, msg: "text:analyze answered 500 (InternalServerError)"},
		},
		{
			name: "Content Safety fails on a streamed answer: the stream stops (fail closed)", policy: docEnforce, req: tulips,
			answer: sseAnswer(chatStream("UNLUCKY ", "words")...),
			want: want{status: 200, ctype: "text/event-stream", body: chatStream()[0] + "\n\n", calls: calls(answerCall("UNLUCKY words")),
				reason: ReasonContentSafetyFailure, msg: "text:analyze answered 500 (InternalServerError)"},
		},
		{
			name: "Content Safety does not answer: 500 once the call's timeout passes", policy: docEnforce, req: tulips,
			answer: jsonAnswer(chatAnswer("SLOW words")),
			want: want{status: 500, ctype: "application/json", body: internal, calls: calls(answerCall("SLOW words")),
				reason: engine.ReasonTimeout, msg: "did not answer in time"},
		},
		{
			name: "an answer over max-body-size: 403 without a call", policy: docEnforce, req: tulips,
			answer: jsonAnswer(huge),
			want: want{status: 403, ctype: "application/json", body: `{"statusCode":403,"message":"The response is larger than the API's max-body-size: content safety cannot check it."}`,
				calls: promptCalls, reason: ReasonContentSafetyTooLong},
		},
		{
			name: "a streamed answer over max-body-size and 10,000 characters: checked in windows of 10,000 (APIM's default), sent unchanged", policy: docEnforce, req: tulips,
			answer: sseAnswer(chatStream(hugeStream...)...),
			want:   want{status: 200, ctype: "text/event-stream", same: true, calls: calls(hugeCalls...)},
		},
		{
			name: "an answer over 10,000 characters: 403 without a call", policy: docEnforce, req: tulips,
			answer: jsonAnswer(chatAnswer(strings.Repeat("é", contentSafetyMaxText+1))),
			want: want{status: 403, ctype: "application/json",
				body:  `{"statusCode":403,"message":"The response's text (10001 characters) is longer than the 10000 characters content safety can check."}`,
				calls: promptCalls, reason: ReasonContentSafetyTooLong},
		},
		{
			name: "a gzip-encoded answer is decoded and checked", policy: docEnforce, req: tulips,
			answer: csLLMAnswer{status: 200, ctype: "application/json", encoding: "gzip", pieces: []string{gzipped(chatAnswer("a hateful answer"))}},
			want: want{status: 403, ctype: "application/json", body: blocked("Hate severity 5 reaches the threshold 4"),
				calls: calls(answerCall("a hateful answer")), reason: ReasonContentSafetyBlocked},
		},
		{
			name: "an answer in an encoding tollgate does not decode is not let through: 500", policy: docEnforce, req: tulips,
			answer: csLLMAnswer{status: 200, ctype: "application/json", encoding: "br", pieces: []string{"\x1b\x00binary"}},
			want: want{status: 500, ctype: "application/json", body: internal, calls: promptCalls,
				reason: ReasonContentSafetyFailure, msg: `encoded with "br"`},
		},
		{
			name: "an error answer has no completion: it passes unchanged", policy: docEnforce, req: tulips,
			answer: csLLMAnswer{status: 429, ctype: "application/json", pieces: []string{`{"error":{"code":"429","message":"a hateful rate limit"}}`}},
			want:   want{status: 429, ctype: "application/json", same: true, calls: promptCalls},
		},
		{
			name: "an answer that is not JSON or a stream is not checked", policy: docEnforce, req: tulips,
			answer: csLLMAnswer{status: 200, ctype: "text/plain; charset=utf-8", pieces: []string{"a hateful text"}},
			want:   want{status: 200, ctype: "text/plain; charset=utf-8", same: true, calls: promptCalls},
		},
		{
			name:   "enforce-on-completions without categories or blocklists: nothing to check the answer with",
			policy: `<llm-content-safety backend-id="content-safety-backend" shield-prompt="true" enforce-on-completions="true"/>`, req: tulips,
			answer: jsonAnswer(chatAnswer("a hateful answer")),
			want:   want{status: 200, ctype: "application/json", same: true, calls: promptCalls[1:]},
		},
		{
			name: "a refused prompt: the model is not called", policy: docEnforce, req: chat("a hateful question"),
			answer: jsonAnswer(chatAnswer("unused")),
			want: want{status: 403, ctype: "application/json", body: `{"statusCode":403,"message":"The request was blocked by content safety: Hate severity 5 reaches the threshold 4."}`,
				calls: []string{analyze + ` {"text":"a hateful question"` + docCats}, reason: ReasonContentSafetyBlocked},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs := newAzureFake(t, csByText)
			log, logs := observedLog()
			d := testDeps()
			d.HTTPClient, d.Log = cs.client(), log
			d.AzureCallTimeout = 300 * time.Millisecond
			d.Backends = &fakeBackends{m: map[string]PolicyBackend{"content-safety-backend": {
				URL: "https://contoso-safety.cognitiveservices.azure.com/", Header: http.Header{"Ocp-Apim-Subscription-Key": {"SECRET-key"}}}}}
			plan := compileCS(t, d, tc.policy)
			llm := newCSLLM(t, tc.answer)
			g := newCSGateway(t, plan, llm.srv.URL, maxBody)
			path := tc.path
			if path == "" {
				path = "/openai/deployments/gpt-4o/chat/completions"
			}
			res, err := http.Post(g.srv.URL+path, "application/json", strings.NewReader(tc.req))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tc.want.status || res.Header.Get("Content-Type") != tc.want.ctype {
				t.Errorf("answer %d %q, want %d %q: %.300s", res.StatusCode, res.Header.Get("Content-Type"), tc.want.status, tc.want.ctype, got)
			}
			switch {
			case tc.want.same:
				if string(got) != tc.answer.body() {
					t.Errorf("body changed:\n%.300s\nwant the LLM's:\n%.300s", got, tc.answer.body())
				}
				if res.Header.Get("X-Model") != "fake" {
					t.Errorf("the LLM's headers are lost: %v", res.Header)
				}
			case tc.want.body != "" || tc.want.msg == "" || tc.want.status == 200:
				if string(got) != tc.want.body {
					t.Errorf("body %.300q, want %q", got, tc.want.body)
				}
			}
			if tc.want.status == 403 && strings.Contains(string(got), "unused") || strings.Contains(string(got), "SECRET") {
				t.Errorf("body %q", got)
			}
			// The model got the client's request as it was sent.
			reqs := llm.requests()
			if tc.want.status == 403 && len(tc.want.calls) == 1 {
				if len(reqs) != 0 {
					t.Errorf("the model was called: %q", reqs)
				}
			} else if len(reqs) != 1 || reqs[0] != "POST "+path+" application/json "+tc.req {
				t.Errorf("the model got %q", reqs)
			}
			seen := cs.seen()
			var gotCalls []string
			for _, c := range seen {
				gotCalls = append(gotCalls, c.path+"?"+c.query+" "+strings.TrimSpace(c.body))
				if c.method != "POST" || c.header.Get("Ocp-Apim-Subscription-Key") != "SECRET-key" || c.header.Get("Content-Type") != "application/json" {
					t.Errorf("call %s %s: headers %v", c.method, c.path, c.header)
				}
			}
			if strings.Join(gotCalls, "\n") != strings.Join(tc.want.calls, "\n") {
				t.Errorf("Content Safety got:\n%s\nwant:\n%s", strings.Join(gotCalls, "\n"), strings.Join(tc.want.calls, "\n"))
			}
			g.mu.Lock()
			le := g.lastError
			g.mu.Unlock()
			switch {
			case tc.want.reason == "" && le != nil:
				t.Errorf("last error %+v", le)
			case tc.want.reason != "" && (le == nil || le.Reason != tc.want.reason || le.Source != "llm-content-safety" || !strings.Contains(le.Message, tc.want.msg)):
				t.Errorf("last error %+v, want reason %s with %q", le, tc.want.reason, tc.want.msg)
			case le != nil && strings.Contains(le.Message, "SECRET"):
				t.Errorf("last error %+v", le)
			}
			for _, e := range logs.All() {
				if strings.Contains(fmt.Sprint(e.Message, e.ContextMap()), "SECRET") {
					t.Errorf("log %s %v", e.Message, e.ContextMap())
				}
			}
		})
	}
}

func gzipped(s string) string {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	io.WriteString(zw, s)
	zw.Close()
	return b.String()
}

// The answer's text as enforce-on-completions reads it.
func TestCompletionText(t *testing.T) {
	tests := []struct {
		name string
		sse  bool
		body string
		want string
	}{
		{"chat", false, chatAnswer("a", "b"), "a\nb"},
		{"chat, null content (tool calls)", false, `{"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[{"function":{"arguments":"{}"}}]}}]}`, ""},
		{"completion", false, `{"choices":[{"text":"x"},{"text":"y"}]}`, "x\ny"},
		{"responses", false, `{"output":[{"type":"function_call","arguments":"{\"a\":\"b\"}"},{"type":"message","content":[{"type":"output_text","text":"t1"},{"type":"refusal","refusal":"no"},{"type":"output_text","text":"t2"}]}]}`, "t1\nt2"},
		{"embeddings: none", false, `{"data":[{"embedding":[0.1,0.2]}]}`, ""},
		{"not JSON", false, `choices`, ""},
		{"stream with CRLF and multi-line data", true, "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\r\n\r\ndata: {\"choices\":\r\ndata: [{\"delta\":{\"content\":\"b\"}}]}\r\n\r\n: keep-alive\r\n\r\ndata: [DONE]\r\n\r\n", "ab"},
		{"stream cut without a blank line", true, "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}", "ab"},
		{"stream of two Responses items", true, "data: {\"type\":\"response.output_text.delta\",\"output_index\":1,\"delta\":\"x\"}\n\ndata: {\"type\":\"response.output_text.delta\",\"output_index\":2,\"delta\":\"y\"}\n\ndata: {\"type\":\"response.output_text.done\",\"output_index\":1,\"text\":\"x\"}\n\n", "x\ny"},
		{"stream of garbage", true, "data: {\"choices\":\n\ndata: nope\n\n", ""},
	}
	for _, tc := range tests {
		if got := completionText([]byte(tc.body), tc.sse); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// Outbound sees a replaced answer as context.Response (its status) and
// the reason as context.LastError.
func TestLLMContentSafetyCompletionsOutbound(t *testing.T) {
	cs := newAzureFake(t, csByText)
	d := testDeps()
	d.HTTPClient = cs.client()
	d.Backends = &fakeBackends{m: map[string]PolicyBackend{"content-safety-backend": {URL: "https://cs.example/"}}}
	plan := compileCS(t, d, `<policies><inbound>
  <llm-content-safety backend-id="content-safety-backend" enforce-on-completions="true"><categories><category name="Hate" threshold="2"/></categories></llm-content-safety>
</inbound><backend/><outbound>
  <set-header name="X-Checked" exists-action="override"><value>@(context.Response.StatusCode + " " + (context.LastError == null ? "none" : context.LastError.Reason))</value></set-header>
</outbound><on-error/></policies>`)
	for answer, want := range map[string]string{"fine": "200 none", "hateful": "403 " + ReasonContentSafetyBlocked} {
		llm := newCSLLM(t, jsonAnswer(chatAnswer(answer)))
		g := newCSGateway(t, plan, llm.srv.URL, 1<<20)
		res, err := http.Post(g.srv.URL+"/chat/completions", "application/json", strings.NewReader(chat("hi")))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if got := res.Header.Get("X-Checked"); got != want {
			t.Errorf("%s: X-Checked %q, want %q", answer, got, want)
		}
	}
}
