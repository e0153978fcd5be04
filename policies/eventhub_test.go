package policies

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"tollgate/engine"
)

// hubKey is the fake event hub's shared access key: the word SECRET marks
// what must never reach a log.
const hubKey = "SECRET-hub-key="

// fakeHub is an event hub's HTTPS endpoint: it checks what Event Hubs'
// "send batch events" asks (the path, api-version, content type, a valid
// shared access signature for the hub's URI, a JSON array of messages)
// and keeps the messages it accepted.
type fakeHub struct {
	srv    *httptest.Server
	hub    string
	status int   // 0: 201
	fails  []int // answered first, one per request, before status
	posts  int   // requests seen
	mu     sync.Mutex
	got    []hubMessage
	errs   []string
	auths  []string
}

type hubMessage struct {
	Partition string // partition-id from the path ("" none)
	Body      string
	Key       string // BrokerProperties.PartitionKey
}

func newFakeHub(t *testing.T, hub string) *fakeHub {
	t.Helper()
	h := &fakeHub{hub: hub}
	h.srv = httptest.NewTLSServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	return h
}

// connectionString is the namespace's, as the portal shows it.
func (h *fakeHub) connectionString() string {
	return "Endpoint=sb://" + h.srv.Listener.Addr().String() + "/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=" + hubKey
}

func (h *fakeHub) fail(format string, args ...any) {
	h.mu.Lock()
	h.errs = append(h.errs, fmt.Sprintf(format, args...))
	h.mu.Unlock()
}

func (h *fakeHub) serve(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.posts++
	if len(h.fails) > 0 {
		code := h.fails[0]
		h.fails = h.fails[1:]
		h.mu.Unlock()
		w.WriteHeader(code)
		return
	}
	h.mu.Unlock()
	if h.status != 0 {
		w.WriteHeader(h.status)
		return
	}
	pid := ""
	switch {
	case r.Method != http.MethodPost:
		h.fail("method %s", r.Method)
	case r.URL.Path == "/"+h.hub+"/messages":
	case strings.HasPrefix(r.URL.Path, "/"+h.hub+"/partitions/") && strings.HasSuffix(r.URL.Path, "/messages"):
		pid = strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"+h.hub+"/partitions/"), "/messages")
	default:
		h.fail("path %s", r.URL.Path)
	}
	if v := r.URL.Query().Get("api-version"); v != "2014-01" {
		h.fail("api-version %q", v)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/vnd.microsoft.servicebus.json" {
		h.fail("content type %q", ct)
	}
	auth := r.Header.Get("Authorization")
	h.mu.Lock()
	h.auths = append(h.auths, auth)
	h.mu.Unlock()
	if strings.HasPrefix(auth, "SharedAccessSignature ") {
		if err := checkSAS(auth, "https://"+r.Host+"/"+h.hub, hubKey); err != nil {
			h.fail("%v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
	} else if auth != "Bearer mi-token" {
		h.fail("authorization %q", auth)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var batch []struct {
		Body             string
		BrokerProperties map[string]string
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &batch); err != nil || len(batch) == 0 {
		h.fail("body %q: %v", body, err)
	}
	h.mu.Lock()
	for _, m := range batch {
		h.got = append(h.got, hubMessage{Partition: pid, Body: m.Body, Key: m.BrokerProperties["PartitionKey"]})
	}
	h.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
}

// checkSAS verifies a SharedAccessSignature as the service does: the
// signature is HMAC-SHA256 of the URL-encoded resource and the expiry.
func checkSAS(auth, resource, key string) error {
	q, err := url.ParseQuery(strings.TrimPrefix(auth, "SharedAccessSignature "))
	if err != nil {
		return err
	}
	if q.Get("sr") != resource {
		return fmt.Errorf("sr %q, want %q", q.Get("sr"), resource)
	}
	if q.Get("skn") != "RootManageSharedAccessKey" {
		return fmt.Errorf("skn %q", q.Get("skn"))
	}
	se, err := strconv.ParseInt(q.Get("se"), 10, 64)
	if err != nil || time.Unix(se, 0).Before(time.Now()) {
		return fmt.Errorf("se %q expired or not a number", q.Get("se"))
	}
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(url.QueryEscape(resource) + "\n" + q.Get("se")))
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); q.Get("sig") != want {
		return fmt.Errorf("sig %q, want %q", q.Get("sig"), want)
	}
	return nil
}

func (h *fakeHub) messages(t *testing.T) []hubMessage {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.errs) > 0 {
		t.Fatalf("the event hub saw bad requests: %s", strings.Join(h.errs, "; "))
	}
	return append([]hubMessage(nil), h.got...)
}

// The signature Event Hubs' "Generate SAS token" describes, for fixed
// inputs (computed independently with Python's hmac and urllib).
func TestSASToken(t *testing.T) {
	got := sasToken("https://contoso.servicebus.windows.net/audit", "RootManageSharedAccessKey", "c2VjcmV0LWtleQ==", time.Unix(1700000000, 0))
	want := "SharedAccessSignature sr=https%3A%2F%2Fcontoso.servicebus.windows.net%2Faudit&sig=pAYQO0mLxMbLf6EoqZGr4%2B2v3pBdXks3DuxNUkBxxwg%3D&se=1700000000&skn=RootManageSharedAccessKey"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestParseEventHub(t *testing.T) {
	ns := "Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=" + hubKey
	for _, c := range []struct {
		name string
		in   EventHubCredentials
		base string // "" when an error is expected
		err  string
	}{
		{"namespace string and name", EventHubCredentials{Name: "audit", ConnectionString: ns}, "https://contoso.servicebus.windows.net/audit", ""},
		{"hub string", EventHubCredentials{ConnectionString: ns + ";EntityPath=audit"}, "https://contoso.servicebus.windows.net/audit", ""},
		{"hub string, same name", EventHubCredentials{Name: "Audit", ConnectionString: ns + ";EntityPath=audit"}, "https://contoso.servicebus.windows.net/audit", ""},
		{"keys in any case, spaces", EventHubCredentials{Name: "audit", ConnectionString: " endpoint=sb://c.servicebus.windows.net/ ; sharedaccesskeyname=k ; sharedaccesskey=v= ;"}, "https://c.servicebus.windows.net/audit", ""},
		{"ready-made signature", EventHubCredentials{Name: "audit", ConnectionString: "Endpoint=sb://c.servicebus.windows.net/;SharedAccessSignature=SharedAccessSignature sr=x&sig=y&se=1&skn=k"}, "https://c.servicebus.windows.net/audit", ""},
		{"managed identity", EventHubCredentials{Name: "audit", EndpointAddress: "c.servicebus.windows.net", IdentityClientID: "SystemAssigned"}, "https://c.servicebus.windows.net/audit", ""},
		{"other hub", EventHubCredentials{Name: "billing", ConnectionString: ns + ";EntityPath=audit"}, "", `for the event hub "audit", not "billing"`},
		{"no name", EventHubCredentials{ConnectionString: ns}, "", "credentials.name"},
		{"no key", EventHubCredentials{Name: "a", ConnectionString: "Endpoint=sb://c.servicebus.windows.net/;SharedAccessKeyName=k"}, "", "SharedAccessKeyName and SharedAccessKey"},
		{"no endpoint", EventHubCredentials{Name: "a", ConnectionString: "SharedAccessKeyName=k;SharedAccessKey=v"}, "", "Endpoint=sb://"},
		{"http endpoint", EventHubCredentials{Name: "a", ConnectionString: "Endpoint=http://c/;SharedAccessKeyName=k;SharedAccessKey=v"}, "", "Endpoint=sb://"},
		{"not key=value", EventHubCredentials{Name: "a", ConnectionString: "sb://c.servicebus.windows.net/"}, "", "KEY=VALUE"},
		{"both forms", EventHubCredentials{Name: "a", ConnectionString: ns, EndpointAddress: "c"}, "", "not both"},
		{"identity without endpoint", EventHubCredentials{Name: "a", IdentityClientID: "x"}, "", "endpointAddress"},
		{"nothing", EventHubCredentials{Name: "a"}, "", "need a connectionString"},
		{"bad hub name", EventHubCredentials{Name: "a?b", ConnectionString: ns}, "", "not an event hub name"},
		{"bad hub name, three parts", EventHubCredentials{Name: "contoso/a/b", ConnectionString: ns}, "", "not an event hub name"},
		// The portal's NAMESPACE/HUB (a live instance's APIOps extract).
		{"portal's namespace/hub", EventHubCredentials{Name: "contoso/audit", ConnectionString: ns}, "https://contoso.servicebus.windows.net/audit", ""},
		{"portal's namespace/hub with EntityPath", EventHubCredentials{Name: "Contoso/audit", ConnectionString: ns + ";EntityPath=audit"}, "https://contoso.servicebus.windows.net/audit", ""},
		{"portal's namespace/hub, managed identity", EventHubCredentials{Name: "c/audit", EndpointAddress: "c.servicebus.windows.net", IdentityClientID: "SystemAssigned"}, "https://c.servicebus.windows.net/audit", ""},
		{"another namespace", EventHubCredentials{Name: "fabrikam/audit", ConnectionString: ns}, "", `names the namespace "fabrikam", but the credentials are for "contoso.servicebus.windows.net"`},
		{"bad signature", EventHubCredentials{Name: "a", ConnectionString: "Endpoint=sb://c/;SharedAccessSignature=sr=x"}, "", "must start with"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tg, err := parseEventHub(c.in)
			if c.base == "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one with %q", err, c.err)
				}
				if strings.Contains(err.Error(), "SECRET") {
					t.Fatalf("the error shows the key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tg.base != c.base {
				t.Fatalf("base %q, want %q", tg.base, c.base)
			}
		})
	}
}

// stageHub stages one folder logger "audit" for hub, committed, with a
// registry whose log-to-eventhub names it.
func stageHub(t *testing.T, ls *Loggers, hub *fakeHub, d Deps) engine.Registry {
	t.Helper()
	set, errs, _ := ls.Stage([]FolderLogger{{ID: "audit", Credentials: EventHubCredentials{Name: hub.hub, ConnectionString: hub.connectionString()}}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	set.Commit()
	return set.Registry(Registry(d))
}

func compileReg(t *testing.T, reg engine.Registry, src string) *engine.Plan {
	t.Helper()
	root, err := engine.Read("policy.xml", []byte("<policies><inbound>"+src+"</inbound><backend/><outbound/><on-error/></policies>"))
	if err != nil {
		t.Fatal(err)
	}
	c := engine.NewCompiler(reg, nil)
	plan := c.Compile(root, "api", nil)
	if errs := c.Errors(); len(errs) > 0 {
		t.Fatal(errs)
	}
	return plan
}

// APIM's log-to-eventhub example (its C# message as written) reaches the
// event hub with its partition key; partition-id goes to the partition's
// address; a message past 200 KB is cut to 200 KB, as APIM does.
func TestLogToEventhubEventHub(t *testing.T) {
	hub := newFakeHub(t, "audit-hub")
	ls, _ := NewLoggers(&fakeMetrics{}, zap.NewNop())
	ls.SetClient(hub.srv.Client())
	reg := stageHub(t, ls, hub, testDeps())
	plan := compileReg(t, reg, `<log-to-eventhub logger-id="audit" partition-key="@(context.Request.IpAddress)">
    @(string.Join(",", "fixed", context.Request.Method, context.Request.Url.Path))
</log-to-eventhub>
<log-to-eventhub logger-id="audit" partition-id="1">to partition 1</log-to-eventhub>
<log-to-eventhub logger-id="audit">@(new string('x', 300 * 1024))</log-to-eventhub>`)
	for range 3 {
		s := request("http://gw/chat/x")
		runInbound(plan, s)
		s.Release()
	}
	ls.Close()
	got := hub.messages(t)
	if len(got) != 9 {
		t.Fatalf("%d messages, want 9: %+v", len(got), got)
	}
	for i := 0; i < 9; i += 3 {
		if m := got[i]; m.Body != "fixed,GET,/chat/x" || m.Key != "10.1.2.3" || m.Partition != "" {
			t.Fatalf("message %d: %+v", i, m)
		}
		if m := got[i+1]; m.Body != "to partition 1" || m.Partition != "1" || m.Key != "" {
			t.Fatalf("message %d: %+v", i+1, m)
		}
		if m := got[i+2]; len(m.Body) != 200<<10 || m.Partition != "" {
			t.Fatalf("message %d: %d bytes, want %d", i+2, len(m.Body), 200<<10)
		}
	}
	hub.mu.Lock()
	defer hub.mu.Unlock()
	// One signature made, reused: it is valid for an hour.
	if len(hub.auths) < 2 || hub.auths[0] != hub.auths[len(hub.auths)-1] {
		t.Fatalf("authorizations: %d, first %q", len(hub.auths), hub.auths[0])
	}
}

// A hub that refuses the credentials: the messages are dropped and
// counted, the warning says why and never shows the key.
func TestEventHubRefused(t *testing.T) {
	hub := newFakeHub(t, "audit")
	hub.status = http.StatusUnauthorized
	core, logs := observer.New(zapcore.DebugLevel)
	m := &fakeMetrics{}
	ls, _ := NewLoggers(m, zap.New(core))
	ls.SetClient(hub.srv.Client())
	plan := compileReg(t, stageHub(t, ls, hub, testDeps()), `<log-to-eventhub logger-id="audit">hello</log-to-eventhub>`)
	s := request("http://gw/x")
	runInbound(plan, s)
	s.Release()
	ls.Close()
	lg := ls.lookup("audit")
	if lg.dropped.Load() != 1 || lg.written.Load() != 0 {
		t.Fatalf("dropped %d written %d", lg.dropped.Load(), lg.written.Load())
	}
	found := false
	for _, e := range logs.All() {
		line := e.Message + fmt.Sprint(e.ContextMap())
		if strings.Contains(line, "SECRET") || strings.Contains(line, "sig=") {
			t.Fatalf("a log line shows the credentials: %s", line)
		}
		found = found || strings.Contains(line, "refused the logger's credentials (401)")
	}
	if !found {
		t.Fatalf("no warning about the refused credentials: %v", logs.All())
	}
}

// An unchanged folder logger is the same logger after a reload (what it
// has queued is kept); a changed one is new, and Commit stops the old.
func TestStageReusesUnchangedLoggers(t *testing.T) {
	hub := newFakeHub(t, "audit")
	ls, _ := NewLoggers(nil, nil)
	ls.SetClient(hub.srv.Client())
	def := FolderLogger{ID: "audit", Credentials: EventHubCredentials{Name: "audit", ConnectionString: hub.connectionString()}}
	s1, errs, _ := ls.Stage([]FolderLogger{def})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	s1.Commit()
	first := ls.lookup("audit")
	s2, _, _ := ls.Stage([]FolderLogger{def})
	if s2.lookup("audit") != first || len(s2.fresh) != 0 {
		t.Fatal("an unchanged logger was built again")
	}
	s2.Commit()
	changed := def
	changed.Credentials.ConnectionString += ";EntityPath=audit"
	s3, _, _ := ls.Stage([]FolderLogger{changed})
	if s3.lookup("audit") == first {
		t.Fatal("a changed logger was reused")
	}
	if ls.lookup("audit") != first {
		t.Fatal("staging changed the current loggers before Commit")
	}
	s3.Discard()
	if ls.lookup("audit") != first {
		t.Fatal("Discard changed the current loggers")
	}
	s4, _, _ := ls.Stage(nil)
	s4.Commit()
	select {
	case <-first.done:
	case <-time.After(5 * time.Second):
		t.Fatal("a removed logger did not stop")
	}
	if first.send(logEntry{msg: "late"}) {
		t.Fatal("a stopped logger took a message")
	}
	if ls.lookup("audit") != nil {
		t.Fatal("a removed logger is still current")
	}
	ls.Close()
}

// A loggers file's logger wins over a folder logger of the same id (a
// way to send an APIOps logger somewhere local); folder loggers with bad
// credentials are errors at their position.
func TestStageConflictsAndErrors(t *testing.T) {
	ls, err := LoadLoggers(writeLoggers(t, `<loggers><logger id="audit" type="stdout"/></loggers>`), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	pos := engine.Pos{File: "loggers/x/loggerInformation.json", Line: 3, Col: 5}
	set, errs, notes := ls.Stage([]FolderLogger{
		{ID: "audit", Pos: pos, Credentials: EventHubCredentials{Name: "a", ConnectionString: "Endpoint=sb://c/;SharedAccessKeyName=k;SharedAccessKey=v"}},
		{ID: "bad", Pos: pos, Credentials: EventHubCredentials{Name: "a", ConnectionString: "Endpoint=sb://c/;SharedAccessKey=" + hubKey}},
		{ID: "mi", Pos: pos, Credentials: EventHubCredentials{Name: "a", EndpointAddress: "c.servicebus.windows.net", IdentityClientID: "abc"}},
	})
	if set.lookup("audit") != ls.byID["audit"] {
		t.Fatal("the folder's logger replaced the file's")
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "loggers/x/loggerInformation.json:3:5: ignored: logger audit") {
		t.Fatalf("notes %q", notes)
	}
	want := []string{
		`loggers/x/loggerInformation.json:3:5: logger bad: the connection string needs SharedAccessKeyName and SharedAccessKey`,
		`loggers/x/loggerInformation.json:3:5: logger mi: no identity is configured for client-id "abc"`,
	}
	if len(errs) != len(want) {
		t.Fatalf("errors:\n%s", errs.Error())
	}
	for i, w := range want {
		if !strings.HasPrefix(errs[i].Error(), w) || strings.Contains(errs[i].Error(), "SECRET") {
			t.Fatalf("error %d: %s\nwant %s…", i, errs[i].Error(), w)
		}
	}
}

// A folder logger with a managed identity sends the identity's token for
// Event Hubs' audience.
func TestEventHubManagedIdentity(t *testing.T) {
	hub := newFakeHub(t, "audit")
	var resources []string
	var mu sync.Mutex
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		resources = append(resources, r.Form.Get("scope"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"mi-token","expires_in":3600,"token_type":"Bearer"}`))
	}))
	defer idp.Close()
	ls, _ := NewLoggers(nil, nil)
	ls.SetClient(hub.srv.Client())
	d := testDeps()
	d.Loggers = ls
	d.Identities = map[string]Identity{"": {TokenURL: idp.URL, ClientID: "gw", ClientSecret: "SECRET-client"}}
	reg := Registry(d)
	set, errs, _ := ls.Stage([]FolderLogger{{ID: "audit", Credentials: EventHubCredentials{Name: "audit",
		EndpointAddress: strings.TrimPrefix(hub.srv.URL, "https://"), IdentityClientID: "SystemAssigned"}}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	set.Commit()
	plan := compileReg(t, set.Registry(reg), `<log-to-eventhub logger-id="audit">hi</log-to-eventhub>`)
	s := request("http://gw/x")
	runInbound(plan, s)
	s.Release()
	ls.Close()
	if got := hub.messages(t); len(got) != 1 || got[0].Body != "hi" {
		t.Fatalf("messages %+v", got)
	}
	if len(resources) != 1 || resources[0] != "https://eventhubs.azure.net/.default" {
		t.Fatalf("token scopes %q", resources)
	}
}

// FuzzParseEventHub: any credentials parse without panicking, and an
// error never quotes the shared access key.
func FuzzParseEventHub(f *testing.F) {
	f.Add("audit", "Endpoint=sb://c.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=SECRET-0123456789=", "", "")
	f.Add("", "Endpoint=sb://c/;EntityPath=a;SharedAccessSignature=SharedAccessSignature sr=x", "", "")
	f.Add("a", "", "c.servicebus.windows.net", "SystemAssigned")
	f.Add("a", "Endpoint=sb://[::1]:99/;SharedAccessKeyName=k;SharedAccessKey=SECRET;EntityPath=b", "", "")
	f.Fuzz(func(t *testing.T, name, conn, endpoint, identity string) {
		tg, err := parseEventHub(EventHubCredentials{Name: name, ConnectionString: conn, EndpointAddress: endpoint, IdentityClientID: identity})
		if err != nil {
			if tg != nil {
				t.Fatal("a target with an error")
			}
			// The key: what follows SharedAccessKey= up to ';', when it
			// appears nowhere else (an error may quote a hub's name).
			if _, rest, ok := strings.Cut(conn, "SharedAccessKey="); ok {
				key, _, _ := strings.Cut(rest, ";")
				if len(key) >= 12 && strings.Count(conn+name+endpoint, key) == 1 && strings.Contains(err.Error(), key) {
					t.Fatalf("the error quotes the key %q: %v", key, err)
				}
			}
			return
		}
		if !strings.HasPrefix(tg.base, "https://") || strings.ContainsAny(tg.base[len("https://"):], "?#") {
			t.Fatalf("base %q", tg.base)
		}
	})
}

// A set staged without Loggers (a load that is only checked) is never
// started: its full queues drop messages, counted, without panicking.
func TestStageWithoutLoggers(t *testing.T) {
	var ls *Loggers
	set, errs, _ := ls.Stage([]FolderLogger{{ID: "audit", Buffer: 2, Credentials: EventHubCredentials{Name: "a",
		ConnectionString: "Endpoint=sb://c.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=v"}}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	lg := set.lookup("audit")
	for range 5 {
		lg.send(logEntry{msg: "m"})
	}
	if lg.dropped.Load() != 3 {
		t.Fatalf("dropped %d, want 3", lg.dropped.Load())
	}
	set.Commit() // nothing to start: no Loggers
}

// A registry built with a loggers file, used by a load that staged its
// folder loggers without them: the file's loggers still resolve.
func TestStagedRegistryKeepsRegistryLoggers(t *testing.T) {
	file, err := LoadLoggers(writeLoggers(t, `<loggers><logger id="console" type="stdout"/></loggers>`), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	d := testDeps()
	d.Loggers = file
	var none *Loggers
	set, _, _ := none.Stage(nil)
	compileReg(t, set.Registry(Registry(d)), `<log-to-eventhub logger-id="console">hi</log-to-eventhub>`)
	root, _ := engine.Read("policy.xml", []byte(`<policies><inbound><log-to-eventhub logger-id="nope">hi</log-to-eventhub></inbound></policies>`))
	c := engine.NewCompiler(set.Registry(Registry(d)), nil)
	c.Compile(root, "api", nil)
	if errs := c.Errors(); len(errs) != 1 || !strings.Contains(errs[0].Error(), `no logger "nope"`) {
		t.Fatalf("errors: %v", errs)
	}
}

// A hub that fails for a moment (503, 429, no answer) gets the batch again,
// up to eventHubAttempts times; refused credentials are not retried.
func TestEventHubRetries(t *testing.T) {
	defer func(d time.Duration) { eventHubBackoff = d }(eventHubBackoff)
	eventHubBackoff = time.Millisecond
	for _, c := range []struct {
		name      string
		fails     []int
		status    int
		delivered bool
		posts     int
	}{
		{"503 then 429 then ok", []int{503, 429}, 0, true, 3},
		{"always 500", nil, 500, false, eventHubAttempts},
		{"401 is not retried", nil, 401, false, 1},
		{"400 is not retried", nil, 400, false, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			hub := newFakeHub(t, "audit")
			hub.fails, hub.status = c.fails, c.status
			ls, _ := NewLoggers(nil, nil)
			ls.SetClient(hub.srv.Client())
			plan := compileReg(t, stageHub(t, ls, hub, testDeps()), `<log-to-eventhub logger-id="audit">hello</log-to-eventhub>`)
			s := request("http://gw/x")
			runInbound(plan, s)
			s.Release()
			ls.Close()
			hub.mu.Lock()
			posts, got := hub.posts, len(hub.got)
			hub.mu.Unlock()
			if posts != c.posts || (got == 1) != c.delivered {
				t.Fatalf("%d requests, %d delivered; want %d, delivered %v", posts, got, c.posts, c.delivered)
			}
		})
	}
}
