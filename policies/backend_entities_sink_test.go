package policies

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"tollgate/internal/testutil"
)

// TestBackendEntityCalloutSink: the calls llm-content-safety and the
// semantic cache lookup make to their backend entities (doBackend) are
// told to the request's CalloutSink as send-request's are: before they go
// (its headers are sent), with the URL their trace shows (no query: the
// entity's credentials.query stays out), and when they ended: the status,
// none and an error when no answer came, the status and an error when the
// answer was over the bound; an entity with its own transport too.
func TestBackendEntityCalloutSink(t *testing.T) {
	var mu sync.Mutex
	got := map[string]string{} // path -> X-Sink as received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		got[r.URL.Path] = r.Header.Get("X-Sink")
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/contentsafety/text:analyze"):
			io.WriteString(w, `{"blocklistsMatch":[],"categoriesAnalysis":[{"category":"Hate","severity":0}]}`)
		case r.URL.Path == "/fail/embeddings":
			w.WriteHeader(http.StatusInternalServerError)
		case r.URL.Path == "/big/embeddings":
			io.WriteString(w, `{"data":[{"embedding":[`+strings.Repeat("0.5,", embeddingsAnswerMax/4)+`1]}]}`)
		default:
			io.WriteString(w, `{"data":[{"embedding":[1,0,0]}]}`)
		}
	}))
	defer srv.Close()
	refused := refusedAddr(t)
	const cs = `<llm-content-safety backend-id="content-safety-backend"><categories output-type="FourSeverityLevels"><category name="Hate" threshold="4" /></categories></llm-content-safety>`
	const sem = `<llm-semantic-cache-lookup score-threshold="0.05" embeddings-backend-id="other" />`
	own := &http.Transport{} // a backend entity's own (its tls settings)
	defer own.CloseIdleConnections()
	for _, tc := range []struct {
		name, policy string
		backend      PolicyBackend
		want         sinkCall
	}{
		{"content safety", cs, PolicyBackend{URL: srv.URL + "/cs/?key=SECRET-q"},
			sinkCall{"POST", srv.URL + "/cs/contentsafety/text:analyze", 200, false}},
		{"content safety, own transport", cs, PolicyBackend{URL: srv.URL + "/own/", Transport: own},
			sinkCall{"POST", srv.URL + "/own/contentsafety/text:analyze", 200, false}},
		{"content safety refused", cs, PolicyBackend{URL: refused + "/"},
			sinkCall{"POST", refused + "/contentsafety/text:analyze", 0, true}},
		{"embeddings", sem, PolicyBackend{URL: srv.URL + "/ok/embeddings?api-key=SECRET-q"},
			sinkCall{"POST", srv.URL + "/ok/embeddings", 200, false}},
		{"embeddings failed", sem, PolicyBackend{URL: srv.URL + "/fail"},
			sinkCall{"POST", srv.URL + "/fail/embeddings", 500, false}},
		{"embeddings too large", sem, PolicyBackend{URL: srv.URL + "/big"},
			sinkCall{"POST", srv.URL + "/big/embeddings", 200, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := testDeps()
			d.Backends = &fakeBackends{m: map[string]PolicyBackend{"content-safety-backend": tc.backend, "other": tc.backend}}
			plan := compileCS(t, d, tc.policy)
			rec := &recordingSink{ended: make(chan sinkCall, 4)}
			s := chatState(`{"messages":[{"role":"user","content":"tulips"}]}`)
			defer s.Release()
			s.SetPrivate(CalloutSinkKey{}, CalloutSink(rec.sink))
			runInbound(plan, s)
			select {
			case c := <-rec.ended:
				if c != tc.want {
					t.Errorf("told %+v, want %+v", c, tc.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the sink was not told of the call")
			}
			if len(rec.ended) != 0 {
				t.Errorf("told of more calls: %+v", <-rec.ended)
			}
			if tc.want.status == 0 {
				return
			}
			path := strings.TrimPrefix(tc.want.target, srv.URL)
			mu.Lock()
			h := got[path]
			mu.Unlock()
			if h != tc.want.target {
				t.Errorf("%s: the sink's header arrived as %q", path, h)
			}
		})
	}
}

// refusedAddr is an http URL where nothing listens.
func refusedAddr(t *testing.T) string {
	t.Helper()
	return "http://" + testutil.ClosedPort(t)
}
