package gateway_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"tollgate/gateway"
	"tollgate/policies"
	"tollgate/store"
)

// llm-content-safety through the gateway: backend-id names a backend entity
// of the folder, whose URL and credentials.header reach the (fake) Content
// Safety service; a harmful prompt gets APIM's 403, a harmless one goes on.
func TestLLMContentSafetyBackendEntity(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	cs := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.URL.Path+"?"+r.URL.RawQuery+" key="+r.Header.Get("Ocp-Apim-Subscription-Key"))
		mu.Unlock()
		var req struct{ Text string }
		json.Unmarshal(body, &req)
		sev := 0
		if strings.Contains(req.Text, "hateful") {
			sev = 6
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"blocklistsMatch":[],"categoriesAnalysis":[{"category":"Hate","severity":`+map[bool]string{true: "6", false: "0"}[sev > 0]+`}]}`)
	})
	dir := t.TempDir()
	writeAPI(t, dir, "llm", `type="http" path="/llm" service-url="http://127.0.0.1:1"`, `<policies><inbound>
  <llm-content-safety backend-id="content-safety-backend">
    <categories output-type="EightSeverityLevels"><category name="Hate" threshold="4" /></categories>
  </llm-content-safety>
  <return-response><set-status code="200"/><set-body>passed</set-body></return-response>
</inbound><backend/><outbound/><on-error/></policies>`)
	writeFile(t, dir, "backends/content-safety-backend/backendInformation.json",
		`{"properties": {"url": "`+cs.URL+`/", "protocol": "http", "credentials": {"header": {"Ocp-Apim-Subscription-Key": ["SECRET-key"]}}}}`)
	late := new(policies.LateBackends)
	g := startGateway(t, dir, func(o *gateway.Options) {
		o.Registry = policies.Registry(policies.Deps{Store: store.NewMemory(), Backends: late})
	})
	late.Set(g.srv)

	post := func(body string) (int, string) { return postChat(t, g.url+"/llm/chat/completions", body) }
	if code, body := post(`{"messages":[{"role":"user","content":"tulips"}]}`); code != 200 || body != "passed" {
		t.Errorf("harmless: %d %q", code, body)
	}
	code, body := post(`{"messages":[{"role":"user","content":"something hateful"}]}`)
	if status, msg := jsonError(t, body); code != 403 || status != 403 || msg != "The request was blocked by content safety: Hate severity 6 reaches the threshold 4." {
		t.Errorf("harmful: %d %q", code, body)
	}
	mu.Lock()
	defer mu.Unlock()
	want := "/contentsafety/text:analyze?api-version=2023-10-01 key=SECRET-key"
	if len(seen) != 2 || seen[0] != want || seen[1] != want {
		t.Errorf("Content Safety saw %q, want twice %q", seen, want)
	}
}

// llm-content-safety enforce-on-completions through the gateway: the model's
// answer is checked before the client gets it; a flagged one becomes APIM's
// 403, a clean one passes byte for byte.
func TestLLMContentSafetyCompletionsThroughGateway(t *testing.T) {
	cs := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sev := "0"
		if strings.Contains(string(body), "hateful") {
			sev = "6"
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"blocklistsMatch":[],"categoriesAnalysis":[{"category":"Hate","severity":`+sev+`}]}`)
	})
	model := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		answer := "tulips are flowers"
		if strings.Contains(string(body), "provoke") {
			answer = "a hateful answer"
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"choices":[{"index":0,"message":{"role":"assistant","content":"`+answer+`"}}]}`)
	})
	dir := t.TempDir()
	writeAPI(t, dir, "llm", `type="http" path="/llm" service-url="`+model.URL+`"`, `<policies><inbound>
  <llm-content-safety backend-id="content-safety-backend" enforce-on-completions="true">
    <categories output-type="EightSeverityLevels"><category name="Hate" threshold="4" /></categories>
  </llm-content-safety>
</inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	writeFile(t, dir, "backends/content-safety-backend/backendInformation.json",
		`{"properties": {"url": "`+cs.URL+`/", "protocol": "http"}}`)
	late := new(policies.LateBackends)
	g := startGateway(t, dir, func(o *gateway.Options) {
		o.Registry = policies.Registry(policies.Deps{Store: store.NewMemory(), Backends: late})
	})
	late.Set(g.srv)
	post := func(body string) (int, string) { return postChat(t, g.url+"/llm/chat/completions", body) }
	if code, body := post(`{"messages":[{"role":"user","content":"tell me about tulips"}]}`); code != 200 || !strings.Contains(body, "tulips are flowers") {
		t.Errorf("clean answer: %d %q", code, body)
	}
	code, body := post(`{"messages":[{"role":"user","content":"provoke it"}]}`)
	if code != 403 || strings.Contains(body, "hateful") {
		t.Errorf("flagged answer: %d %q, want 403 without the answer", code, body)
	}
}

// postChat POSTs a JSON chat request and returns the answer's status and body.
func postChat(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// llm-content-safety enforce-on-completions through the gateway, streamed:
// each event reaches the client as soon as its window (window-size 10,
// overlap 5) has been checked, while the model is still answering (the
// model writes what the test hands it, no sleeps); a flagged window ends
// the stream without the rest or [DONE], and the model's answer is closed.
func TestLLMContentSafetyStreamThroughGateway(t *testing.T) {
	cs := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sev := "0"
		if strings.Contains(string(body), "hateful") {
			sev = "6"
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"blocklistsMatch":[],"categoriesAnalysis":[{"category":"Hate","severity":`+sev+`}]}`)
	})
	type model struct {
		send chan string
		gone chan struct{}
	}
	var current *model // the model of the request under way
	var mu sync.Mutex
	quit := make(chan struct{})
	srv := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		m := current
		mu.Unlock()
		defer close(m.gone)
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		for {
			select {
			case p, ok := <-m.send:
				if !ok {
					return
				}
				io.WriteString(w, p)
				w.(http.Flusher).Flush()
			case <-r.Context().Done():
				return
			case <-quit:
				return
			}
		}
	})
	t.Cleanup(func() { close(quit) })
	g := windowedSafetyGateway(t, srv.URL, cs.URL)

	delta := func(s string) string {
		return `data: {"choices":[{"index":0,"delta":{"content":"` + s + `"}}]}` + "\n\n"
	}
	const role = `data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}` + "\n\n"
	// start sends a streamed chat request (its head comes at once:
	// TestLLMContentSafetyStreamHeadFirst).
	start := func(m *model) (events chan string) {
		mu.Lock()
		current = m
		mu.Unlock()
		events = make(chan string, 16)
		go func() {
			defer close(events)
			res, err := http.Post(g.url+"/llm/chat/completions", "application/json", strings.NewReader(`{"messages":[{"role":"user","content":"tulips"}],"stream":true}`))
			if err != nil {
				t.Error(err)
				return
			}
			defer res.Body.Close()
			if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
				t.Errorf("answer %d %v", res.StatusCode, res.Header)
			}
			br := bufio.NewReader(res.Body)
			var ev strings.Builder
			for {
				line, err := br.ReadString('\n')
				ev.WriteString(line)
				if err != nil {
					if err != io.EOF || ev.Len() > 0 {
						t.Errorf("the stream ended with %q (%v)", ev.String(), err)
					}
					return
				}
				if line == "\n" {
					events <- ev.String()
					ev.Reset()
				}
			}
		}()
		return events
	}
	next := func(events chan string) string {
		select {
		case ev := <-events:
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no event within 10s")
			return ""
		}
	}

	// A clean answer: released as it is checked.
	m := &model{send: make(chan string), gone: make(chan struct{})}
	events := start(m)
	m.send <- role
	if ev := next(events); ev != role {
		t.Fatalf("first event %q", ev)
	}
	m.send <- delta("Tulips ")
	m.send <- delta("are ") // "Tulips are" is checked: "Tulips " goes, the model still answering
	if ev := next(events); ev != delta("Tulips ") {
		t.Fatalf("second event %q", ev)
	}
	m.send <- delta("red.")
	m.send <- "data: [DONE]\n\n"
	close(m.send)
	var rest []string
	for ev := next(events); ev != ""; ev = next(events) {
		rest = append(rest, ev)
	}
	if want := []string{delta("are "), delta("red."), "data: [DONE]\n\n"}; strings.Join(rest, "|") != strings.Join(want, "|") {
		t.Errorf("the rest %q, want %q", rest, want)
	}

	// A flagged one: "a calm hat" passes, "m hateful " is flagged.
	m = &model{send: make(chan string), gone: make(chan struct{})}
	events = start(m)
	m.send <- role
	m.send <- delta("a calm ")
	m.send <- delta("hateful ")
	rest = nil
	for ev := next(events); ev != ""; ev = next(events) {
		rest = append(rest, ev)
	}
	if want := []string{role, delta("a calm ")}; strings.Join(rest, "|") != strings.Join(want, "|") {
		t.Errorf("flagged: the client got %q, want %q and the end", rest, want)
	}
	select {
	case <-m.gone:
	case <-time.After(10 * time.Second):
		t.Error("the model's answer is still open after the violation")
	}
}

// TestLLMContentSafetyStreamHeadFirst: a streamed answer checked by
// llm-content-safety sends its status and headers at once, over the
// socket, before its first window has been checked (its first bytes wait
// for that check), so the client sees the 200 and text/event-stream
// while Content Safety is still working; the event follows once checked.
func TestLLMContentSafetyStreamHeadFirst(t *testing.T) {
	checking := make(chan struct{}, 4) // Content Safety got a window
	release := make(chan struct{})     // ... and may answer
	var releaseOnce sync.Once
	free := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(free)
	cs := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		text, _ := io.ReadAll(r.Body)
		if strings.Contains(string(text), "Tulips are") { // the answer's window, not the prompt
			checking <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"blocklistsMatch":[],"categoriesAnalysis":[{"category":"Hate","severity":0}]}`)
	})
	const event = `data: {"choices":[{"index":0,"delta":{"content":"Tulips are"}}]}` + "\n\n" // one window
	finish := make(chan struct{})
	var finishOnce sync.Once
	t.Cleanup(func() { finishOnce.Do(func() { close(finish) }) })
	model := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		io.WriteString(w, event) // a window of text: checked at once, released once checked
		w.(http.Flusher).Flush()
		select {
		case <-finish:
			io.WriteString(w, "data: [DONE]\n\n")
		case <-r.Context().Done():
		}
	})
	g := windowedSafetyGateway(t, model.URL, cs.URL)

	conn, err := net.Dial("tcp", strings.TrimPrefix(g.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	body := `{"messages":[{"role":"user","content":"tulips"}],"stream":true}`
	fmt.Fprintf(conn, "POST /llm/chat/completions HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	br := bufio.NewReader(conn)
	type answer struct {
		res *http.Response
		err error
	}
	head := make(chan answer, 1)
	go func() {
		res, err := http.ReadResponse(br, nil)
		head <- answer{res, err}
	}()
	select {
	case <-checking:
	case <-time.After(testTimeout):
		t.Fatal("Content Safety was not asked about the first window")
	}
	var a answer
	select {
	case a = <-head:
	case <-time.After(testTimeout):
		t.Fatal("the answer's head did not arrive while its first window was being checked")
	}
	if a.err != nil {
		t.Fatal(a.err)
	}
	res := a.res
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("head %d %v", res.StatusCode, res.Header)
	}
	select {
	case <-checking:
		t.Fatal("a second check before the first was answered")
	default:
	}
	free()
	rb := bufio.NewReader(res.Body)
	var got strings.Builder
	for got.Len() < len(event) {
		line, err := rb.ReadString('\n')
		got.WriteString(line)
		if err != nil {
			t.Fatalf("read %q: %v", got.String(), err)
		}
	}
	if got.String() != event {
		t.Errorf("first event %q, want %q", got.String(), event)
	}
	finishOnce.Do(func() { close(finish) })
	rest, err := io.ReadAll(rb)
	if err != nil || string(rest) != "data: [DONE]\n\n" {
		t.Errorf("the rest %q (%v)", rest, err)
	}
}

// windowedSafetyGateway serves an API "llm" in front of model whose
// answers llm-content-safety checks in windows of 10 characters
// overlapping by 5, with the Content Safety backend entity at cs.
func windowedSafetyGateway(t *testing.T, model, cs string) *testGateway {
	dir := t.TempDir()
	writeAPI(t, dir, "llm", `type="http" path="/llm" service-url="`+model+`"`, `<policies><inbound>
  <llm-content-safety backend-id="content-safety-backend" enforce-on-completions="true" window-size="10" window-overlap-size="5">
    <categories output-type="EightSeverityLevels"><category name="Hate" threshold="4" /></categories>
  </llm-content-safety>
</inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	writeFile(t, dir, "backends/content-safety-backend/backendInformation.json",
		`{"properties": {"url": "`+cs+`/", "protocol": "http"}}`)
	late := new(policies.LateBackends)
	g := startGateway(t, dir, func(o *gateway.Options) {
		o.Registry = policies.Registry(policies.Deps{Store: store.NewMemory(), Backends: late})
	})
	late.Set(g.srv)
	return g
}
