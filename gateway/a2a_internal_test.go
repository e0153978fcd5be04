package gateway

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

var a2aKeys = SubscriptionSettings{Header: "Ocp-Apim-Subscription-Key", Query: "subscription-key"}

const gwRPC = "https://gw.example/agent"

// TestA2ACardTransform: what the rewrite does to a card, member by member.
func TestA2ACardTransform(t *testing.T) {
	hdr := `{"type":"apiKey","in":"header","name":"Ocp-Apim-Subscription-Key","description":"API Management subscription key"}`
	qry := `{"type":"apiKey","in":"query","name":"subscription-key","description":"API Management subscription key"}`
	for _, c := range []struct {
		name, card string
		key        bool
		keys       SubscriptionSettings
		want       string // "" with err
		err        string
	}{
		{"url and transport replaced in place", `{"name":"a","url":"https://backend.internal/a2a","preferredTransport":"GRPC","version":"1"}`, false, a2aKeys,
			`{"name":"a","url":"https://gw.example/agent","preferredTransport":"JSONRPC","version":"1"}`, ""},
		{"missing url and transport added", `{"name":"a"}`, false, a2aKeys,
			`{"name":"a","url":"https://gw.example/agent","preferredTransport":"JSONRPC"}`, ""},
		{"other interfaces removed", `{"url":"x","additionalInterfaces":[{"url":"g","transport":"GRPC"},{"url":"j","transport":"JSONRPC","x":1}],"preferredTransport":"JSONRPC"}`, false, a2aKeys,
			`{"url":"https://gw.example/agent","additionalInterfaces":[{"url":"https://gw.example/agent","transport":"JSONRPC","x":1}],"preferredTransport":"JSONRPC"}`, ""},
		{"no JSON-RPC entry in additionalInterfaces: one is made", `{"url":"x","additionalInterfaces":[{"url":"g","transport":"GRPC"}]}`, false, a2aKeys,
			`{"url":"https://gw.example/agent","additionalInterfaces":[{"transport":"JSONRPC","url":"https://gw.example/agent"}],"preferredTransport":"JSONRPC"}`, ""},
		{"1.0: supportedInterfaces keeps its JSONRPC entries", `{"name":"a","supportedInterfaces":[{"url":"https://b/rest","protocolBinding":"HTTP+JSON"},{"url":"https://b/","protocolBinding":"JSONRPC","protocolVersion":"1.0","tenant":"t"},{"url":"b:443","protocolBinding":"GRPC"}]}`, false, a2aKeys,
			`{"name":"a","supportedInterfaces":[{"url":"https://gw.example/agent","protocolBinding":"JSONRPC","protocolVersion":"1.0","tenant":"t"}]}`, ""},
		{"1.0 with the 0.3 members too", `{"supportedInterfaces":[{"url":"https://b/","protocolBinding":"JSONRPC"}],"url":"https://b/","preferredTransport":"JSONRPC"}`, false, a2aKeys,
			`{"supportedInterfaces":[{"url":"https://gw.example/agent","protocolBinding":"JSONRPC"}],"url":"https://gw.example/agent","preferredTransport":"JSONRPC"}`, ""},
		{"1.0 without JSON-RPC", `{"supportedInterfaces":[{"url":"https://b/","protocolBinding":"GRPC"}]}`, false, a2aKeys, "", "offers no JSONRPC interface"},
		{"1.0 empty interfaces", `{"supportedInterfaces":[]}`, false, a2aKeys, "", "offers no JSONRPC interface"},
		{"1.0 bad interfaces", `{"supportedInterfaces":{"url":"x"}}`, false, a2aKeys, "", "supportedInterfaces: not a list"},
		{"1.0 key required", `{"supportedInterfaces":[{"url":"https://b/","protocolBinding":"JSONRPC"}],"securitySchemes":{"b":{"httpAuthSecurityScheme":{"scheme":"bearer"}}},"securityRequirements":[{"schemes":{"b":{"list":[]}}}]}`, true, a2aKeys,
			`{"supportedInterfaces":[{"url":"https://gw.example/agent","protocolBinding":"JSONRPC"}],"securitySchemes":{"b":{"httpAuthSecurityScheme":{"scheme":"bearer"}},` +
				`"apim-subscription-key-header":{"apiKeySecurityScheme":{"location":"header","name":"Ocp-Apim-Subscription-Key","description":"API Management subscription key"}},` +
				`"apim-subscription-key-query":{"apiKeySecurityScheme":{"location":"query","name":"subscription-key","description":"API Management subscription key"}}},` +
				`"securityRequirements":[{"schemes":{"b":{"list":[]},"apim-subscription-key-header":{"list":[]}}},{"schemes":{"b":{"list":[]},"apim-subscription-key-query":{"list":[]}}}]}`, ""},
		{"1.0 key required, no requirements before", `{"supportedInterfaces":[{"url":"https://b/","protocolBinding":"JSONRPC"}]}`, true, a2aKeys, "", ""},
		{"unknown members kept verbatim", "{\"url\":\"x\", \"x-big\": 12345678901234567890.5e3, \"nested\": {\"a\" : [1, {\"b\":\"\\u00e9\"}]}}", false, a2aKeys,
			"{\"url\":\"https://gw.example/agent\",\"x-big\":12345678901234567890.5e3,\"nested\":{\"a\" : [1, {\"b\":\"\\u00e9\"}]},\"preferredTransport\":\"JSONRPC\"}", ""},
		{"a duplicate url cannot survive", `{"url":"https://evil.example","url":"https://evil2.example","u\u0072l":"https://evil3.example"}`, false, a2aKeys,
			`{"url":"https://gw.example/agent","preferredTransport":"JSONRPC"}`, ""},
		{"case variants of rewritten members go", `{"URL":"https://evil.example","Url":"x","preferredtransport":"GRPC","SECURITY":[],"urlx":1}`, false, a2aKeys,
			`{"urlx":1,"url":"https://gw.example/agent","preferredTransport":"JSONRPC"}`, ""},
		{"no key required: security untouched", `{"securitySchemes":{"b":{"type":"http","scheme":"bearer"}},"security":[{"b":[]}]}`, false, a2aKeys,
			`{"securitySchemes":{"b":{"type":"http","scheme":"bearer"}},"security":[{"b":[]}],"url":"https://gw.example/agent","preferredTransport":"JSONRPC"}`, ""},
		{"key required, no security before", `{"name":"a"}`, true, a2aKeys,
			`{"name":"a","url":"https://gw.example/agent","preferredTransport":"JSONRPC","securitySchemes":{"apim-subscription-key-header":` + hdr + `,"apim-subscription-key-query":` + qry + `},` +
				`"security":[{"apim-subscription-key-header":[]},{"apim-subscription-key-query":[]}]}`, ""},
		{"key required with the backend's requirements", `{"security":[{"oauth":["read"]},{"b":[]}],"securitySchemes":{"oauth":{"type":"oauth2"},"b":{"type":"http","scheme":"bearer"}}}`, true, a2aKeys,
			`{"security":[{"oauth":["read"],"apim-subscription-key-header":[]},{"oauth":["read"],"apim-subscription-key-query":[]},{"b":[],"apim-subscription-key-header":[]},{"b":[],"apim-subscription-key-query":[]}],` +
				`"securitySchemes":{"oauth":{"type":"oauth2"},"b":{"type":"http","scheme":"bearer"},"apim-subscription-key-header":` + hdr + `,"apim-subscription-key-query":` + qry + `},` +
				`"url":"https://gw.example/agent","preferredTransport":"JSONRPC"}`, ""},
		{"the API's own key names", `{}`, true, SubscriptionSettings{Header: "X-Key", Query: "key"}, "", ""},
		{"a scheme of ours in the card is replaced", `{"securitySchemes":{"apim-subscription-key-header":{"type":"apiKey","in":"header","name":"X-Spoof"}}}`, true, a2aKeys, "", ""},
		{"null security", `{"security":null,"securitySchemes":null}`, true, a2aKeys, "", ""},
		{"not an object", `["url"]`, false, a2aKeys, "", "not a JSON object"},
		{"a string", `"url"`, false, a2aKeys, "", "not a JSON object"},
		{"empty", ``, false, a2aKeys, "", "not a JSON object"},
		{"truncated", `{"url":"x",`, false, a2aKeys, "", "not a JSON object"},
		{"two objects", `{"url":"x"}{"url":"y"}`, false, a2aKeys, "", "not a JSON object"},
		{"too deep", `{"a":` + strings.Repeat(`{"a":`, 70) + `1` + strings.Repeat(`}`, 70) + `}`, false, a2aKeys, "", "nested deeper than 64 levels"},
		{"brackets in strings do not count", `{"a":"` + strings.Repeat(`[{`, 100) + `"}`, false, a2aKeys,
			`{"a":"` + strings.Repeat(`[{`, 100) + `","url":"https://gw.example/agent","preferredTransport":"JSONRPC"}`, ""},
		{"bad securitySchemes", `{"securitySchemes":[1]}`, true, a2aKeys, "", "securitySchemes is not an object"},
		{"bad security", `{"security":{"a":[]}}`, true, a2aKeys, "", "security is not a list"},
		{"bad requirement", `{"security":["a"]}`, true, a2aKeys, "", "a security requirement is not an object"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := a2aCard([]byte(c.card), gwRPC, c.key, c.keys)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.want != "" && string(out) != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", out, c.want)
			}
			checkA2ACard(t, out, c.key, c.keys)
		})
	}
}

// checkA2ACard checks what every rewritten card holds.
func checkA2ACard(t *testing.T, out []byte, key bool, keys SubscriptionSettings) {
	t.Helper()
	var card struct {
		URL                  *string `json:"url"`
		PreferredTransport   *string `json:"preferredTransport"`
		AdditionalInterfaces []struct {
			URL, Transport string
		} `json:"additionalInterfaces"`
		SupportedInterfaces []struct {
			URL, ProtocolBinding string
		} `json:"supportedInterfaces"`
	}
	if err := json.Unmarshal(out, &card); err != nil {
		t.Fatalf("the card is not JSON: %v\n%s", err, out)
	}
	v1 := card.SupportedInterfaces != nil
	if (!v1 || card.URL != nil) && (card.URL == nil || *card.URL != gwRPC) {
		t.Errorf("url %v", card.URL)
	}
	if (!v1 || card.PreferredTransport != nil) && (card.PreferredTransport == nil || *card.PreferredTransport != "JSONRPC") {
		t.Errorf("preferredTransport %v", card.PreferredTransport)
	}
	for _, i := range card.AdditionalInterfaces {
		if i.URL != gwRPC || i.Transport != "JSONRPC" {
			t.Errorf("interface %+v", i)
		}
	}
	if v1 && len(card.SupportedInterfaces) == 0 {
		t.Errorf("no supported interface left")
	}
	for _, i := range card.SupportedInterfaces {
		if i.URL != gwRPC || !strings.EqualFold(i.ProtocolBinding, "JSONRPC") {
			t.Errorf("supported interface %+v", i)
		}
	}
	if !key {
		return // the backend's security members, as they were
	}
	var sec struct {
		SecuritySchemes      map[string]json.RawMessage   `json:"securitySchemes"`
		Security             []map[string]json.RawMessage `json:"security"`
		SecurityRequirements []struct {
			Schemes map[string]json.RawMessage
		} `json:"securityRequirements"`
	}
	if err := json.Unmarshal(out, &sec); err != nil {
		t.Fatalf("security members: %v\n%s", err, out)
	}
	for i, name := range []string{a2aKeyHeaderScheme, a2aKeyQueryScheme} {
		in, want := []string{"header", "query"}[i], []string{keys.Header, keys.Query}[i]
		var s struct {
			Type, In, Name string
			APIKey         *struct{ Location, Name string } `json:"apiKeySecurityScheme"`
		}
		if err := json.Unmarshal(sec.SecuritySchemes[name], &s); err != nil {
			t.Fatalf("scheme %s: %v", name, err)
		}
		if v1 {
			if s.APIKey == nil || s.APIKey.Location != in || s.APIKey.Name != want {
				t.Errorf("1.0 scheme %s: %+v", name, s.APIKey)
			}
		} else if s.Type != "apiKey" || s.In != in || s.Name != want {
			t.Errorf("scheme %s: %+v", name, s)
		}
	}
	if v1 {
		if len(sec.SecurityRequirements) == 0 {
			t.Errorf("no securityRequirements")
		}
		for _, r := range sec.SecurityRequirements {
			_, h := r.Schemes[a2aKeyHeaderScheme]
			_, q := r.Schemes[a2aKeyQueryScheme]
			if h == q {
				t.Errorf("requirement %v does not ask for the key one way", r)
			}
		}
		if sec.Security == nil {
			return
		}
	}
	if len(sec.Security) == 0 {
		t.Errorf("no security requirement")
	}
	for _, r := range sec.Security {
		_, h := r[a2aKeyHeaderScheme]
		_, q := r[a2aKeyQueryScheme]
		if h == q {
			t.Errorf("requirement %v does not ask for the key one way", r)
		}
	}
}

func TestJSONRPCMethod(t *testing.T) {
	for in, want := range map[string]string{
		`{"jsonrpc":"2.0","id":1,"method":"message/send","params":{}}`: "message/send",
		`{"params":{"method":"nested"},"method":"message/stream"}`:     "message/stream",
		`{"jsonrpc":"2.0","id":1,"params":{"message":"cut sho`:         "",
		`{"jsonrpc":"2.0","method":"tasks/get"`:                        "tasks/get",
		`[{"method":"batch"}]`:                                         "",
		`{"method":5}`:                                                 "",
		`{"method":"` + strings.Repeat("m", 200) + `"}`:                "",
		`not json`: "",
		``:         "",
	} {
		if got := jsonRPCMethod([]byte(in)); got != want {
			t.Errorf("%.60s: %q, want %q", in, got, want)
		}
	}
}

// FuzzA2AAgentCard: whatever a backend sends, the rewrite either refuses
// it or gives valid JSON whose url, transport and key requirement are
// the gateway's.
func FuzzA2AAgentCard(f *testing.F) {
	for _, s := range []string{
		`{"name":"a","url":"https://b","preferredTransport":"GRPC","additionalInterfaces":[{"url":"x","transport":"GRPC"}]}`,
		`{"securitySchemes":{"b":{"type":"http"}},"security":[{"b":[]}]}`,
		`{"url":"a","url":"b"}`, `{"a":[[[[[]]]]]}`, `{"supportedInterfaces":[{"url":"x","protocolBinding":"JSONRPC"}],"securityRequirements":[{"schemes":{"a":{"list":[]}}}]}`, `{"a":"\u0000\ud800"}`, `[]`, `{`, `{"security":[{}],"securitySchemes":{}}`,
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, key bool) {
		out, err := a2aCard(data, gwRPC, key, a2aKeys)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON out of %q: %s", data, out)
		}
		if bytes.Count(out, []byte(`"url":`)) < 1 {
			t.Fatalf("no url: %s", out)
		}
		checkA2ACard(t, out, key, a2aKeys)
	})
}
