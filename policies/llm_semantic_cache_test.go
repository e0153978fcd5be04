package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"tollgate/engine"
	"tollgate/internal/redistest"
	"tollgate/store"
)

// semDims is the fake embeddings' dimensions in the tests.
const semDims = 1024

// semWords splits a text into lower-case words (letters and digits).
func semWords(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
}

// semVector is the fake embedding of text: one count per word, in the
// dimension the word hashes to (role names such as "user" count too), so
// texts sharing most words are close.
func semVector(text string, dims int) []float64 {
	v := make([]float64, dims)
	for _, w := range semWords(text) {
		h := fnv.New32a()
		h.Write([]byte(w))
		v[h.Sum32()%uint32(dims)]++
	}
	return v
}

// semEmbeddings is a fake OpenAI-compatible embeddings server.
type semEmbeddings struct {
	srv   *httptest.Server
	calls atomic.Int64
	mode  atomic.Value // "" (answer), "fail", "hang", "garbage", "unauthorized"
	auth  atomic.Value // the last Authorization header
	path  atomic.Value // the last path and query
	model atomic.Value // the last body's model
}

func newSemEmbeddings(t *testing.T) *semEmbeddings {
	e := &semEmbeddings{}
	e.mode.Store("")
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.calls.Add(1)
		e.auth.Store(r.Header.Get("Authorization") + r.Header.Get("Api-Key"))
		e.path.Store(r.URL.RequestURI())
		var in struct {
			Input string `json:"input"`
			Model string `json:"model"`
		}
		_ = json.NewDecoder(r.Body).Decode(&in)
		e.model.Store(in.Model)
		switch e.mode.Load().(string) {
		case "fail":
			http.Error(w, `{"error":{"code":"InternalServerError"}}`, http.StatusInternalServerError)
			return
		case "hang":
			<-r.Context().Done() // until the caller gives up
			return
		case "garbage":
			w.Write([]byte(`{"data":"nope"}`))
			return
		case "unauthorized":
			http.Error(w, `{"error":{"message":"Access denied due to invalid subscription key api-key=SECRET-KEY"}}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"object": "list",
			"data": []any{map[string]any{"object": "embedding", "index": 0, "embedding": semVector(in.Input, semDims)}}})
	}))
	t.Cleanup(e.srv.Close)
	return e
}

// semLLM is a fake chat completions backend that counts its calls.
type semLLM struct {
	srv    *httptest.Server
	calls  atomic.Int64
	status atomic.Int64 // 0: 200
	cut    atomic.Bool  // end a stream without data: [DONE]
}

func newSemLLM(t *testing.T) *semLLM {
	b := &semLLM{}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := b.calls.Add(1)
		var req struct {
			Stream bool `json:"stream"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		w.Header().Set("X-Answer", fmt.Sprint(n))
		if st := b.status.Load(); st != 0 {
			http.Error(w, `{"error":"busy"}`, int(st))
			return
		}
		if req.Stream {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":\"answer %d\"}}]}\n\n", n)
			w.(http.Flusher).Flush()
			if !b.cut.Load() {
				fmt.Fprint(w, "data: [DONE]\n\n")
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"chatcmpl-%d","choices":[{"message":{"role":"assistant","content":"answer %d"}}]}`, n, n)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

// semBackends resolves backend entities for the tests.
type semBackends map[string]PolicyBackend

func (m semBackends) PolicyBackend(_ context.Context, _ *engine.State, name string) (*PolicyBackend, error) {
	b, ok := m[name]
	if !ok {
		return nil, fmt.Errorf("backend %q is not in the served configuration", name)
	}
	return &b, nil
}

// semGateway is a gateway in miniature, over real sockets: it runs the
// inbound section (a hit answers from there), calls the LLM backend,
// runs outbound, sends the body through WrapResponseBody and then runs
// Finish, in the order gateway/http.go does.
type semGateway struct {
	t     *testing.T
	plan  *engine.Plan
	llm   string
	srv   *httptest.Server
	mu    sync.Mutex
	trace string // the last request's trace notes
}

func newSemGateway(t *testing.T, d Deps, policy string, llm string, backends ...string) *semGateway {
	t.Helper()
	root, err := engine.Read("policy.xml", []byte(policy))
	if err != nil {
		t.Fatal(err)
	}
	c := engine.NewCompiler(Registry(d), engine.NewNamedValues())
	c.Backends = map[string]bool{}
	for _, b := range backends {
		c.Backends[b] = true
	}
	plan := c.Compile(root, "api", nil)
	if errs := c.Errors(); len(errs) > 0 {
		t.Fatalf("load errors:\n%s", errs.Error())
	}
	g := &semGateway{t: t, plan: plan, llm: llm}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *semGateway) serve(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	body, _ := io.ReadAll(r.Body)
	s := engine.AcquireState(&engine.Api{Name: "chat", Type: "http", Path: "/", ServiceUrl: g.llm})
	s.SetRequest(r.Method, "http", r.Host, r.URL, r.Header.Clone(), "10.0.0.1")
	s.Context().Request.Body = engine.NewBody(body)
	if sub := r.Header.Get("X-Subscription"); sub != "" {
		s.Context().Subscription = &engine.Subscription{Id: sub}
	}
	s.EnableTrace()
	defer func() {
		s.Finish(ctx)
		var notes []string
		for _, st := range s.Trace().Steps {
			for _, n := range st.Notes {
				notes = append(notes, st.Policy+": "+n)
			}
		}
		g.mu.Lock()
		g.trace = strings.Join(notes, "\n")
		g.mu.Unlock()
		s.Release()
	}()
	send := func(res *engine.Response, rc io.Reader) {
		for k, v := range res.Headers {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		if rc == nil {
			data, _ := res.Body.Bytes()
			rc = bytes.NewReader(data)
		}
		io.Copy(w, s.WrapResponseBody(io.NopCloser(rc)))
	}
	if g.plan.Run(ctx, engine.Inbound, s) {
		send(s.Response(), nil)
		return
	}
	res, err := http.Post(g.llm+r.URL.Path, "application/json", bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer res.Body.Close()
	er := engine.NewResponse(res.StatusCode)
	er.Headers = engine.Headers(res.Header)
	er.Body = engine.NewLazyBody(func() ([]byte, error) { return io.ReadAll(res.Body) })
	s.SetResponse(er)
	g.plan.Run(ctx, engine.Outbound, s)
	final := s.Response()
	if final.Body.Loaded() {
		send(final, nil)
		return
	}
	send(final, res.Body)
}

// ask sends a chat completion request and returns the answer.
func (g *semGateway) ask(body string, hdr ...string) (int, http.Header, string) {
	g.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.srv.URL+"/chat/completions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(data)
}

func (g *semGateway) lastTrace() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.trace
}

func semChat(user string, system ...string) string {
	var msgs []map[string]string
	for _, s := range system {
		msgs = append(msgs, map[string]string{"role": "system", "content": s})
	}
	msgs = append(msgs, map[string]string{"role": "user", "content": user})
	b, _ := json.Marshal(map[string]any{"messages": msgs})
	return string(b)
}

func semPolicy(lookupAttrs, inner, storeAttrs string) string {
	return `<policies><inbound><llm-semantic-cache-lookup embeddings-backend-id="embeddings" embeddings-backend-auth="system-assigned" ` +
		lookupAttrs + `>` + inner + `</llm-semantic-cache-lookup></inbound><backend/><outbound><llm-semantic-cache-store ` +
		storeAttrs + `/></outbound><on-error/></policies>`
}

// semStack is a fake embeddings server, a fake LLM and a gateway over
// them with policy.
type semStack struct {
	emb *semEmbeddings
	llm *semLLM
	gw  *semGateway
}

func newSemStack(t *testing.T, d Deps, policy string) *semStack {
	st := &semStack{emb: newSemEmbeddings(t), llm: newSemLLM(t)}
	if d.Store == nil {
		d.Store = store.NewMemory()
	}
	if d.Backends == nil {
		d.Backends = semBackends{"embeddings": {URL: st.emb.srv.URL + "/openai/deployments/emb/embeddings", Header: http.Header{"Api-Key": {"SECRET-KEY"}}}}
	}
	st.gw = newSemGateway(t, d, policy, st.llm.srv.URL, "embeddings")
	return st
}

// TestSemanticCache: a similar prompt hits, a different one misses, each
// partition (vary-by, streamed or not) is its own, only whole 200 answers
// are stored, and system messages and long dialogs are handled as
// configured.
func TestSemanticCache(t *testing.T) {
	type step struct {
		body    string
		hdr     []string
		hit     bool   // answered from the cache (the LLM not called)
		skipped bool   // not looked up at all (no embeddings call)
		want    string // the answer contains it
	}
	cases := []struct {
		name          string
		lookup, inner string
		store         string
		llmStatus     int
		steps         []step
	}{
		{name: "similar prompt hits, different one misses", lookup: `score-threshold="0.05"`, store: `duration="60"`, steps: []step{
			{body: semChat("What is the capital of France?"), want: "answer 1"},
			{body: semChat("what is the capital of france"), hit: true, want: "answer 1"},
			{body: semChat("Tell me a joke about cats"), want: "answer 2"},
			{body: semChat("tell me a joke about cats!"), hit: true, want: "answer 2"},
		}},
		{name: "vary-by partitions", lookup: `score-threshold="0.05"`, store: `duration="60"`,
			inner: `<vary-by>@(context.Request.Headers.GetValueOrDefault("X-Tenant", ""))</vary-by>`, steps: []step{
				{body: semChat("What is the capital of France?"), hdr: []string{"X-Tenant", "a"}, want: "answer 1"},
				{body: semChat("What is the capital of France?"), hdr: []string{"X-Tenant", "b"}, want: "answer 2"},
				{body: semChat("What is the capital of France?"), hdr: []string{"X-Tenant", "a"}, hit: true, want: "answer 1"},
				{body: semChat("What is the capital of France?"), hdr: []string{"X-Tenant", "b"}, hit: true, want: "answer 2"},
			}},
		{name: "vary-by values are concatenated", lookup: `score-threshold="0.05"`, store: `duration="60"`,
			inner: `<vary-by>@(context.Request.Headers.GetValueOrDefault("X-A", ""))</vary-by><vary-by>@(context.Request.Headers.GetValueOrDefault("X-B", ""))</vary-by>`,
			steps: []step{
				{body: semChat("hello there"), hdr: []string{"X-A", "1", "X-B", "2"}, want: "answer 1"},
				{body: semChat("hello there"), hdr: []string{"X-A", "1", "X-B", "3"}, want: "answer 2"},
				{body: semChat("hello there"), hdr: []string{"X-A", "1", "X-B", "2"}, hit: true, want: "answer 1"},
			}},
		{name: "a streamed request is its own partition", lookup: `score-threshold="0.05"`, store: `duration="60"`, steps: []step{
			{body: semChat("What is the capital of France?"), want: "answer 1"},
			{body: `{"stream":true,"messages":[{"role":"user","content":"What is the capital of France?"}]}`, want: "data: {"},
			{body: `{"stream":true,"messages":[{"role":"user","content":"what is the capital of france"}]}`, hit: true, want: "answer 2"},
			{body: semChat("What is the capital of France?"), hit: true, want: `"answer 1"`},
		}},
		{name: "system messages count unless ignored", lookup: `score-threshold="0.05"`, store: `duration="60"`, steps: []step{
			{body: semChat("What is the capital of France?", "You are terse and formal at all times"), want: "answer 1"},
			{body: semChat("What is the capital of France?", "Answer like a pirate would with many jokes"), want: "answer 2"},
		}},
		{name: "ignore-system-messages", lookup: `score-threshold="0.05" ignore-system-messages="true"`, store: `duration="60"`, steps: []step{
			{body: semChat("What is the capital of France?", "You are terse and formal at all times"), want: "answer 1"},
			{body: semChat("What is the capital of France?", "Answer like a pirate would with many jokes"), hit: true, want: "answer 1"},
		}},
		{name: "max-message-count skips longer dialogs", lookup: `score-threshold="0.05" max-message-count="1"`, store: `duration="60"`, steps: []step{
			{body: semChat("What is the capital of France?", "be brief"), skipped: true, want: "answer 1"},
			{body: semChat("What is the capital of France?", "be brief"), skipped: true, want: "answer 2"},
			{body: semChat("What is the capital of France?"), want: "answer 3"},
			{body: semChat("What is the capital of France?"), hit: true, want: "answer 3"},
		}},
		{name: "max-message-count counts after ignoring system messages", lookup: `score-threshold="0.05" max-message-count="1" ignore-system-messages="true"`, store: `duration="60"`, steps: []step{
			{body: semChat("What is the capital of France?", "be brief"), want: "answer 1"},
			{body: semChat("What is the capital of France?", "be brief"), hit: true, want: "answer 1"},
		}},
		{name: "only 200 answers are stored", lookup: `score-threshold="0.05"`, store: `duration="60"`, llmStatus: 503, steps: []step{
			{body: semChat("What is the capital of France?"), want: "busy"},
			{body: semChat("What is the capital of France?"), want: "busy"},
		}},
		{name: "not an LLM request", lookup: `score-threshold="0.05"`, store: `duration="60"`, steps: []step{
			{body: `{"query":"x"}`, skipped: true, want: "answer 1"},
			{body: `not json`, skipped: true, want: "answer 2"},
		}},
		{name: "completions and Responses requests", lookup: `score-threshold="0.05"`, store: `duration="60"`, steps: []step{
			{body: `{"prompt":"Write a haiku about rain"}`, want: "answer 1"},
			{body: `{"prompt":["write a haiku about rain"]}`, hit: true, want: "answer 1"},
			{body: `{"input":"Write a haiku about rain"}`, want: "answer 2"},
			{body: `{"input":[{"role":"user","content":[{"type":"input_text","text":"write a haiku about rain"}]}]}`, hit: true, want: "answer 2"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := newSemStack(t, Deps{}, semPolicy(tc.lookup, tc.inner, tc.store))
			st.llm.status.Store(int64(tc.llmStatus))
			for i, sp := range tc.steps {
				llm0, emb0 := st.llm.calls.Load(), st.emb.calls.Load()
				status, hdr, body := st.gw.ask(sp.body, sp.hdr...)
				trace := st.gw.lastTrace()
				if !strings.Contains(body, sp.want) {
					t.Fatalf("step %d: answer %d %q, want %q\ntrace:\n%s", i+1, status, body, sp.want, trace)
				}
				if hit := st.llm.calls.Load() == llm0; hit != sp.hit {
					t.Fatalf("step %d: hit = %v, want %v\ntrace:\n%s", i+1, hit, sp.hit, trace)
				}
				if skipped := st.emb.calls.Load() == emb0; skipped != sp.skipped {
					t.Fatalf("step %d: embeddings skipped = %v, want %v\ntrace:\n%s", i+1, skipped, sp.skipped, trace)
				}
				if sp.hit {
					if !strings.Contains(trace, "hit: distance") {
						t.Errorf("step %d: trace without the hit:\n%s", i+1, trace)
					}
					if hdr.Get("Content-Type") == "" || hdr.Get("X-Answer") == "" {
						t.Errorf("step %d: the cached answer lost its headers: %v", i+1, hdr)
					}
				}
			}
		})
	}
}

// TestSemanticCacheThreshold: score-threshold is a distance (1 - cosine
// similarity): a cached prompt at exactly the threshold hits, one just
// beyond misses, 0 hits only the same prompt and 1 any prompt.
func TestSemanticCacheThreshold(t *testing.T) {
	// "user alpha bravo charlie" and "user alpha bravo delta" share 3 of
	// their 4 words: a cosine of 3/4, a distance of 0.25.
	a, b := "alpha bravo charlie", "alpha bravo delta"
	va, vb := semVector("user: "+a, semDims), semVector("user: "+b, semDims)
	var dot, na, nb float64
	for i := range va {
		dot, na, nb = dot+va[i]*vb[i], na+va[i]*va[i], nb+vb[i]*vb[i]
	}
	if na != 4 || nb != 4 || dot != 3 {
		t.Fatalf("the fake embeddings collide: |a|²=%v |b|²=%v a·b=%v", na, nb, dot)
	}
	for _, tc := range []struct {
		threshold string
		second    string
		hit       bool
	}{
		{"0.25", b, true},
		{"0.2499", b, false},
		{"0", a, true},
		{"0", b, false},
		{"0.0", "Alpha, bravo: CHARLIE!", true},
		{"1", "zulu yankee xray", true},
		{"0.7", "zulu yankee xray whiskey victor", false},
	} {
		t.Run(tc.threshold+"/"+tc.second, func(t *testing.T) {
			st := newSemStack(t, Deps{}, semPolicy(`score-threshold="`+tc.threshold+`"`, "", `duration="60"`))
			st.gw.ask(semChat(a))
			st.gw.ask(semChat(tc.second))
			if hit := st.llm.calls.Load() == 1; hit != tc.hit {
				t.Fatalf("hit = %v, want %v\n%s", hit, tc.hit, st.gw.lastTrace())
			}
		})
	}
}

// TestSemanticCacheExpiry: an entry lives duration seconds (the store's
// clock decides), and duration takes expressions.
func TestSemanticCacheExpiry(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	for _, duration := range []string{`60`, `@(30 + 30)`} {
		t.Run(duration, func(t *testing.T) {
			st := newSemStack(t, Deps{Store: store.NewMemory(store.WithClock(clock))},
				semPolicy(`score-threshold="0.05"`, "", `duration="`+duration+`"`))
			q := semChat("What is the capital of France?")
			st.gw.ask(q)
			advance(59 * time.Second)
			if _, _, body := st.gw.ask(q); st.llm.calls.Load() != 1 || !strings.Contains(body, "answer 1") {
				t.Fatalf("within the duration: %d calls, %q", st.llm.calls.Load(), body)
			}
			advance(time.Second)
			if _, _, body := st.gw.ask(q); st.llm.calls.Load() != 2 || !strings.Contains(body, "answer 2") {
				t.Fatalf("after the duration: %d calls, %q\n%s", st.llm.calls.Load(), body, st.gw.lastTrace())
			}
			if _, _, body := st.gw.ask(q); st.llm.calls.Load() != 2 || !strings.Contains(body, "answer 2") {
				t.Fatalf("stored again: %d calls, %q", st.llm.calls.Load(), body)
			}
		})
	}
}

// TestSemanticCacheBound: a partition keeps its newest entries only.
func TestSemanticCacheBound(t *testing.T) {
	st := newSemStack(t, Deps{}, semPolicy(`score-threshold="0.01"`, "", `duration="600"`))
	first := semChat("prompt number zero")
	st.gw.ask(first)
	for i := 1; i <= semanticMaxEntries; i++ {
		st.gw.ask(semChat(fmt.Sprintf("completely different question %d %d", i, i*7919)))
	}
	n := st.llm.calls.Load()
	st.gw.ask(first)
	if st.llm.calls.Load() != n+1 {
		t.Fatalf("the oldest entry survived %d newer ones", semanticMaxEntries)
	}
}

// TestSemanticCacheSSE: a streamed answer is cached once sent whole, a cut
// one is not.
func TestSemanticCacheSSE(t *testing.T) {
	stream := `{"stream":true,"messages":[{"role":"user","content":"Tell me about Paris"}]}`
	st := newSemStack(t, Deps{}, semPolicy(`score-threshold="0.05"`, "", `duration="60"`))
	st.llm.cut.Store(true)
	st.gw.ask(stream)
	st.gw.ask(stream)
	if n := st.llm.calls.Load(); n != 2 {
		t.Fatalf("a stream without data: [DONE] was cached (%d calls)", n)
	}
	if tr := st.gw.lastTrace(); !strings.Contains(tr, "not sent whole") {
		t.Errorf("trace: %s", tr)
	}
	st.llm.cut.Store(false)
	st.gw.ask(stream)
	_, hdr, body := st.gw.ask(stream)
	if n := st.llm.calls.Load(); n != 3 || hdr.Get("Content-Type") != "text/event-stream" || !strings.HasSuffix(body, "data: [DONE]\n\n") {
		t.Fatalf("%d calls, %q: %q", n, hdr.Get("Content-Type"), body)
	}
}

// TestSemanticCacheEmbeddingsFailures: an embeddings backend that fails,
// hangs, answers nonsense or refuses the key is a miss: the request goes
// to the LLM, nothing is stored, the trace says why, and no secret (the
// key, the URL's query) is in the trace or the log.
func TestSemanticCacheEmbeddingsFailures(t *testing.T) {
	for _, tc := range []struct {
		mode, backend, why string
	}{
		{"fail", "embeddings", "answered 500"},
		{"hang", "embeddings", "did not answer within 100ms"},
		{"garbage", "embeddings", "not an embeddings answer"},
		{"unauthorized", "embeddings", "answered 401 (the backend's credentials were refused)"},
		{"", "missing", `backend "missing" is not in the served configuration`},
	} {
		t.Run(tc.mode+tc.backend, func(t *testing.T) {
			core, logs := observer.New(zap.DebugLevel)
			emb := newSemEmbeddings(t)
			emb.mode.Store(tc.mode)
			d := Deps{Store: store.NewMemory(), Log: zap.New(core), EmbeddingsTimeout: 100 * time.Millisecond,
				Backends: semBackends{"embeddings": {URL: emb.srv.URL + "/v1?api-key=SECRET-Q", Header: http.Header{"Api-Key": {"SECRET-KEY"}}}}}
			llm := newSemLLM(t)
			pol := strings.Replace(semPolicy(`score-threshold="0.05"`, "", `duration="60"`), `"embeddings"`, `"`+tc.backend+`"`, 1)
			gw := newSemGateway(t, d, pol, llm.srv.URL, tc.backend)
			for i := 1; i <= 2; i++ {
				status, _, body := gw.ask(semChat("What is the capital of France?"))
				if status != 200 || !strings.Contains(body, fmt.Sprintf("answer %d", i)) {
					t.Fatalf("request %d: %d %q", i, status, body)
				}
			}
			tr := gw.lastTrace()
			if !strings.Contains(tr, tc.why) || !strings.Contains(tr, "treated as a miss") {
				t.Errorf("trace without %q:\n%s", tc.why, tr)
			}
			var logged strings.Builder
			for _, e := range logs.All() {
				fmt.Fprintf(&logged, "%s %v\n", e.Message, e.ContextMap())
			}
			for _, secret := range []string{"SECRET-KEY", "SECRET-Q"} {
				if strings.Contains(tr, secret) || strings.Contains(logged.String(), secret) {
					t.Errorf("%s shown:\ntrace: %s\nlog: %s", secret, tr, logged.String())
				}
			}
			if tc.mode != "" {
				if p, _ := emb.path.Load().(string); p != "/v1/embeddings?api-key=SECRET-Q" {
					t.Errorf("called %q", p)
				}
			}
		})
	}
}

// TestSemanticCacheAuth: the backend's own credentials are sent; with
// embeddings-backend-auth="system-assigned" and none, the system-assigned
// identity's token for Azure OpenAI; a backend's managedIdentity gets its
// own identity's token. Tokens never reach the trace.
func TestSemanticCacheAuth(t *testing.T) {
	var scopes sync.Map
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		scopes.Store(r.Form.Get("client_id"), r.Form.Get("scope"))
		fmt.Fprintf(w, `{"access_token":"TOKEN-%s","expires_in":3600}`, r.Form.Get("client_id"))
	}))
	t.Cleanup(tokens.Close)
	ids := map[string]Identity{
		"":     {TokenURL: tokens.URL, ClientID: "system", ClientSecret: "x"},
		"user": {TokenURL: tokens.URL, ClientID: "user", ClientSecret: "y"},
	}
	user := "user"
	for _, tc := range []struct {
		name    string
		backend PolicyBackend
		want    string
		scope   string
	}{
		{"api key", PolicyBackend{Header: http.Header{"Api-Key": {"K1"}}}, "K1", ""},
		{"system-assigned", PolicyBackend{}, "Bearer TOKEN-system", "https://cognitiveservices.azure.com/.default"},
		{"backend identity", PolicyBackend{Identity: &user, IdentityResource: "https://example.test"}, "Bearer TOKEN-user", "https://example.test/.default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emb := newSemEmbeddings(t)
			be := tc.backend
			be.URL = emb.srv.URL + "/openai/deployments/emb/embeddings"
			d := Deps{Store: store.NewMemory(), Identities: ids, Backends: semBackends{"embeddings": be}}
			st := newSemStack(t, d, semPolicy(`score-threshold="0.05" embeddings-model="text-embedding-3-small"`, "", `duration="60"`))
			st.emb = emb
			st.gw.ask(semChat("hello"))
			if got, _ := emb.auth.Load().(string); got != tc.want {
				t.Errorf("credential %q, want %q", got, tc.want)
			}
			if p, _ := emb.path.Load().(string); p != "/openai/deployments/emb/embeddings?api-version=2024-02-01" {
				t.Errorf("path %q", p)
			}
			if m, _ := emb.model.Load().(string); m != "text-embedding-3-small" {
				t.Errorf("model %q", m)
			}
			if tc.scope != "" {
				id := "system"
				if tc.backend.Identity != nil {
					id = "user"
				}
				if sc, _ := scopes.Load(id); sc != tc.scope {
					t.Errorf("scope %v, want %s", sc, tc.scope)
				}
			}
			if strings.Contains(st.gw.lastTrace(), "TOKEN-") {
				t.Errorf("token in the trace: %s", st.gw.lastTrace())
			}
		})
	}
}

// TestSemanticCacheRedisShared: two gateways on one Redis share the cache.
func TestSemanticCacheRedisShared(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	srv := redistest.Start(t)
	rd1, rd2 := semRedis(t, srv), semRedis(t, srv)
	emb, llm := newSemEmbeddings(t), newSemLLM(t)
	backends := semBackends{"embeddings": {URL: emb.srv.URL + "/v1/embeddings"}}
	pol := semPolicy(`score-threshold="0.05"`, `<vary-by>@(context.Request.Headers.GetValueOrDefault("X-Tenant", ""))</vary-by>`, `duration="60"`)
	a := newSemGateway(t, Deps{Store: rd1, Backends: backends}, pol, llm.srv.URL, "embeddings")
	b := newSemGateway(t, Deps{Store: rd2, Backends: backends}, pol, llm.srv.URL, "embeddings")
	a.ask(semChat("What is the capital of France?"), "X-Tenant", "t1")
	if _, _, body := b.ask(semChat("what is the capital of france"), "X-Tenant", "t1"); llm.calls.Load() != 1 || !strings.Contains(body, "answer 1") {
		t.Fatalf("the second gateway missed: %d calls, %q\n%s", llm.calls.Load(), body, b.lastTrace())
	}
	if b.ask(semChat("What is the capital of France?"), "X-Tenant", "t2"); llm.calls.Load() != 2 {
		t.Fatalf("another tenant hit")
	}
	if _, _, body := a.ask(semChat("What is the capital of France?"), "X-Tenant", "t2"); llm.calls.Load() != 2 || !strings.Contains(body, "answer 2") {
		t.Fatalf("the first gateway missed the second's entry: %q", body)
	}
}

// semRedis is a Redis store on srv: one gateway replica's.
func semRedis(tb testing.TB, srv *redistest.Server) store.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := store.NewRedis(ctx, srv.URL(), store.RedisOptions{Timeout: 2 * time.Second})
	if err != nil {
		tb.Fatalf("redis store: %v", err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	return st
}

// TestSemanticCacheStoreDown: a store that fails is a miss, never a
// failed request.
func TestSemanticCacheStoreDown(t *testing.T) {
	var errs atomic.Int64
	st := newSemStack(t, Deps{Store: failingStore{}, OnStoreError: func(string, error) { errs.Add(1) }},
		semPolicy(`score-threshold="0.05"`, "", `duration="60"`))
	for i := 1; i <= 2; i++ {
		if status, _, body := st.gw.ask(semChat("hello")); status != 200 || !strings.Contains(body, fmt.Sprintf("answer %d", i)) {
			t.Fatalf("%d %q", status, body)
		}
	}
	if errs.Load() == 0 {
		t.Error("store failures not reported")
	}
}

// TestSemanticCacheDocExamples: APIM's documented examples load as
// written, and the llm-semantic-cache-lookup page's one caches.
func TestSemanticCacheDocExamples(t *testing.T) {
	files, err := filepath.Glob("testdata/semantic-cache/*.xml")
	if err != nil || len(files) < 4 {
		t.Fatalf("%d files: %v", len(files), err)
	}
	emb, llm := newSemEmbeddings(t), newSemLLM(t)
	be := PolicyBackend{URL: emb.srv.URL + "/openai/deployments/emb/embeddings"}
	backends := semBackends{"llm-backend": be, "azure-openai-backend": be, "embeddings-deployment": be}
	names := []string{"llm-backend", "azure-openai-backend", "embeddings-deployment"}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src := string(data)
			switch {
			case strings.HasSuffix(f, ".outbound.xml"):
				src = "<policies><inbound/><backend/><outbound>" + src + "</outbound><on-error/></policies>"
			case !strings.Contains(src, "<policies>"):
				src = "<policies><inbound>" + src + "</inbound><backend/><outbound/><on-error/></policies>"
			}
			gw := newSemGateway(t, Deps{Store: store.NewMemory(), Backends: backends}, src, llm.srv.URL, names...)
			if !strings.Contains(src, "-cache-lookup") || !strings.Contains(src, "-cache-store") {
				return // one of the pair alone: it loads
			}
			n := llm.calls.Load()
			gw.ask(semChat("What is the capital of France?"), "X-Subscription", "sub-1")
			if _, _, body := gw.ask(semChat("what is the capital of France"), "X-Subscription", "sub-1"); llm.calls.Load() != n+1 {
				t.Fatalf("no hit: %q\n%s", body, gw.lastTrace())
			}
			if gw.ask(semChat("what is the capital of France"), "X-Subscription", "sub-2"); llm.calls.Load() != n+2 {
				t.Fatalf("another subscription hit")
			}
		})
	}
}

// BenchmarkSemanticCacheLookup: one lookup's work in the gateway once the
// prompt's embedding is known: read the partition's entries from the
// store and find the closest, against 100 entries of 1536 dimensions.
//
//	go test -run x -bench SemanticCacheLookup -benchmem ./policies/
func BenchmarkSemanticCacheLookup(b *testing.B) {
	const dims = 1536
	vec := func(seed int) []float32 {
		raw := semVector(fmt.Sprintf("bench prompt %d about topic %d", seed, seed*31), dims)
		raw[seed%dims] += 0.5
		v, _ := parseEmbedding([]byte(mustJSON(map[string]any{"data": []any{map[string]any{"embedding": raw}}})))
		return v
	}
	q := vec(7)
	stores := map[string]func(b *testing.B) store.Store{
		"memory": func(*testing.B) store.Store { return store.NewMemory() },
	}
	if !testing.Short() {
		stores["redis"] = func(b *testing.B) store.Store { return semRedis(b, redistest.Start(b)) }
	}
	for _, name := range []string{"memory", "redis"} {
		mk := stores[name]
		if mk == nil {
			continue
		}
		b.Run(name, func(b *testing.B) {
			st := mk(b)
			ctx := context.Background()
			for i := range semanticMaxEntries {
				var id [16]byte
				id[0] = byte(i)
				if err := st.CacheListPush(ctx, "sc:bench", encodeSemanticEntry(id, vec(i+100)), time.Hour, semanticMaxEntries); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				entries, err := st.CacheList(ctx, "sc:bench")
				if err != nil || len(entries) != semanticMaxEntries {
					b.Fatalf("%d entries: %v", len(entries), err)
				}
				if _, _, found := semanticNearest(entries, q); !found {
					b.Fatal("nothing found")
				}
			}
		})
	}
	b.Run("scan-only", func(b *testing.B) {
		entries := make([][]byte, semanticMaxEntries)
		for i := range entries {
			entries[i] = encodeSemanticEntry([16]byte{byte(i)}, vec(i+100))
		}
		b.ReportAllocs()
		for b.Loop() {
			semanticNearest(entries, q)
		}
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
