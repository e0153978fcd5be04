package gateway_test

import (
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"tollgate/gateway"
	"tollgate/policies"
	"tollgate/store"
)

func load(t *testing.T, dir string) (*gateway.Snapshot, []string) {
	t.Helper()
	snap, errs := gateway.Load(dir, policies.Registry(policies.Deps{Store: store.NewMemory()}), gateway.LoadOptions{Getenv: func(string) string { return "" }})
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return snap, out
}

// TestConfigErrors: every api.xml problem is reported as
// file:line:col: message, pointing at the attribute (or its value), and
// all problems are reported at once.
func TestConfigErrors(t *testing.T) {
	const ok = `type="websocket" path="/p" service-url="ws://127.0.0.1:1/"`
	tests := []struct {
		name string
		api  string   // a/api.xml
		want []string // "line:col: message substring", in order
	}{
		{"missing attributes", `<api name="a" type="websocket"/>`,
			[]string{`1:1: <api> needs the attribute "path"`, `1:1: <api> needs the attribute "service-url"`}},
		{"bad type", `<api name="a" type="thrift" path="/p" service-url="http://h/"/>`,
			[]string{`1:21: attribute "type" must be one of websocket, http, graphql, soap, odata, grpc, mcp, a2a, not "thrift"`}},
		{"bad service-url scheme", `<api name="a" type="http" path="/p" service-url="ftp://h/"/>`,
			[]string{`1:50: service-url "ftp://h/" must be an absolute http:// or https:// URL`}},
		{"relative service-url", `<api name="a" type="websocket" path="/p" service-url="/backend"/>`,
			[]string{`1:55: service-url "/backend" must be an absolute ws:// or wss:// URL`}},
		{"bad path", `<api name="a" type="websocket" path="chat" service-url="ws://h/"/>`,
			[]string{`1:38: path must be a URL path starting with '/', not "chat"`}},
		{"bad name", `<api name="a b" type="websocket" path="/p" service-url="ws://h/"/>`,
			[]string{`1:12: API name "a b"`}},
		{"bad numbers", "<api name=\"a\" " + ok + "\n     max-message-size=\"big\" idle-timeout=\"0\" max-connections=\"-1\" handshake-timeout=\"1.5\"/>",
			[]string{
				`2:24: attribute "max-message-size" must be a whole number, not "big"`,
				`2:43: attribute "idle-timeout" must be between 1 and 9223372036, not 0`,
				`2:63: attribute "max-connections" must be at least 0, not -1`,
				`2:86: attribute "handshake-timeout" must be a whole number, not "1.5"`,
			}},
		{"seconds past what a duration holds", "<api name=\"a\" " + ok + "\n     idle-timeout=\"9223372037\" drain-window=\"9223372036\"/>",
			[]string{`2:20: attribute "idle-timeout" must be between 1 and 9223372036, not 9223372037`}},
		{"bad bool", "<api name=\"a\" " + ok + " drain-on-change=\"maybe\"/>",
			[]string{`attribute "drain-on-change" must be true or false, not "maybe"`}},
		{"bad message rate", "<api name=\"a\" " + ok + "\n     max-messages-per-second=\"0\"/>",
			[]string{`2:31: attribute "max-messages-per-second" must be a positive number, not "0"`}},
		{"burst without rate", "<api name=\"a\" " + ok + "\n     message-burst=\"5\"/>",
			[]string{`2:6: message-burst goes with max-messages-per-second`}},
		{"unknown attribute", "<api name=\"a\" " + ok + "\n     timout=\"3\"/>",
			[]string{`2:6: <api> has no attribute "timout" (did you mean "timeout"?)`}},
		{"id is not implied", "<api name=\"a\" " + ok + "\n     id=\"x\"/>",
			[]string{`2:6: <api> has no attribute "id"`}},
		{"unknown element", "<api name=\"a\" " + ok + ">\n  <limits/>\n</api>",
			[]string{`2:3: unexpected element <limits> inside <api>`}},
		{"wrong root", `<apis/>`, []string{`1:1: the root element must be <api>, not <apis>`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "a/api.xml", tc.api)
			snap, errs := load(t, dir)
			if snap != nil {
				t.Fatal("a broken folder loaded")
			}
			file := filepath.Join(dir, "a", "api.xml")
			if len(errs) != len(tc.want) {
				t.Errorf("%d errors, want %d:\n%s", len(errs), len(tc.want), strings.Join(errs, "\n"))
			}
			for i, w := range tc.want {
				if i >= len(errs) {
					break
				}
				if !strings.HasPrefix(errs[i], file+":") {
					t.Errorf("error %q does not start with the file", errs[i])
					continue
				}
				rest := strings.TrimPrefix(errs[i], file+":")
				if !regexp.MustCompile(`^\d+:\d+: `).MatchString(rest) {
					t.Errorf("error %q is not file:line:col: message", errs[i])
				}
				if strings.Contains(w, ": ") && regexp.MustCompile(`^\d+:\d+: `).MatchString(w) {
					if !strings.HasPrefix(rest, w) {
						t.Errorf("got  %s\nwant %s", rest, w)
					}
				} else if !strings.Contains(rest, w) {
					t.Errorf("got %s, want it to contain %s", rest, w)
				}
			}
		})
	}
}

func TestConfigDuplicates(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a/api.xml", `<api name="same" type="http" path="/a" service-url="http://h/"/>`)
	writeFile(t, dir, "b/api.xml", `<api name="same" type="http" path="/b" service-url="http://h/"/>`)
	writeFile(t, dir, "c/api.xml", `<api name="c" type="http" path="/a/" service-url="http://h/"/>`)
	_, errs := load(t, dir)
	want := []string{
		filepath.Join(dir, "b", "api.xml") + `:1:1: API name "same" is already used by ` + filepath.Join(dir, "a", "api.xml"),
		filepath.Join(dir, "c", "api.xml") + `:1:1: API path "/a" is already used by ` + filepath.Join(dir, "a", "api.xml"),
	}
	if strings.Join(errs, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(errs, "\n"), strings.Join(want, "\n"))
	}
}

// TestConfigDefaults: an api.xml that sets nothing gets DefaultLimits, and
// each attribute lands in its field.
func TestConfigDefaults(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a/api.xml", `<api name="a" type="websocket" path="/a/" service-url="http://h:1/x"/>`)
	writeFile(t, dir, "b/api.xml", `<api name="b" type="websocket" path="/b" service-url="wss://h/"
  max-message-size="10" idle-timeout="11" handshake-timeout="12" ping-interval="13" max-connections="0"
  policy-timeout="14" timeout="15" max-body-size="16" allowed-origins="x.example, *.y.example"
  drain-on-change="true" drain-after="0" drain-window="17" body-timeout="18" max-expression-bytes="2048"
  allowed-hosts="gw.example, *.gw.example" graphql-max-depth="19" graphql-max-fields="20" graphql-max-resolver-calls="21"
  graphql-concurrency="22" resolver-timeout="23" graphql-max-answer-bytes="24" graphql-max-event-bytes="25"
  graphql-init-timeout="26" graphql-max-subscriptions="27" graphql-keepalive="0"
  graphql-max-response-bytes="28" mcp-max-streams-per-client="29"/>`)
	snap, errs := load(t, dir)
	if len(errs) > 0 {
		t.Fatal(strings.Join(errs, "\n"))
	}
	a, b := snap.API("a"), snap.API("b")
	if a.Path != "/a" || a.ServiceURL.String() != "ws://h:1/x" {
		t.Errorf("a: path %q service-url %q (a trailing / is dropped, http becomes ws)", a.Path, a.ServiceURL)
	}
	if !equalLimits(a.Limits, gateway.DefaultLimits) {
		t.Errorf("a: %+v, want the defaults %+v", a.Limits, gateway.DefaultLimits)
	}
	want := gateway.Limits{MaxMessageSize: 10, IdleTimeout: 11 * time.Second, HandshakeTimeout: 12 * time.Second,
		PingInterval: 13 * time.Second, MaxConnections: 0, PolicyTimeout: 14 * time.Second, Timeout: 15 * time.Second,
		MaxBodySize: 16, AllowedOrigins: []string{"x.example", "*.y.example"}, DrainOnChange: true, DrainAfter: 0,
		DrainWindow: 17 * time.Second, BodyTimeout: 18 * time.Second, MaxExprBytes: 2048,
		AllowedHosts: []string{"gw.example", "*.gw.example"}, GraphQLMaxDepth: 19, GraphQLMaxFields: 20,
		GraphQLMaxResolverCalls: 21, GraphQLConcurrency: 22, ResolverTimeout: 23 * time.Second, GraphQLMaxAnswerBytes: 24,
		GraphQLMaxEventBytes: 25, GraphQLInitTimeout: 26 * time.Second, GraphQLMaxSubscriptions: 27, GraphQLKeepAlive: 0,
		GraphQLMaxResponseBytes: 28, MCPMaxClientStreams: 29}
	if !equalLimits(b.Limits, want) {
		t.Errorf("b: %+v, want %+v", b.Limits, want)
	}
}

func equalLimits(a, b gateway.Limits) bool {
	return reflect.DeepEqual(a, b)
}
