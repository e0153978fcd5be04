package policies

import "testing"

// TestKeepsRequestBody: the compiler knows at load whether a section run
// after the forward (outbound, on-error) needs the client's body: it copies
// the request (send-request or send-one-way-request mode="copy") or an
// expression there reads context.Request.Body (C# or expr, through a local,
// nested in choose), or a section before it keeps the body itself in a
// variable; a read in inbound or of the response's body does not keep it.
func TestKeepsRequestBody(t *testing.T) {
	for _, tc := range []struct {
		name, policy string
		want         bool
	}{
		{"nothing", `<outbound><set-header name="a" exists-action="override"><value>b</value></set-header></outbound>`, false},
		{"inbound reads it", `<inbound><set-variable name="b" value="@(context.Request.Body.As<string>())"/></inbound>`, false},
		{"outbound reads the response", `<outbound><set-body>@(context.Response.Body.As<string>() + context.Request.Url.Path)</set-body></outbound>`, false},
		{"outbound reads it", `<outbound><set-variable name="b" value="@(context.Request.Body.As<string>(preserveContent: true))"/></outbound>`, true},
		{"null-conditional", `<outbound><set-variable name="b" value="@(context.Request?.Body?.As<JObject>())"/></outbound>`, true},
		{"through a local", `<outbound><set-variable name="b" value="@{ var r = context.Request; return r.Body.As<string>(); }"/></outbound>`, true},
		{"a cast variable", `<outbound><set-variable name="b" value="@(((IRequest)context.Variables[&quot;r&quot;]).Body.As<string>())"/></outbound>`, true},
		{"nested in choose", `<outbound><choose><when condition="@(true)"><set-body>@(context.Request.Body.As<string>())</set-body></when></choose></outbound>`, true},
		{"a when's condition", `<outbound><choose><when condition="@(context.Request.Body.As<string>() == &quot;x&quot;)"><set-status code="400"/></when></choose></outbound>`, true},
		{"expr-lang", `<outbound><set-body>@(context.Request.Body.AsString())</set-body></outbound>`, true},
		{"on-error reads it", `<on-error><set-body>@(context.Request.Body.As<string>())</set-body></on-error>`, true},
		{"send-request copy", `<on-error><send-request mode="copy" response-variable-name="r"/></on-error>`, true},
		{"send-one-way-request copy", `<outbound><send-one-way-request mode="copy"><set-url>http://example.com/audit</set-url></send-one-way-request></outbound>`, true},
		{"inbound keeps the body in a variable", `<inbound><set-variable name="b" value="@(context.Request.Body)"/></inbound>`, true},
		{"inbound keeps it as an object", `<inbound><set-variable name="b" value="@((object)context.Request.Body)"/></inbound>`, true},
		{"backend keeps it", `<backend><set-variable name="b" value="@(context.Request.Body)"/><forward-request/></backend>`, true},
		{"inbound keeps its text", `<inbound><set-variable name="b" value="@(context.Request.Body.As<JObject>(preserveContent: true))"/></inbound>`, false},
		{"send-one-way-request new", `<outbound><send-one-way-request mode="new"><set-url>http://example.com/audit</set-url></send-one-way-request></outbound>`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := compile(t, testDeps(), `<policies>`+tc.policy+`</policies>`)
			if got := plan.KeepsRequestBody(); got != tc.want {
				t.Errorf("KeepsRequestBody() = %v, want %v", got, tc.want)
			}
		})
	}
}
