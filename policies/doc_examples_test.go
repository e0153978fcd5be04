package policies

import "testing"

func TestDocExamplesCompile(t *testing.T) {
	compile(t, testDeps(), `
<set-variable name="user" value="@(asJwt(context.Request.Headers.GetValueOrDefault("Authorization",""))?.Subject ?? "anonymous")"/>
<set-header name="X-Signature" exists-action="override">
  <value>@(hmacSha256("k", context.Request.Url.Path + context.Timestamp.Format("2006-01-02T15:04:05Z")))</value>
</set-header>
<set-variable name="claims" value="@(toJSON(asJwt(context.Request.Url.Query.GetValueOrDefault("access_token","")).Claims))"/>
<set-variable name="a" value="@(split("a,b", ",")[0] + upper("x") + trimPrefix("xy", "x") + string(hasPrefix("ab","a")) + guid() + toBase64("s"))"/>
<set-variable name="b" value="@{ let a = 1; let b = 2; return a + b; }"/>
<send-message to="backend">@("{\"protocol\":\"json\",\"version\":1}\u001e")</send-message>
`)
}
