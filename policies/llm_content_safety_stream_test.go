package policies

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"tollgate/engine"
)

// Streamed answers checked as they stream, over real sockets: a client, the
// miniature gateway of llm_content_safety_completions_test.go (which sends
// a filtered body and flushes a stream after each read, as gateway/http.go
// does), a fake model that streams the events a test hands it (channels,
// no sleeps), and a fake Content Safety that records its calls.

// sseModel is a fake model whose answer the test writes piece by piece:
// each piece sent on send is written and flushed; closing send ends the
// answer; a piece "ABORT" breaks the connection off.
type sseModel struct {
	srv  *httptest.Server
	send chan string
	quit chan struct{}
	gone chan struct{} // closed when the handler has returned
	once sync.Once
}

func newSSEModel(t *testing.T, header http.Header) *sseModel {
	m := &sseModel{send: make(chan string), quit: make(chan struct{}), gone: make(chan struct{})}
	var served sync.Once
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer served.Do(func() { close(m.gone) })
		io.Copy(io.Discard, r.Body)
		for k, v := range header {
			w.Header()[k] = v
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "text/event-stream")
		}
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		for {
			select {
			case p, ok := <-m.send:
				if !ok {
					return
				}
				if p == "ABORT" {
					panic(http.ErrAbortHandler)
				}
				if _, err := io.WriteString(w, p); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			case <-r.Context().Done():
				return
			case <-m.quit:
				return
			}
		}
	}))
	t.Cleanup(m.srv.Close)
	t.Cleanup(func() { close(m.quit) }) // runs first: a handler still waiting returns
	return m
}

// put hands the model a piece to write; false when the model's handler
// has gone (the gateway stopped reading).
func (m *sseModel) put(p string) bool {
	select {
	case m.send <- p:
		return true
	case <-m.gone:
		return false
	case <-time.After(10 * time.Second):
		return false
	}
}

func (m *sseModel) end() { m.once.Do(func() { close(m.send) }) }

// sseReader reads a response's events as they come, on a goroutine.
type sseReader struct {
	events chan string
	err    error // once events is closed: nil at a clean end
	res    *http.Response
}

func readSSE(res *http.Response) *sseReader {
	r := &sseReader{events: make(chan string, 64), res: res}
	go func() {
		defer close(r.events)
		br := bufio.NewReader(res.Body)
		var ev strings.Builder
		for {
			line, err := br.ReadString('\n')
			ev.WriteString(line)
			if err != nil {
				if ev.Len() > 0 {
					r.events <- ev.String()
				}
				if err != io.EOF {
					r.err = err
				}
				return
			}
			if line == "\n" || line == "\r\n" {
				r.events <- ev.String()
				ev.Reset()
			}
		}
	}()
	return r
}

// next is the next event, or "" at the end of the stream.
func (r *sseReader) next(t *testing.T) string {
	t.Helper()
	select {
	case ev := <-r.events:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event and no end within 10s")
		return ""
	}
}

// rest is every event left, and how the stream ended.
func (r *sseReader) rest(t *testing.T) (string, error) {
	t.Helper()
	var b strings.Builder
	for ev := r.next(t); ev != ""; ev = r.next(t) {
		b.WriteString(ev)
	}
	return b.String(), r.err
}

// csStreamSetup is a gateway with policy in front of model, and the fake
// Content Safety it calls.
type csStreamSetup struct {
	g    *csGateway
	cs   *azureFake
	logs *observer.ObservedLogs
}

func newCSStreamSetup(t *testing.T, policy, model string) *csStreamSetup {
	return newCSStreamSetupTimeout(t, policy, model, 5*time.Second)
}

func newCSStreamSetupTimeout(t *testing.T, policy, model string, timeout time.Duration) *csStreamSetup {
	cs := newAzureFake(t, csByText)
	log, logs := observedLog()
	d := testDeps()
	d.HTTPClient, d.Log = cs.client(), log
	d.AzureCallTimeout = timeout
	d.Backends = &fakeBackends{m: map[string]PolicyBackend{"content-safety-backend": {URL: "https://contoso-safety.cognitiveservices.azure.com/"}}}
	plan := compileCS(t, d, policy)
	return &csStreamSetup{g: newCSGateway(t, plan, model, 64<<10), cs: cs, logs: logs}
}

// post sends a chat request asking for a stream, and returns a function
// that waits for the answer's head: the head goes out with the first
// event released (as the gateway's does), so the model must be fed first.
func (c *csStreamSetup) post(t *testing.T, acceptGzip bool) func() *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", c.g.srv.URL+"/chat/completions", strings.NewReader(`{"messages":[{"role":"user","content":"tulips"}],"stream":true}`))
	req.Header.Set("Content-Type", "application/json")
	if acceptGzip {
		req.Header.Set("Accept-Encoding", "gzip") // set by hand: the client does not decode
	}
	ch := make(chan *http.Response, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
		}
		ch <- res
	}()
	return func() *http.Response {
		t.Helper()
		select {
		case res := <-ch:
			if res == nil {
				t.FailNow()
			}
			t.Cleanup(func() { res.Body.Close() })
			return res
		case <-time.After(10 * time.Second):
			t.Fatal("no answer within 10s")
			return nil
		}
	}
}

// answers is the texts of the calls about the answer (the first call is
// the prompt's).
func (c *csStreamSetup) answers(t *testing.T) []string {
	t.Helper()
	var out []string
	for i, s := range c.cs.seen() {
		var req analyzeRequest
		if err := json.Unmarshal([]byte(s.body), &req); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if req.Text != "tulips" {
				t.Errorf("first call %q, want the prompt's", s.body)
			}
			continue
		}
		out = append(out, req.Text)
	}
	return out
}

func (c *csStreamSetup) lastError() *engine.LastError {
	c.g.mu.Lock()
	defer c.g.mu.Unlock()
	return c.g.lastError
}

func deltaEvent(text string) string {
	b, _ := json.Marshal(text)
	return `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":` + string(b) + `}}]}` + "\n\n"
}

func choiceEvent(index int, text string) string {
	b, _ := json.Marshal(text)
	return fmt.Sprintf(`data: {"choices":[{"index":%d,"delta":{"content":%s}}]}`+"\n\n", index, b)
}

const (
	roleEvent   = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}` + "\n\n"
	finishEvent = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n"
	doneEvent   = "data: [DONE]\n\n"
)

func csPolicy(attrs string) string {
	return `<llm-content-safety backend-id="content-safety-backend" enforce-on-completions="true"` + attrs +
		`><categories output-type="EightSeverityLevels"><category name="Hate" threshold="4" /></categories></llm-content-safety>`
}

// The client gets each event once its text has been checked, while the
// model is still answering: not the whole stream at its end.
func TestContentSafetyStreamReleasesAsItGoes(t *testing.T) {
	m := newSSEModel(t, nil)
	c := newCSStreamSetup(t, csPolicy(` window-size="10" window-overlap-size="3"`), m.srv.URL)
	answer := c.post(t, false)
	m.put(roleEvent) // no text: it goes at once
	res := answer()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" || res.Header.Get("Content-Length") != "" {
		t.Fatalf("answer %d %v", res.StatusCode, res.Header)
	}
	r := readSSE(res)
	if ev := r.next(t); ev != roleEvent {
		t.Fatalf("first event %q, want the role event", ev)
	}
	m.put(deltaEvent("Tulips ")) // 7 characters: the window (10) waits
	m.put(deltaEvent("are "))    // 11: "Tulips are" is checked, the first delta goes
	if ev := r.next(t); ev != deltaEvent("Tulips ") {
		t.Fatalf("second event %q", ev)
	}
	if got := c.answers(t); !slices.Equal(got, []string{"Tulips are"}) {
		t.Errorf("windows so far %q", got)
	}
	m.put(deltaEvent("red."))
	m.put(finishEvent)
	m.put(doneEvent)
	m.end() // the last window is checked at the end of the stream
	rest, err := r.rest(t)
	if want := deltaEvent("are ") + deltaEvent("red.") + finishEvent + doneEvent; rest != want || err != nil {
		t.Errorf("the rest: %q (%v), want %q", rest, err, want)
	}
	if got := c.answers(t); !slices.Equal(got, []string{"Tulips are", "are red."}) {
		t.Errorf("windows %q", got)
	}
	if le := c.lastError(); le != nil {
		t.Errorf("last error %+v", le)
	}
}

// A flagged window stops the stream: the events whose text it holds and
// every later one are not sent, nor is [DONE]; the model is not read on.
func TestContentSafetyStreamStopsOnViolation(t *testing.T) {
	m := newSSEModel(t, nil)
	c := newCSStreamSetup(t, csPolicy(` window-size="10" window-overlap-size="5"`), m.srv.URL)
	answer := c.post(t, false)
	m.put(roleEvent)
	r := readSSE(answer())
	m.put(deltaEvent("a calm "))
	if ev := r.next(t); ev != roleEvent {
		t.Fatalf("first event %q", ev)
	}
	// "a calm hat" passes and releases "a calm "; "m hateful " (overlapping
	// by 5) is flagged before the model finishes.
	m.put(deltaEvent("hateful "))
	rest, err := r.rest(t)
	if rest != deltaEvent("a calm ") || err != nil {
		t.Errorf("after the role event: %q (%v), want only the first delta and a clean end", rest, err)
	}
	if got := c.answers(t); !slices.Equal(got, []string{"a calm hat", "m hateful "}) {
		t.Errorf("windows %q", got)
	}
	le := c.lastError()
	if le == nil || le.Reason != ReasonContentSafetyBlocked || le.Source != "llm-content-safety" || !strings.Contains(le.Message, "Hate severity 5") {
		t.Errorf("last error %+v", le)
	}
	if len(c.logs.FilterMessage("llm-content-safety: the streamed answer was stopped").All()) != 1 {
		t.Errorf("no log line: %v", c.logs.All())
	}
	// The gateway stopped reading and closed the model's answer.
	select {
	case <-m.gone:
	case <-time.After(10 * time.Second):
		t.Error("the model's answer is still open after the violation")
	}
}

// The windows and overlaps Content Safety gets, exactly; the client gets
// the stream byte for byte.
func TestContentSafetyStreamWindows(t *testing.T) {
	tests := []struct {
		name   string
		attrs  string
		events []string
		want   []string
	}{
		{"no window-size: windows of 10,000 (APIM's default), so one here", "",
			[]string{deltaEvent("Tulips "), deltaEvent("are "), deltaEvent("red.")}, []string{"Tulips are red."}},
		{"window-size 5, no overlap", ` window-size="5"`,
			[]string{deltaEvent("Tulips "), deltaEvent("are "), deltaEvent("red.")}, []string{"Tulip", "s are", " red."}},
		{"window-size 4, overlap 1, by expressions", ` window-size="@(2 * 2)" window-overlap-size="@(1)"`,
			[]string{deltaEvent("abcdefghij")}, []string{"abcd", "defg", "ghij"}},
		{"a pair is never split (😀 is two characters)", ` window-size="6" window-overlap-size="2"`,
			[]string{deltaEvent("ab😀"), deltaEvent("cdef"), deltaEvent("g")}, []string{"ab😀cd", "cdefg"}},
		{"two choices: each its own windows", ` window-size="4"`,
			[]string{choiceEvent(0, "abc"), choiceEvent(1, "uvw"), choiceEvent(0, "def"), choiceEvent(1, "xyz")},
			[]string{"abcd", "uvwx", "ef", "yz"}},
		{"a Responses stream", ` window-size="8" window-overlap-size="2"`,
			[]string{"event: response.created\ndata: {\"type\":\"response.created\"}\n\n",
				"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"output_index\":0,\"delta\":\"Tulips are \"}\n\n",
				"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"output_index\":0,\"delta\":\"red.\"}\n\n",
				"event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"output\":[]}}\n\n"},
			[]string{"Tulips a", " are red", "ed."}},
		{"a word cut between windows without overlap is not seen whole", ` window-size="8"`,
			[]string{deltaEvent("a calm hateful end")}, []string{"a calm h", "ateful e", "nd"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newSSEModel(t, nil)
			c := newCSStreamSetup(t, csPolicy(tc.attrs), m.srv.URL)
			answer := c.post(t, false)
			all := roleEvent + strings.Join(tc.events, "") + doneEvent
			for _, ev := range append(append([]string{roleEvent}, tc.events...), doneEvent) {
				m.put(ev)
			}
			m.end()
			r := readSSE(answer())
			got, err := r.rest(t)
			if got != all || err != nil {
				t.Errorf("the client got %q (%v), want %q", got, err, all)
			}
			if w := c.answers(t); !slices.Equal(w, tc.want) {
				t.Errorf("windows %q, want %q", w, tc.want)
			}
		})
	}
}

// Hostile and broken streams stay bounded and end with a reason.
func TestContentSafetyStreamHostile(t *testing.T) {
	pad := strings.Repeat("p", 300_000)
	padded := func(text string) string {
		return `data: {"choices":[{"index":0,"delta":{"content":"` + text + `"}}],"pad":"` + pad + `"}` + "\n\n"
	}
	var held []string
	for range 8 {
		held = append(held, padded("ab"))
	}
	gz := func(events ...string) []string { // one gzip stream, flushed after each event
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		var out []string
		for _, e := range events {
			io.WriteString(zw, e)
			zw.Flush()
			out = append(out, b.String())
			b.Reset()
		}
		zw.Close()
		out[len(out)-1] += b.String()
		return out
	}
	tests := []struct {
		name     string
		header   http.Header
		gzip     bool
		pieces   []string
		body     string // what the client gets
		clientOK bool   // the stream ends cleanly
		windows  []string
		reason   string
		msg      string
	}{
		{
			name:   "an endless event without a newline: stopped at 1 MiB",
			pieces: append([]string{roleEvent, "data: "}, slices.Repeat([]string{strings.Repeat("x", 64<<10)}, 24)...),
			body:   roleEvent, clientOK: true, reason: ReasonContentSafetyTooLong, msg: "larger than 1048576 bytes",
		},
		{
			name:   "one huge event: stopped at 1 MiB",
			pieces: []string{roleEvent, deltaEvent(strings.Repeat("tulips ", 200_000))},
			body:   roleEvent, clientOK: true, reason: ReasonContentSafetyTooLong, msg: "larger than 1048576 bytes",
		},
		{
			name:   "events that hold little text and much else: checked early, at 1 MiB held, and sent whole",
			pieces: held, body: strings.Join(held, ""), clientOK: true, windows: []string{"abababab", "abababab"},
		},
		{
			name: "malformed SSE passes as it is; the events that carry text are checked",
			pieces: []string{": keep-alive\n\n", "data: not json\n\n", "event: x\n\n", "data: {\"choices\":\n\n", "a line without a colon\n\n",
				"data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\r\r", "data: {\"choices\":[{\"delta\":{\"content\":7}}]}\n\n", doneEvent, "trailing bytes"},
			body: ": keep-alive\n\ndata: not json\n\nevent: x\n\ndata: {\"choices\":\n\na line without a colon\n\n" +
				"data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\r\rdata: {\"choices\":[{\"delta\":{\"content\":7}}]}\n\n" + doneEvent + "trailing bytes",
			clientOK: true, windows: []string{"hi"},
		},
		{
			name:   "a gzip stream is decoded to be checked, and sent gzip-encoded again",
			header: http.Header{"Content-Encoding": {"gzip"}}, gzip: true,
			pieces: gz(roleEvent, deltaEvent("Tulips "), deltaEvent("are red."), doneEvent),
			body:   roleEvent + deltaEvent("Tulips ") + deltaEvent("are red.") + doneEvent, clientOK: true, windows: []string{"Tulips are red."},
		},
		{
			name:   "a flagged gzip stream stops",
			header: http.Header{"Content-Encoding": {"gzip"}}, gzip: true,
			pieces: gz(roleEvent, deltaEvent("a hateful answer"), doneEvent),
			body:   roleEvent, clientOK: true, windows: []string{"a hateful answer"}, reason: ReasonContentSafetyBlocked,
		},
		{
			name:   "a broken gzip stream: nothing is sent (an empty gzip stream)",
			header: http.Header{"Content-Encoding": {"gzip"}}, gzip: true,
			pieces: []string{roleEvent}, clientOK: true, reason: ReasonContentSafetyFailure, msg: "gzip encoding is broken",
		},
		{
			name:   "a gzip stream broken after its first event: the client sees the answer break off",
			header: http.Header{"Content-Encoding": {"gzip"}}, gzip: true,
			pieces: append(gz(roleEvent, deltaEvent("Tulips "))[:1], "not gzip at all, not at all"),
			body:   roleEvent, clientOK: false, reason: ReasonContentSafetyFailure, msg: "gzip encoding is broken or cut off",
		},
		{
			name:   "the model breaks off: the client sees the stream break off, the unchecked events are not sent",
			pieces: []string{roleEvent, deltaEvent("a "), "ABORT"}, body: roleEvent, clientOK: false,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newSSEModel(t, tc.header)
			c := newCSStreamSetup(t, csPolicy(""), m.srv.URL)
			answer := c.post(t, false) // the client asks for gzip and decodes it
			go func() {
				for _, p := range tc.pieces {
					if !m.put(p) {
						return
					}
				}
				m.end()
			}()
			res := answer()
			if res.StatusCode != 200 || res.Uncompressed != tc.gzip || res.Header.Get("Content-Length") != "" {
				t.Errorf("answer %d %v (decoded by the client: %v)", res.StatusCode, res.Header, res.Uncompressed)
			}
			r := readSSE(res)
			got, err := r.rest(t)
			if got != tc.body || (err == nil) != tc.clientOK {
				t.Errorf("the client got %.200q (%v), want %.200q (clean end %v)", got, err, tc.body, tc.clientOK)
			}
			if w := c.answers(t); !slices.Equal(w, tc.windows) {
				t.Errorf("windows %.200q, want %q", w, tc.windows)
			}
			le := c.lastError()
			switch {
			case tc.reason == "" && le != nil:
				t.Errorf("last error %+v", le)
			case tc.reason != "" && (le == nil || le.Reason != tc.reason || !strings.Contains(le.Message, tc.msg)):
				t.Errorf("last error %+v, want %s with %q", le, tc.reason, tc.msg)
			}
		})
	}
}

// A stream in an encoding tollgate cannot decode is replaced before
// anything is sent: it is not let through unchecked.
func TestContentSafetyStreamUndecodable(t *testing.T) {
	m := newSSEModel(t, http.Header{"Content-Encoding": {"br"}})
	c := newCSStreamSetup(t, csPolicy(""), m.srv.URL)
	go func() { m.put("\x1b\x00binary"); m.end() }()
	res := c.post(t, false)()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 500 || string(body) != `{"statusCode":500,"message":"Internal server error"}` {
		t.Errorf("answer %d %q", res.StatusCode, body)
	}
	if le := c.lastError(); le == nil || le.Reason != ReasonContentSafetyFailure || !strings.Contains(le.Message, `encoded with "br"`) {
		t.Errorf("last error %+v", le)
	}
}

// A JSON answer with window-size is checked in windows, up to 4 calls at
// a time; the first flagged window refuses it.
func TestContentSafetyJSONWindows(t *testing.T) {
	long := "Tulips are red. Tulips are tall. Some are hateful. Tulips are done." // 66
	tests := []struct {
		name    string
		policy  string
		answer  string
		status  int
		windows []string // in any order
		reason  string
	}{
		{"clean, in windows", csPolicy(` window-size="30" window-overlap-size="5"`), "Tulips are red. Tulips are tall. Tulips are done.", 200,
			[]string{"Tulips are red. Tulips are tal", "e tall. Tulips are done."}, ""},
		{"flagged in one window", csPolicy(` window-size="20" window-overlap-size="8"`), long, 403,
			nil, ReasonContentSafetyBlocked},
		{"more than 100 windows: 403 without a call", csPolicy(` window-size="2"`), strings.Repeat("a", 201), 403,
			nil, ReasonContentSafetyTooLong},
		{"over 10,000 characters without window-size: 403 (APIM)", csPolicy(""), strings.Repeat("a", 10001), 403,
			nil, ReasonContentSafetyTooLong},
		{"over 10,000 characters with window-size: checked in windows", csPolicy(` window-size="10000"`), strings.Repeat("a", 10001), 200,
			[]string{strings.Repeat("a", 10000), "a"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			llm := newCSLLM(t, jsonAnswer(chatAnswer(tc.answer)))
			c := newCSStreamSetup(t, tc.policy, llm.srv.URL)
			res := c.post(t, false)()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status {
				t.Errorf("answer %d %q", res.StatusCode, body)
			}
			got := c.answers(t)
			switch {
			case tc.windows != nil:
				slices.Sort(got)
				want := slices.Clone(tc.windows)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("windows %q, want %q", got, want)
				}
			case tc.reason == ReasonContentSafetyBlocked:
				if !slices.ContainsFunc(got, func(w string) bool { return strings.Contains(w, "hateful") }) {
					t.Errorf("windows %q: none holds the flagged word", got)
				}
			default:
				if len(got) != 0 {
					t.Errorf("windows %q, want no call", got)
				}
			}
			if le := c.lastError(); (le == nil) != (tc.reason == "") || le != nil && le.Reason != tc.reason {
				t.Errorf("last error %+v, want %q", le, tc.reason)
			}
		})
	}
	// The windows of the flagged case are the arithmetic's.
	if w := textWindows(long, 20, 8); len(w) != 5 || w[0] != long[:20] || w[1] != long[12:32] {
		t.Errorf("windows %q", w)
	}
}

// window-size and window-overlap-size given by expressions are checked
// when the request runs; window-size does not apply to the prompt (APIM:
// "Configurable only for responses").
func TestContentSafetyWindowAttributesAtRunTime(t *testing.T) {
	llm := newCSLLM(t, jsonAnswer(chatAnswer("fine")))
	c := newCSStreamSetup(t, csPolicy(` window-size="@(3)" window-overlap-size="@(3)"`), llm.srv.URL)
	res := c.post(t, false)()
	io.Copy(io.Discard, res.Body)
	if le := c.lastError(); res.StatusCode != 500 || le == nil || le.Reason != engine.ReasonExpression || !strings.Contains(le.Message, "window-overlap-size (3) is not smaller than window-size (3)") {
		t.Errorf("answer %d, last error %+v", res.StatusCode, le)
	}

	c = newCSStreamSetup(t, `<llm-content-safety backend-id="content-safety-backend" window-size="3"><categories><category name="Hate" threshold="4" /></categories></llm-content-safety>`, llm.srv.URL)
	res = c.post(t, false)()
	io.Copy(io.Discard, res.Body)
	if seen := c.cs.seen(); res.StatusCode != 200 || len(seen) != 1 || !strings.Contains(seen[0].body, `"text":"tulips"`) {
		t.Errorf("answer %d, calls %v", res.StatusCode, seen)
	}
}

// Content Safety failing mid-stream fails closed: the events already
// checked went, the rest do not; a call past its deadline is a Timeout.
func TestContentSafetyStreamFailsClosed(t *testing.T) {
	tests := []struct {
		name, text, reason, msg string
	}{
		{"an error answer", "UNLUCKY words", ReasonContentSafetyFailure, "text:analyze answered 500 (InternalServerError)"},
		{"no answer", "SLOW words", engine.ReasonTimeout, "did not answer in time"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newSSEModel(t, nil)
			// The fake never answers SLOW: any deadline is past.
			c := newCSStreamSetupTimeout(t, csPolicy(` window-size="10"`), m.srv.URL, 200*time.Millisecond)
			answer := c.post(t, false)
			m.put(roleEvent)
			r := readSSE(answer())
			m.put(deltaEvent("Tulips ar")) // 9
			m.put(deltaEvent("e "))        // "Tulips are" passes
			if ev := r.next(t); ev != roleEvent {
				t.Fatalf("first event %q", ev)
			}
			if ev := r.next(t); ev != deltaEvent("Tulips ar") {
				t.Fatalf("second event %q", ev)
			}
			m.put(deltaEvent(tc.text)) // " " + it fills the next window
			rest, err := r.rest(t)
			if rest != "" || err != nil {
				t.Errorf("after the failure: %q (%v), want a clean end", rest, err)
			}
			if le := c.lastError(); le == nil || le.Reason != tc.reason || !strings.Contains(le.Message, tc.msg) || strings.Contains(le.Message, "SECRET") {
				t.Errorf("last error %+v, want %s with %q", le, tc.reason, tc.msg)
			}
			if len(c.logs.FilterMessage("llm-content-safety: the streamed answer was stopped").FilterField(zap.String("reason", tc.reason)).All()) != 1 {
				t.Errorf("no warning: %v", c.logs.All())
			}
		})
	}
}

// A gzip (or deflate) stream is checked as it streams: decoded to be
// checked, encoded again and flushed as each event is released.
func TestContentSafetyStreamEncodedStreams(t *testing.T) {
	m := newSSEModel(t, http.Header{"Content-Encoding": {"gzip"}})
	c := newCSStreamSetup(t, csPolicy(` window-size="10"`), m.srv.URL)
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	piece := func(ev string) string {
		io.WriteString(zw, ev)
		zw.Flush()
		defer b.Reset()
		return b.String()
	}
	answer := c.post(t, false)
	m.put(piece(roleEvent))
	res := answer()
	if !res.Uncompressed {
		t.Errorf("the answer is not gzip-encoded: %v", res.Header)
	}
	r := readSSE(res)
	if ev := r.next(t); ev != roleEvent {
		t.Fatalf("first event %q", ev)
	}
	m.put(piece(deltaEvent("Tulips ")))
	m.put(piece(deltaEvent("are red.")))
	if ev := r.next(t); ev != deltaEvent("Tulips ") {
		t.Fatalf("second event %q", ev)
	}
	io.WriteString(zw, doneEvent)
	zw.Close()
	m.put(b.String())
	m.end()
	if rest, err := r.rest(t); rest != deltaEvent("are red.")+doneEvent || err != nil {
		t.Errorf("the rest %q (%v)", rest, err)
	}

	// deflate (zlib), which the client does not decode itself.
	var in bytes.Buffer
	zl := zlib.NewWriter(&in)
	plain := roleEvent + deltaEvent("Tulips are red.") + doneEvent
	io.WriteString(zl, plain)
	zl.Close()
	cs := &csStream{body: io.NopCloser(&piecesReader{b: in.Bytes(), step: 7}), enc: "deflate", size: 10,
		check: func(string) (string, error) { return "", nil }, halt: func(r, m string) { t.Errorf("halted: %s %s", r, m) }}
	cs.newStreamEncoder()
	out, err := io.ReadAll(cs)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(zr); string(got) != plain || err != nil {
		t.Errorf("deflate: %q (%v), want %q", got, err, plain)
	}
}

// An outbound policy that reads a streamed answer reads it checked (cut
// short when flagged): what it keeps or derives is checked text, outbound
// sees the reason, and the answer is not checked a second time as it is
// sent.
func TestContentSafetyStreamReadInOutbound(t *testing.T) {
	policy := `<policies><inbound>` + csPolicy(` window-size="10" window-overlap-size="5"`) + `</inbound><backend/><outbound>
  <set-header name="X-Read" exists-action="override"><value>@(context.Response.Body.As<string>(preserveContent: true).Contains("hateful") ? "unchecked" : "checked")</value></set-header>
  <set-header name="X-Reason" exists-action="override"><value>@(context.LastError == null ? "none" : context.LastError.Reason)</value></set-header>
</outbound><on-error/></policies>`
	tests := []struct {
		name    string
		events  []string
		body    string
		windows []string
		reason  string
	}{
		{"clean", []string{roleEvent, deltaEvent("Tulips are red."), doneEvent},
			roleEvent + deltaEvent("Tulips are red.") + doneEvent, []string{"Tulips are", "s are red."}, "none"},
		{"flagged", []string{roleEvent, deltaEvent("a calm "), deltaEvent("hateful "), deltaEvent("words"), doneEvent},
			roleEvent + deltaEvent("a calm "), []string{"a calm hat", "m hateful "}, ReasonContentSafetyBlocked},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			llm := newCSLLM(t, sseAnswer())
			llm.answer.pieces = tc.events
			c := newCSStreamSetup(t, policy, llm.srv.URL)
			res := c.post(t, false)()
			body, _ := io.ReadAll(res.Body)
			if string(body) != tc.body || res.Header.Get("X-Read") != "checked" || res.Header.Get("X-Reason") != tc.reason {
				t.Errorf("answer %q X-Read %q X-Reason %q, want %q, checked, %s", body, res.Header.Get("X-Read"), res.Header.Get("X-Reason"), tc.body, tc.reason)
			}
			if w := c.answers(t); !slices.Equal(w, tc.windows) {
				t.Errorf("windows %q, want %q (each once)", w, tc.windows)
			}
		})
	}
}
