package policies

import (
	"testing"
)

// TestJSONNullBranches runs policies over a backend answer whose "error" is
// a JSON null. In APIM (Json.NET) body["error"] is a JValue null, which is
// not C#'s null: `body["error"] != null` takes the branch, its Type is
// JTokenType.Null and (string) of it is null (Src/Newtonsoft.Json/Linq/
// JToken.cs). A JObject variable holding one reads as nil in Liquid and
// writes null in its JSON.
func TestJSONNullBranches(t *testing.T) {
	const policy = `
<set-variable name="body" value="@(context.Response.Body.As<JObject>(preserveContent: true))" />
<choose>
  <when condition="@(((JObject)context.Variables[&quot;body&quot;])[&quot;error&quot;] != null)">
    <set-header name="X-Branch" exists-action="override"><value>error</value></set-header>
  </when>
  <otherwise>
    <set-header name="X-Branch" exists-action="override"><value>ok</value></set-header>
  </otherwise>
</choose>
<set-header name="X-Error-Type" exists-action="override">
  <value>@{ var e = ((JObject)context.Variables["body"])["error"]; return e == null ? "missing" : e.Type.ToString(); }</value>
</set-header>
<set-header name="X-Error-Text" exists-action="override">
  <value>@((string)((JObject)context.Variables["body"])["error"] ?? "none")</value>
</set-header>
<set-body template="liquid">{{context.Variables.body}}|{{context.Variables.body.error}}|{% if context.Variables.body.error == nil %}nil{% else %}set{% endif %}</set-body>`
	for _, tc := range []struct{ name, body, branch, typ, text, liquid string }{
		{"JSON null", `{"error":null,"data":1}`, "error", "Null", "none", `{"data":1,"error":null}||nil`},
		{"missing", `{"data":1}`, "ok", "missing", "none", `{"data":1}||nil`},
		{"set", `{"error":"boom","data":1}`, "error", "String", "boom", `{"data":1,"error":"boom"}|boom|set`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := runOutbound(t, policy, "http://gw/orders", nil, tc.body, "Content-Type", "application/json")
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range []struct{ name, want string }{{"X-Branch", tc.branch}, {"X-Error-Type", tc.typ}, {"X-Error-Text", tc.text}} {
				if got := r.Headers.GetValueOrDefault(h.name, "<none>"); got != h.want {
					t.Errorf("%s = %q, want %q", h.name, got, h.want)
				}
			}
			if got := bodyOf(t, r); got != tc.liquid {
				t.Errorf("body = %q, want %q", got, tc.liquid)
			}
		})
	}
}

// TestJSONNullAsText: a policy that takes an expression's value as text
// reads a JValue null as its ToString(), "".
func TestJSONNullAsText(t *testing.T) {
	r, err := runOutbound(t, `<set-header name="X-Raw" exists-action="override"><value>@(context.Response.Body.As<JObject>(preserveContent: true)["error"].ToString(Newtonsoft.Json.Formatting.None))</value></set-header>
<set-body>@("[" + context.Response.Body.As<JObject>()["error"] + "]")</set-body>`,
		"http://gw/orders", nil, `{"error":null}`, "Content-Type", "application/json")
	if err != nil {
		t.Fatal(err)
	}
	if got := bodyOf(t, r); got != "[]" {
		t.Errorf("body = %q, want []", got)
	}
	if got := r.Headers.GetValueOrDefault("X-Raw", "<none>"); got != "null" {
		t.Errorf("X-Raw = %q, want null", got)
	}
}

// TestCacheJSONNull: a JValue null cached by cache-store-value comes back as
// one (not C#'s null, which a lookup could not tell from a miss).
func TestCacheJSONNull(t *testing.T) {
	d := testDeps()
	store := compile(t, d, `<cache-store-value key="n" value="@(JObject.Parse(&quot;{\&quot;e\&quot;:null}&quot;)[&quot;e&quot;])" duration="60"/>`)
	s := request("ws://gw/chat")
	if runInbound(store, s) {
		t.Fatalf("store: %+v", s.LastError())
	}
	s.Release()
	lookup := compile(t, d, `<cache-lookup-value key="n" variable-name="n" default-value="miss"/>
<set-variable name="out" value="@{ var n = context.Variables[&quot;n&quot;]; return (n != null) + &quot; &quot; + ((JToken)n).Type; }"/>`)
	s = request("ws://gw/chat")
	defer s.Release()
	if runInbound(lookup, s) {
		t.Fatalf("lookup: %+v", s.LastError())
	}
	if got, want := s.Variables()["out"], "True Null"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
