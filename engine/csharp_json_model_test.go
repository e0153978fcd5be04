package engine

import (
	"strings"
	"testing"

	"tollgate/engine/csharp"
)

// TestCSharpJSONModel: JsonConvert.SerializeObject, JObject.FromObject and
// JToken.FromObject of APIM's context objects write them as Json.NET
// writes APIM's: a dictionary (Headers, Query, MatchedParameters,
// Variables, Claims) as a JSON object, an object as its properties in the
// order the context variable reference lists them, null as null, an enum
// as its number, a DateTime in ISO 8601.
func TestCSharpJSONModel(t *testing.T) {
	full := docContextFill(t)
	none := func(s *State) {
		s.ctx.Request.Headers = Headers{"X-A": {"1"}, "Accept": {"a", "b"}}
	}
	for _, tc := range []struct {
		src, want string
		set       func(*State)
	}{
		// the survey's: headers as a dictionary, no subscription as null
		{`JsonConvert.SerializeObject(context.Request.Headers)`, `{"Accept":["a","b"],"X-A":["1"]}`, none},
		{`JsonConvert.SerializeObject(new { s = context.Subscription })`, `{"s":null}`, none},
		{`JsonConvert.SerializeObject(context.Subscription)`, `null`, none},
		{`JsonConvert.SerializeObject(new { s = context.Subscription, u = context.User, p = context.Product, e = context.LastError })`, `{"s":null,"u":null,"p":null,"e":null}`, none},
		{`JObject.FromObject(new { h = context.Request.Headers }).ToString(Formatting.None)`, `{"h":{"Accept":["a","b"],"X-A":["1"]}}`, none},
		{`JToken.FromObject(context.Request.Headers)["Accept"][1].ToString()`, `b`, none},
		{`JObject.FromObject(context.Request.Headers).Count`, `2`, none},
		{`$"{JObject.FromObject(new { a = context.Request.Headers["X-A"] })}"`, "{\n  \"a\": [\n    \"1\"\n  ]\n}", none},
		{`JsonConvert.SerializeObject(new { s = context.Subscription })`, `{"s":{"CreatedDate":"2024-03-01T08:30:00Z","EndDate":"2025-03-02T00:00:00Z","Id":"sub-1","Key":"k3y","Name":"Ada's subscription","PrimaryKey":"","SecondaryKey":"","StartDate":"2024-03-02T00:00:00Z"}}`, full},
		{`JsonConvert.SerializeObject(context.Request.MatchedParameters)`, `{"orderId":"42"}`, full},
		{`JsonConvert.SerializeObject(new { headers = context.Response.Headers, url = context.Request.Url })`,
			`{"headers":{"X-Multi":["a","b"]},"url":{"Host":"gw.example","Path":"/echo/resource","Port":8443,"Query":{"param1":["value1"],"param2":["2"],"x":["a","b"]},"QueryString":"?param1=value1&param2=2&x=a&x=b","Scheme":"https"}}`, full},
		{`JsonConvert.SerializeObject(context.Request.Url.Query)`, `{"param1":["value1"],"param2":["2"],"x":["a","b"]}`, full},
		{`JsonConvert.SerializeObject(context.Api)`, `{"Id":"orders","IsCurrentRevision":true,"Name":"Orders","Path":"/orders","Protocols":["https"],"Revision":"3","ServiceUrl":{"Host":"backend.contoso.example","Path":"/v1","Port":8443,"Query":{},"QueryString":"","Scheme":"https"},"SubscriptionKeyParameterNames":{"Header":"Ocp-Apim-Subscription-Key","Query":"subscription-key"},"Version":"v2"}`, full},
		{`JsonConvert.SerializeObject(context.Operation)`, `{"Id":"get-order","Method":"GET","Name":"Get order","UrlTemplate":"/orders/{orderId}"}`, full},
		{`JsonConvert.SerializeObject(new { p = context.Product.State, l = context.Product.SubscriptionLimit, g = context.Product.Groups })`, `{"p":1,"l":5,"g":[{"Id":"developers","Name":"Developers"}]}`, full},
		{`JObject.FromObject(context.Product)["Apis"][0]["Name"].ToString()`, `Orders`, full},
		{`string.Join(",", JObject.FromObject(context.Product).Properties().Select(p => p.Name))`, `Apis,ApprovalRequired,Groups,Id,Name,State,SubscriptionLimit,SubscriptionRequired`, full},
		{`JsonConvert.SerializeObject(context.User)`, `{"Email":"ada@contoso.example","FirstName":"Ada","Groups":[{"Id":"developers","Name":"Developers"}],"Id":"1","Identities":[{"Id":"ada@contoso.example","Provider":"Basic"}],"LastName":"Lovelace","Note":"first user","RegistrationDate":"2024-03-01T08:30:00Z"}`, full},
		{`JsonConvert.SerializeObject(context.LastError)`, `{"Source":"rate-limit","Reason":"RateLimitExceeded","Message":"Rate limit is exceeded.","Scope":"api","Section":"inbound","Path":"inbound/rate-limit[1]","PolicyId":"limit-1"}`, full},
		{`JsonConvert.SerializeObject(context.Response)`, `{"Body":{},"Headers":{"X-Multi":["a","b"]},"StatusCode":404,"StatusReason":"Not Found"}`, full},
		{`JsonConvert.SerializeObject(context.Workspace)`, `{"Id":"sales","Name":"Sales team"}`, full},
		{`JsonConvert.SerializeObject(new { d = context.Deployment.Gateway, r = context.Deployment.Region })`, `{"d":{"Id":"managed","InstanceId":"managed","IsManaged":true},"r":"West Europe"}`, full},
		{`JObject.FromObject(context.Deployment)["Certificates"][(string)context.Variables["tp"]]["Thumbprint"].ToString() == (string)context.Variables["tp"]`, `true`, full},
		{`JsonConvert.SerializeObject(((string)context.Variables["jwt"]).AsJwt())`, `{"Algorithm":"HS256","Audiences":["api://orders","api://billing"],"Claims":{"aud":["api://orders","api://billing"],"exp":["1893456000"],"iat":["1704067200"],"iss":["https://login.contoso.example/"],"jti":["token-7"],"nbf":["1704067200"],"roles":["reader","writer"],"sub":["ada"]},"ExpirationTime":"2030-01-01T00:00:00Z","Id":"token-7","Issuer":"https://login.contoso.example/","IssuedAt":"2024-01-01T00:00:00Z","NotBefore":"2024-01-01T00:00:00Z","Subject":"ada","Type":"JWT"}`, full},
		{`JsonConvert.SerializeObject("Basic YWxhZGRpbjpvcGVuc2VzYW1l".AsBasic())`, `{"Password":"opensesame","UserId":"aladdin"}`, full},
		{`JsonConvert.SerializeObject(new { c = context.Request.PrivateEndpointConnection, n = "x".AsJwt() })`, `{"c":null,"n":null}`, full},
		{`JsonConvert.SerializeObject(new object[] { context.Operation.Id, context.Workspace })`, `["get-order",{"Id":"sales","Name":"Sales team"}]`, full},
		{`JsonConvert.SerializeObject(context.Variables["resp"])`, `{"Body":{},"Headers":{"Content-Type":["application/json"]},"StatusCode":200,"StatusReason":"OK"}`, nil},
		{`JToken.FromObject(context.Variables)["list"][2].ToString()`, `c`, nil},
		{`JsonConvert.SerializeObject(new { r = MidpointRounding.AwayFromZero })`, `{"r":1}`, nil},
		{`JsonConvert.SerializeObject(context.GraphQL)`, `{"Parent":{"id":"7"},"Arguments":{"first":2}}`, func(s *State) {
			s.ctx.GraphQL = &GraphQL{Parent: jsonObj(t, `{"id":"7"}`), Arguments: jsonObj(t, `{"first":2}`)}
		}},
		{`JsonConvert.SerializeObject(context.Request.Headers, Formatting.Indented)`, "{\n  \"Accept\": [\n    \"a\",\n    \"b\"\n  ],\n  \"X-A\": [\n    \"1\"\n  ]\n}", none},
	} {
		csBothPaths(t, tc.src, tc.want, tc.set)
	}
	// a subscription's key is in its JSON, as in APIM's: the policy chose
	// to write it (context.Subscription.Key gives it too)
	csBothPaths(t, `JObject.FromObject(context.Subscription)["Key"].ToString()`, "k3y", full)
}

// TestCSharpNullModelText: a null context object in a string (interpolated
// or concatenated) is "", as C#'s null is.
func TestCSharpNullModelText(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`$"{context.Subscription}|{context.User}|{context.Product}"`, "||"},
		{`"s=" + context.Subscription`, "s="},
		{`string.Concat(context.LastError, "|")`, "|"},
		{`$"{JsonConvert.SerializeObject(context.Subscription)}"`, "null"},
	} {
		csBothPaths(t, tc.src, tc.want, nil)
	}
}

// TestCSharpJSONModelContent: new JArray(...) and new JProperty(name, ...)
// of a context object stay Json.NET's ArgumentException (JValue's
// constructor takes no such object), FromObject being the way to JSON.
func TestCSharpJSONModelContent(t *testing.T) {
	full := docContextFill(t)
	for _, src := range []string{
		`@(new JArray(context.Request.Headers).ToString())`,
		`@(new JArray(context.Operation, 1).ToString())`,
		`@(new JObject(new JProperty("s", context.Subscription)).ToString())`,
	} {
		_, err, _ := csRun(t, src, full)
		if err == nil || !strings.Contains(err.Error(), "Could not determine JSON object type for type") {
			t.Errorf("%s: %v, want Json.NET's ArgumentException", src, err)
		}
	}
	csBothPaths(t, `JArray.FromObject(context.Product.Groups)[0]["Id"].ToString()`, "developers", full)
}

func jsonObj(t *testing.T, text string) *csharp.JObject {
	t.Helper()
	v, err := csharp.ParseJSON(text)
	if err != nil {
		t.Fatal(err)
	}
	return v.(*csharp.JObject)
}
