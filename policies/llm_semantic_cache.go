package policies

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"tollgate/engine"
)

// <llm-semantic-cache-lookup score-threshold="0.05" embeddings-backend-id="embeddings-backend"
//
//	    embeddings-backend-auth="system-assigned" ignore-system-messages="true" max-message-count="10">
//	  <vary-by>@(context.Subscription.Id)</vary-by>
//	</llm-semantic-cache-lookup>
//	<llm-semantic-cache-store duration="60"/>
//
// (azure-openai-semantic-cache-lookup and -store are the same elements.)
//
// The lookup (inbound) reads the prompt of a chat completion, completion or
// Responses request, asks the embeddings backend (a backend entity: an
// Azure OpenAI or OpenAI-compatible embeddings deployment) for its vector,
// and compares it with the vectors of the prompts cached in the same
// partition (the API, the kind of request, streamed or not, and the
// vary-by values). score-threshold is a cosine distance (1 - cosine
// similarity), as APIM's Redis vector search measures it: the closest
// cached prompt within it is a hit, and its response is returned without
// calling the backend. A miss leaves a mark for the store policy
// (outbound), which caches the response as it is sent to the client.
//
// Storage is the shared store (store.Store): a partition is one bounded
// list of entries (CacheListPush: the semanticMaxEntries newest), each an
// id and a vector, and each entry's response is a cached value of its
// own. The memory store serves one gateway; Redis shares the cache between
// replicas. Plain Redis has no vector search, so the similarity is
// computed in the gateway over the partition's entries.
//
// An embeddings backend that fails, refuses the credentials or does not
// answer within Deps.EmbeddingsTimeout is a miss with a trace note (APIM:
// a failed cache lookup does not fail the call); a store that fails is a
// miss too. Errors and traces name the backend's URL without its query
// (credentials.query may hold a key) and never a header or a token.

const (
	// semanticMaxEntries is how many entries a partition keeps: the
	// newest stores.
	semanticMaxEntries = 100
	// semanticMaxBody is the largest response body cached, in bytes.
	semanticMaxBody = 1 << 20
	// semanticMaxDims bounds an embedding's dimensions.
	semanticMaxDims = 8192
	// semanticMaxPromptTokens is the largest prompt embedded (the input
	// limit of OpenAI's embedding models), by the token estimate.
	semanticMaxPromptTokens = 8191
	// semanticEpsilon absorbs float32 rounding: score-threshold="0" hits
	// the very same prompt.
	semanticEpsilon = 1e-6
	// embeddingsAnswerMax bounds what is read of the embeddings answer.
	embeddingsAnswerMax = 4 << 20
	// defaultEmbeddingsTimeout bounds each embeddings call.
	defaultEmbeddingsTimeout = 5 * time.Second
	// embeddingsResource is the audience of an Azure OpenAI token.
	embeddingsResource = "https://cognitiveservices.azure.com"
	// embeddingsAPIVersion is added to an Azure OpenAI deployment URL
	// without one.
	embeddingsAPIVersion = "2024-02-01"
)

type semanticLookup struct {
	k            *kit
	name         string // the element's name, for logs
	threshold    float64
	backend      string
	systemAuth   bool
	ignoreSystem bool
	maxMessages  int64 // -1: no limit
	model        string
	varyBy       []engine.Str
}

type semanticStore struct {
	k        *kit
	name     string
	duration engine.Int
}

// semanticMark is what a missed lookup hands to the store policy.
type semanticMark struct {
	partition string
	vec       []float32
}

type semanticMarkKey struct{}

func (k *kit) parseSemanticCacheLookup(p *engine.Parser) engine.Step {
	n := p.Node()
	l := &semanticLookup{k: k, name: n.Name, maxMessages: -1}
	if ts := p.RequiredLitStr("score-threshold"); ts != "" {
		v, err := strconv.ParseFloat(strings.TrimSpace(ts), 64)
		if err != nil || math.IsNaN(v) || v < 0 || v > 1 {
			p.ErrorAt(n.Attr("score-threshold").ValuePos, "score-threshold %q is not a number from 0.0 to 1.0 "+
				"(a vector distance: lower values require closer prompts)", ts)
		}
		l.threshold = v
	}
	l.backend = p.RequiredLitStr("embeddings-backend-id")
	p.UseBackend("embeddings-backend-id", l.backend, false)
	l.systemAuth = p.LitStr("embeddings-backend-auth", "", "system-assigned") == "system-assigned"
	l.ignoreSystem = p.LitBool("ignore-system-messages", false)
	if p.Has("max-message-count") {
		l.maxMessages = p.LitInt("max-message-count", -1, 1, 1<<20)
	}
	l.model = p.LitStr("embeddings-model", "")
	for _, c := range p.Children() {
		if c.Name != "vary-by" {
			unexpectedChild(p, c, "want vary-by")
			continue
		}
		l.varyBy = append(l.varyBy, p.Child(c).TextStr())
	}
	onceInSection(p)
	return l
}

func (k *kit) parseSemanticCacheStore(p *engine.Parser) engine.Step {
	st := &semanticStore{k: k, name: p.Node().Name, duration: p.RequiredInt("duration", 1, 365*86400)}
	onceInSection(p)
	return st
}

// onceInSection reports a second element of the same name beside the
// first (APIM: "This policy can only be used once in a policy section").
func onceInSection(p *engine.Parser) {
	if i := strings.LastIndexByte(p.Path(), '['); i >= 0 && !strings.HasSuffix(p.Path(), "[1]") {
		p.Errorf("<%s> may be used once in a policy section", p.Node().Name)
	}
}

func (l *semanticLookup) Run(ctx context.Context, s *engine.State) error {
	c := s.Context()
	if c.Api != nil && c.Api.Type == "websocket" {
		s.Tracef("a WebSocket handshake is not cached")
		return nil
	}
	var body []byte
	if b := c.Request.Body; b != nil {
		data, err := b.Bytes()
		if err != nil {
			s.Tracef("cannot read the request body (%v): not cached", err)
			return nil
		}
		body = data
	}
	pr, ok := semanticPromptOf(body, l.ignoreSystem)
	switch {
	case !ok:
		s.Tracef("not a chat completion, completion or Responses request: not cached")
		return nil
	case l.maxMessages >= 0 && int64(pr.messages) > l.maxMessages:
		s.Tracef("%d messages, more than max-message-count %d: caching skipped", pr.messages, l.maxMessages)
		return nil
	case strings.TrimSpace(pr.text) == "":
		s.Tracef("the prompt has no text: not cached")
		return nil
	case estimateTokens(pr.text) > semanticMaxPromptTokens:
		s.Tracef("the prompt is longer than an embedding takes (%d tokens): not cached", semanticMaxPromptTokens)
		return nil
	}
	part, err := l.partition(s, pr)
	if err != nil {
		return err
	}
	vec, err := l.embed(ctx, s, pr.text)
	if err != nil {
		s.Tracef("%s: treated as a miss", err.Error())
		l.k.log.Warn(l.name+": embeddings failed, treated as a miss",
			zap.String("policy", l.name), zap.String("backend", l.backend), zap.String("error", err.Error()))
		return nil
	}
	entries, err := l.k.store.CacheList(ctx, semanticListKey(part))
	if err != nil {
		l.k.storeFailed(l.name, "lookup failed, treated as a miss", err)
		entries = nil
	}
	id, dist, found := semanticNearest(entries, vec)
	if found && dist <= l.threshold+semanticEpsilon {
		data, ok, err := l.k.store.CacheGet(ctx, semanticResponseKey(part, id))
		if err != nil {
			l.k.storeFailed(l.name, "lookup failed, treated as a miss", err)
		}
		if r, derr := decodeSemanticResponse(data); ok && derr == nil {
			s.SetResponse(r)
			s.Stop()
			s.Tracef("hit: distance %.4f within score-threshold %g (%d cached prompts)", dist, l.threshold, len(entries))
			return nil
		}
		s.Tracef("the closest prompt's response is gone (expired or evicted)")
	}
	s.SetPrivate(semanticMarkKey{}, &semanticMark{partition: part, vec: vec})
	if found {
		s.Tracef("miss: closest distance %.4f, score-threshold %g (%d cached prompts)", dist, l.threshold, len(entries))
	} else {
		s.Tracef("miss: no cached prompt in this partition")
	}
	return nil
}

// partition names the entries a request is compared with: the API, the
// kind of request, streamed or not, the embeddings backend and model, and
// the vary-by values (length-prefixed, so "a"+"bc" is not "ab"+"c"),
// hashed.
func (l *semanticLookup) partition(s *engine.State, pr semanticPrompt) (string, error) {
	h := sha256.New()
	w := func(v string) {
		h.Write([]byte(strconv.Itoa(len(v))))
		h.Write([]byte{':'})
		h.Write([]byte(v))
	}
	if api := s.Context().Api; api != nil {
		w(api.Name)
	}
	w(pr.kind)
	w(strconv.FormatBool(pr.stream))
	w(l.backend)
	w(l.model)
	for _, v := range l.varyBy {
		x, err := v.Eval(s)
		if err != nil {
			return "", err
		}
		w(x)
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)), nil
}

func semanticListKey(part string) string { return "sc:" + part }

func semanticResponseKey(part string, id [16]byte) string {
	return "scr:" + part + ":" + hex.EncodeToString(id[:])
}

// embed asks the embeddings backend for the vector of text, normalized to
// unit length.
func (l *semanticLookup) embed(ctx context.Context, s *engine.State, text string) ([]float32, error) {
	if l.k.backends == nil {
		return nil, fmt.Errorf("embeddings backend %q: %s", l.backend, errNoBackends.Error())
	}
	be, err := l.k.backends.PolicyBackend(ctx, s, l.backend)
	if err != nil {
		return nil, fmt.Errorf("embeddings backend %q: %s", l.backend, err.Error())
	}
	u, shown, err := embeddingsURL(be.URL)
	if err != nil {
		return nil, fmt.Errorf("embeddings backend %q: %s", l.backend, err.Error())
	}
	payload := map[string]string{"input": text}
	if l.model != "" {
		payload["model"] = l.model
	}
	data, _ := json.Marshal(payload) // strings only: cannot fail

	cctx, cancel := context.WithTimeout(ctx, l.k.embeddingsTimeout)
	defer cancel()
	req, err := newBackendRequest(cctx, be, u, data)
	if err != nil {
		return nil, fmt.Errorf("embeddings backend %q: cannot build the request to %s", l.backend, shown)
	}
	req.Header.Set("Accept", "application/json")
	if err := l.authorize(cctx, s, be, req); err != nil {
		return nil, err
	}
	t0 := time.Now()
	status, answer, err, rerr := l.k.doBackend(ctx, s, be, req, shown, embeddingsAnswerMax)
	if err != nil {
		if errors.Is(cctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("embeddings backend %s did not answer within %v", shown, l.k.embeddingsTimeout)
		} else {
			err = fmt.Errorf("embeddings backend %s failed: %s", shown, errWithoutURL(err))
		}
		traceCallout(s, http.MethodPost, shown, 0, t0, err)
		return nil, err
	}
	var vec []float32
	switch {
	case rerr != nil:
		err = fmt.Errorf("embeddings backend %s: reading the answer: %s", shown, errWithoutURL(rerr))
	case status/100 != 2:
		err = fmt.Errorf("embeddings backend %s answered %d", shown, status)
		if status == http.StatusUnauthorized || status == http.StatusForbidden {
			err = fmt.Errorf("%w (the backend's credentials were refused)", err)
		}
	case len(answer) > embeddingsAnswerMax:
		err = fmt.Errorf("embeddings backend %s: the answer is larger than %d bytes", shown, embeddingsAnswerMax)
	default:
		if vec, err = parseEmbedding(answer); err != nil {
			err = fmt.Errorf("embeddings backend %s: %s", shown, err.Error())
		}
	}
	traceCallout(s, http.MethodPost, shown, status, t0, err)
	return vec, err
}

// authorize adds the backend's token: the managed identity of its
// credentials, or with embeddings-backend-auth="system-assigned" and no
// credential header of its own, the system-assigned identity's token for
// Azure OpenAI (Deps.Identities[""]). A backend that has neither is called
// as it is (an OpenAI-compatible server without authentication).
func (l *semanticLookup) authorize(ctx context.Context, s *engine.State, be *PolicyBackend, req *http.Request) error {
	clientID, resource := "", embeddingsResource
	switch {
	case be.Identity != nil:
		clientID = *be.Identity
		if be.IdentityResource != "" {
			resource = be.IdentityResource
		}
	case l.systemAuth && req.Header.Get("Authorization") == "" && req.Header.Get("Api-Key") == "":
		if l.k.tokens[""] == nil {
			s.Tracef("no system-assigned identity is configured (--identities): the embeddings backend is called without a token")
			return nil
		}
	default:
		return nil
	}
	switch err := l.k.bearer(ctx, req, clientID, resource); {
	case errors.Is(err, errNoIdentity):
		return fmt.Errorf("embeddings backend %q: its managed identity (client-id %q) is not configured (--identities)", l.backend, clientID)
	case err != nil:
		return fmt.Errorf("embeddings backend %q: cannot get a token for %s: %s", l.backend, resource, err.Error())
	}
	return nil
}

// embeddingsURL is where the embeddings are asked for: the backend's URL,
// with /embeddings added when it does not end so (an OpenAI-compatible
// base URL such as http://host/v1), and Azure OpenAI's api-version when a
// deployment URL has none. shown is the URL without its query or user
// info, for errors and traces.
func embeddingsURL(raw string) (u, shown string, err error) {
	pu, err := url.Parse(raw)
	if err != nil || pu.Host == "" || (pu.Scheme != "http" && pu.Scheme != "https") {
		return "", "", errors.New("the backend's URL is not an absolute http(s) URL")
	}
	if !strings.HasSuffix(strings.TrimRight(pu.Path, "/"), "/embeddings") {
		pu.Path = strings.TrimRight(pu.Path, "/") + "/embeddings"
	} else {
		pu.Path = strings.TrimRight(pu.Path, "/")
	}
	pu.RawPath = ""
	pu.Fragment = ""
	if strings.Contains(pu.Path, "/openai/deployments/") {
		q := pu.Query()
		if q.Get("api-version") == "" {
			q.Set("api-version", embeddingsAPIVersion)
			pu.RawQuery = q.Encode()
		}
	}
	return pu.String(), (&url.URL{Scheme: pu.Scheme, Host: pu.Host, Path: pu.Path}).String(), nil
}

// parseEmbedding reads an OpenAI-style embeddings answer
// ({"data": [{"embedding": [numbers]}]}) and returns the first vector
// normalized to unit length.
func parseEmbedding(data []byte) ([]float32, error) {
	var a struct {
		Data []struct {
			Embedding []float64 `json:"embedding"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, errors.New("the answer is not an embeddings answer (JSON with data[].embedding)")
	}
	if len(a.Data) == 0 || len(a.Data[0].Embedding) == 0 {
		return nil, errors.New("the answer has no embedding")
	}
	e := a.Data[0].Embedding
	if len(e) > semanticMaxDims {
		return nil, fmt.Errorf("the embedding has %d dimensions, more than %d", len(e), semanticMaxDims)
	}
	var norm float64
	for _, x := range e {
		norm += x * x
	}
	norm = math.Sqrt(norm)
	if norm == 0 || math.IsNaN(norm) || math.IsInf(norm, 0) {
		return nil, errors.New("the embedding is zero or not finite")
	}
	v := make([]float32, len(e))
	for i, x := range e {
		v[i] = float32(x / norm)
	}
	return v, nil
}

// semanticPrompt is what the lookup reads from a request.
type semanticPrompt struct {
	kind     string // chat, completion, responses
	text     string // what is embedded
	messages int    // the dialog messages it holds (after dropping system ones)
	stream   bool
}

// semanticPromptOf reads the prompt of an OpenAI-style request: a chat
// completion's messages (or Anthropic's, with its top-level system), a
// completion's prompt, a Responses request's input (and instructions).
// Each message is one "role: text" line; with ignoreSystem the system and
// developer messages are left out. ok is false for a body that is none of
// these.
func semanticPromptOf(body []byte, ignoreSystem bool) (semanticPrompt, bool) {
	var req struct {
		Messages     []json.RawMessage `json:"messages"`
		System       any               `json:"system"`
		Prompt       any               `json:"prompt"`
		Input        any               `json:"input"`
		Instructions any               `json:"instructions"`
		Stream       bool              `json:"stream"`
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' || json.Unmarshal(body, &req) != nil {
		return semanticPrompt{}, false
	}
	pr := semanticPrompt{stream: req.Stream}
	var b strings.Builder
	line := func(role string, content any) {
		if ignoreSystem && (role == "system" || role == "developer") {
			return
		}
		pr.messages++
		if role != "" {
			b.WriteString(role)
			b.WriteString(": ")
		}
		semanticText(content, &b)
		b.WriteByte('\n')
	}
	switch {
	case req.Messages != nil:
		pr.kind = "chat"
		if req.System != nil {
			line("system", req.System)
		}
		for _, raw := range req.Messages {
			var m struct {
				Role    string `json:"role"`
				Content any    `json:"content"`
			}
			if json.Unmarshal(raw, &m) != nil {
				continue
			}
			line(strings.ToLower(m.Role), m.Content)
		}
	case req.Prompt != nil:
		pr.kind = "completion"
		line("", req.Prompt)
	case req.Input != nil:
		pr.kind = "responses"
		if req.Instructions != nil {
			line("system", req.Instructions)
		}
		if items, ok := req.Input.([]any); ok {
			for _, it := range items {
				if m, ok := it.(map[string]any); ok {
					role, _ := m["role"].(string)
					if c, ok := m["content"]; ok {
						line(strings.ToLower(role), c)
						continue
					}
				}
				line("user", it)
			}
		} else {
			line("user", req.Input)
		}
	default:
		return semanticPrompt{}, false
	}
	pr.text = b.String()
	return pr, true
}

// semanticText writes the text in v: a string, a list of them, text parts
// ({"type": "text", "text": …}, {"type": "input_text", "text": …}), space
// separated. Other parts (images, audio) are left out.
func semanticText(v any, b *strings.Builder) {
	switch t := v.(type) {
	case string:
		if b.Len() > 0 && !strings.HasSuffix(b.String(), " ") && !strings.HasSuffix(b.String(), ": ") && !strings.HasSuffix(b.String(), "\n") {
			b.WriteByte(' ')
		}
		b.WriteString(t)
	case []any:
		for _, e := range t {
			semanticText(e, b)
		}
	case map[string]any:
		if txt, ok := t["text"].(string); ok {
			semanticText(txt, b)
		}
	}
}

// A partition's entry, as CacheListPush keeps it:
//
//	[0]      version (1)
//	[1:17]   id: the key of its response (semanticResponseKey)
//	[17:19]  dimensions, uint16 little-endian
//	[19:]    the unit vector, float32 little-endian
const semanticEntryHeader = 19

func encodeSemanticEntry(id [16]byte, vec []float32) []byte {
	b := make([]byte, semanticEntryHeader+4*len(vec))
	b[0] = 1
	copy(b[1:17], id[:])
	binary.LittleEndian.PutUint16(b[17:19], uint16(len(vec)))
	for i, x := range vec {
		binary.LittleEndian.PutUint32(b[semanticEntryHeader+4*i:], math.Float32bits(x))
	}
	return b
}

// decodeSemanticEntry checks an entry and returns its id and dimensions;
// the vector stays in b (semanticDistance reads it there).
func decodeSemanticEntry(b []byte) (id [16]byte, dims int, ok bool) {
	if len(b) < semanticEntryHeader || b[0] != 1 {
		return id, 0, false
	}
	dims = int(binary.LittleEndian.Uint16(b[17:19]))
	if dims == 0 || dims > semanticMaxDims || len(b) != semanticEntryHeader+4*dims {
		return id, 0, false
	}
	copy(id[:], b[1:17])
	return id, dims, true
}

// semanticDistance is the cosine distance between the unit vector q and
// an entry's (whose vector has len(q) dimensions): 1 - their dot product,
// at least 0.
func semanticDistance(q []float32, entry []byte) float64 {
	v := entry[semanticEntryHeader : semanticEntryHeader+4*len(q)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(q); i += 4 {
		w := v[4*i : 4*i+16]
		s0 += q[i] * math.Float32frombits(binary.LittleEndian.Uint32(w[0:]))
		s1 += q[i+1] * math.Float32frombits(binary.LittleEndian.Uint32(w[4:]))
		s2 += q[i+2] * math.Float32frombits(binary.LittleEndian.Uint32(w[8:]))
		s3 += q[i+3] * math.Float32frombits(binary.LittleEndian.Uint32(w[12:]))
	}
	for ; i < len(q); i++ {
		s0 += q[i] * math.Float32frombits(binary.LittleEndian.Uint32(v[4*i:]))
	}
	d := 1 - float64(s0+s1+s2+s3)
	return max(d, 0)
}

// semanticNearest finds the entry closest to q among those of q's
// dimensions (entries of another embedding model are skipped).
func semanticNearest(entries [][]byte, q []float32) (id [16]byte, dist float64, found bool) {
	dist = math.Inf(1)
	for _, e := range entries {
		eid, dims, ok := decodeSemanticEntry(e)
		if !ok || dims != len(q) {
			continue
		}
		if d := semanticDistance(q, e); d < dist {
			id, dist, found = eid, d, true
		}
	}
	return id, dist, found
}

// semanticResponse is a cached response: status, headers, body.
type semanticResponse struct {
	Status  int                 `json:"s"`
	Headers map[string][]string `json:"h"`
	Body    []byte              `json:"b"`
}

func decodeSemanticResponse(data []byte) (*engine.Response, error) {
	var e semanticResponse
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, err
	}
	if e.Status < 100 || e.Status > 999 {
		return nil, errors.New("bad status")
	}
	r := engine.NewResponse(e.Status)
	for k, v := range e.Headers {
		r.Headers[k] = v
	}
	r.Body = engine.NewBody(e.Body)
	return r, nil
}

// Run of the store: the response goes to the cache as it is sent to the
// client (nothing is buffered or delayed), once it has been sent whole:
// a JSON answer that parses, a streamed one that ended with data: [DONE].
// Only 200 answers without Set-Cookie, of at most semanticMaxBody bytes,
// are cached.
func (st *semanticStore) Run(ctx context.Context, s *engine.State) error {
	m, _ := s.Private(semanticMarkKey{}).(*semanticMark)
	if m == nil {
		s.Tracef("no semantic cache lookup missed for this request: nothing to store")
		return nil
	}
	s.SetPrivate(semanticMarkKey{}, nil)
	d, err := st.duration.Seconds(s)
	if err != nil {
		return err
	}
	r := s.Response()
	if r == nil || r.StatusCode != http.StatusOK {
		s.Tracef("the response is not 200 OK: not cached")
		return nil
	}
	if r.Headers.ContainsKey("Set-Cookie") {
		s.Tracef("the response sets a cookie: not cached")
		return nil
	}
	if n, err := strconv.ParseInt(r.Headers.GetValueOrDefault("Content-Length", ""), 10, 64); err == nil && n > semanticMaxBody {
		s.Tracef("the response is larger than %d bytes: not cached", semanticMaxBody)
		return nil
	}
	e := semanticResponse{Status: r.StatusCode, Headers: map[string][]string{}}
	for k, v := range r.Headers {
		if !notStoredHeaders[k] {
			e.Headers[k] = append([]string(nil), v...)
		}
	}
	sse := mediaType(r.Headers.GetValueOrDefault("Content-Type", "")) == "text/event-stream"
	var buf []byte
	over, seen := false, false
	s.ObserveResponseBody(func(p []byte) {
		seen = true
		if over {
			return
		}
		if len(buf)+len(p) > semanticMaxBody {
			over, buf = true, nil
			return
		}
		buf = append(buf, p...)
	})
	s.AtEnd(func(ctx context.Context, s *engine.State) {
		switch {
		case over:
			s.Tracef("the response is larger than %d bytes: not cached", semanticMaxBody)
			return
		case !seen && len(buf) == 0 && r.Body != nil && r.Body.Loaded():
			buf, _ = r.Body.Bytes() // sent from memory without an observer (tests, some gateways)
		}
		if sse && !sseEnded(buf) || !sse && !json.Valid(buf) {
			s.Tracef("the response was not sent whole (or is not JSON): not cached")
			return
		}
		e.Body = buf
		st.save(context.WithoutCancel(ctx), m, e, d)
		s.Tracef("stored for %v", d)
	})
	return nil
}

// sseEnded reports whether a stream's last event is data: [DONE].
func sseEnded(b []byte) bool {
	b = bytes.TrimRight(b, "\r\n ")
	i := bytes.LastIndexByte(b, '\n')
	last := bytes.TrimSpace(b[i+1:])
	return bytes.HasPrefix(last, dataPrefix) && string(bytes.TrimSpace(last[len(dataPrefix):])) == "[DONE]"
}

// save writes the response, then its entry (so a lookup never finds an
// entry whose response was not written).
func (st *semanticStore) save(ctx context.Context, m *semanticMark, e semanticResponse, ttl time.Duration) {
	var id [16]byte
	_, _ = rand.Read(id[:])
	data, err := json.Marshal(e)
	if err != nil {
		return
	}
	if err := st.k.store.CacheSet(ctx, semanticResponseKey(m.partition, id), data, ttl); err != nil {
		st.k.storeFailed(st.name, "store failed, response not cached", err)
		return
	}
	if err := st.k.store.CacheListPush(ctx, semanticListKey(m.partition), encodeSemanticEntry(id, m.vec), ttl, semanticMaxEntries); err != nil {
		st.k.storeFailed(st.name, "store failed, response not cached", err)
	}
}

// NeverBlocks: the store only registers what it does once the response
// has been sent (store calls, which an in-memory store answers at once).
// The lookup calls the embeddings backend: it may always block.
func (st *semanticStore) NeverBlocks() bool { return st.k.localStore() }
