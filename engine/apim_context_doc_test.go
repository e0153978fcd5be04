package engine

import (
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The "API Management policy expressions" page's context variable
// reference, member by member, as test data: each member its page lists
// (context, context.Api, .Deployment, .Deployment.Gateway, .GraphQL,
// .LastError, .Operation, .Product, .Request, .Request.Headers,
// .Response, .Subscription, .User, .Workspace, IApi, IGroup,
// IMessageBody, IPrivateEndpointConnection, IUrl, IUrl.Query,
// ISubscriptionKeyParameterNames, IUserIdentity, Variables, AsBasic,
// TryParseBasic, BasicAuthCredentials, AsJwt, TryParseJwt, Jwt,
// Jwt.Claims, Encrypt, Decrypt, VerifyNoRevocation) read by an expression
// whose result is asserted. Each runs lowered and, inside a try block, on
// the interpreter. The page's examples are in
// testdata/apim-docs/expressions.txt (TestAPIMDocExpressions).

// docContextJWT is a token with every claim the page's Jwt lists.
func docContextJWT(t *testing.T) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "ada", "iss": "https://login.contoso.example/", "jti": "token-7", "aud": []string{"api://orders", "api://billing"},
		"exp": 1893456000, "nbf": 1704067200, "iat": 1704067200, "roles": []string{"reader", "writer"},
	})
	s, err := tok.SignedString([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func docContextFill(t *testing.T) func(*State) {
	t.Helper()
	_, _, der, _ := signingCert(t)
	raw, _ := base64.StdEncoding.DecodeString(der)
	leaf, err := x509.ParseCertificate(raw)
	if err != nil {
		t.Fatal(err)
	}
	cert := NewCertificate([]*x509.Certificate{leaf})
	token := docContextJWT(t)
	created := time.Date(2024, 3, 1, 8, 30, 0, 0, time.UTC)
	start := time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
	end := time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC)
	limit := 5
	return func(s *State) {
		api := &Api{Id: "orders", Name: "Orders", Path: "/orders", ServiceUrl: "https://backend.contoso.example:8443/v1",
			Version: "v2", Revision: "3", IsCurrentRevision: true, Protocols: []string{"https"},
			SubscriptionKeyParameterNames: &SubscriptionKeyParameterNames{Header: "Ocp-Apim-Subscription-Key", Query: "subscription-key"}}
		s.ctx.Api = api
		s.ctx.Timestamp = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
		s.SetDeployment(&Deployment{GatewayId: "managed", Region: "West Europe", ServiceName: "contoso", ServiceId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/contoso",
			Gateway: &GatewayInfo{Id: "managed", InstanceId: "managed", IsManaged: true}, Certificates: map[string]*Certificate{cert.Thumbprint: cert}})
		s.SetWorkspace(&Workspace{Id: "sales", Name: "Sales team"})
		s.SetClientCertificate([]*x509.Certificate{leaf})
		s.ctx.Request.MatchedParameters = map[string]string{"orderId": "42"}
		s.ctx.Operation = &Operation{Id: "get-order", Name: "Get order", Method: "GET", UrlTemplate: "/orders/{orderId}"}
		s.ctx.Product = &Product{Id: "starter", Name: "Starter", State: "published", SubscriptionRequired: true, ApprovalRequired: true,
			SubscriptionsLimit: limit, SubscriptionLimit: &limit, Apis: []*Api{api}, Groups: []*Group{{Id: "developers", Name: "Developers"}}}
		s.ctx.Subscription = &Subscription{Id: "sub-1", Name: "Ada's subscription", Key: "k3y", CreatedDate: created, StartDate: &start, EndDate: &end}
		s.ctx.User = &User{Id: "1", Email: "ada@contoso.example", FirstName: "Ada", LastName: "Lovelace", Note: "first user",
			RegistrationDate: created, Groups: []*Group{{Id: "developers", Name: "Developers"}},
			Identities: []*UserIdentity{{Id: "ada@contoso.example", Provider: "Basic"}}}
		s.ctx.LastError = &LastError{Source: "rate-limit", Reason: "RateLimitExceeded", Message: "Rate limit is exceeded.",
			Scope: "api", Section: "inbound", Path: "inbound/rate-limit[1]", PolicyId: "limit-1"}
		s.SetResponse(&Response{StatusCode: 404, StatusReason: "Not Found", Headers: Headers{"X-Multi": {"a", "b"}},
			Body: NewBody([]byte(`[{"id":1},{"id":2}]`))})
		v := s.Variables()
		v["tp"], v["jwt"] = cert.Thumbprint, token
	}
}

func TestAPIMContextReference(t *testing.T) {
	fill := docContextFill(t)
	for _, tc := range []struct{ src, want string }{
		// context
		{`context.Api.Name`, "Orders"},
		{`context.Elapsed >= TimeSpan.Zero`, "true"},
		{`context.GraphQL == null`, "true"}, // a resolver's (Parent, Arguments, GraphQLArguments): engine/graphql_context_test.go
		{`context.RequestId.ToString()`, "5b8a0e6c-7d7b-4d7e-9a8a-0a6e2c1d3f4e"},
		{`context.Timestamp.ToString("o")`, "2024-05-06T07:08:09.0000000Z"},
		{`context.Tracing`, "false"},
		{`context.Variables["s"]`, "hello"},
		{`context.Variables.GetValueOrDefault<int>("n", 0)`, "42"},
		{`context.Variables.GetValueOrDefault<int>("missing", 7)`, "7"},
		{`context.Variables.GetValueOrDefault<string>("missing")`, "null"},
		{`context.Timestamp.Kind.ToString()`, "Utc"},
		// context.Api
		{`context.Api.Id + "|" + context.Api.IsCurrentRevision + "|" + context.Api.Path + "|" + context.Api.Revision + "|" + context.Api.Version`, "orders|True|/orders|3|v2"},
		{`context.Api.ServiceUrl.Host + ":" + context.Api.ServiceUrl.Port + context.Api.ServiceUrl.Path`, "backend.contoso.example:8443/v1"},
		// context.Deployment and .Gateway
		{`context.Deployment.GatewayId + "|" + context.Deployment.Region + "|" + context.Deployment.ServiceName`, "managed|West Europe|contoso"},
		{`context.Deployment.ServiceId`, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/contoso"},
		{`context.Deployment.Gateway.Id + "|" + context.Deployment.Gateway.InstanceId + "|" + context.Deployment.Gateway.IsManaged`, "managed|managed|True"},
		{`context.Deployment.Certificates[(string)context.Variables["tp"]].Subject`, "CN=tollgate signer"},
		// context.LastError
		{`context.LastError.Source + "|" + context.LastError.Reason + "|" + context.LastError.Message + "|" + context.LastError.Scope + "|" + context.LastError.Section + "|" + context.LastError.Path + "|" + context.LastError.PolicyId`,
			"rate-limit|RateLimitExceeded|Rate limit is exceeded.|api|inbound|inbound/rate-limit[1]|limit-1"},
		// context.Operation
		{`context.Operation.Id + "|" + context.Operation.Method + "|" + context.Operation.Name + "|" + context.Operation.UrlTemplate`, "get-order|GET|Get order|/orders/{orderId}"},
		// context.Product (and IApi, IGroup through it)
		{`context.Product.ApprovalRequired + "|" + context.Product.Id + "|" + context.Product.Name + "|" + context.Product.SubscriptionRequired`, "True|starter|Starter|True"},
		{`context.Product.Groups.First().Id + "|" + context.Product.Groups.First().Name`, "developers|Developers"},
		{`context.Product.SubscriptionLimit.Value`, "5"},
		// the page's current name: "SubscriptionsLimit: int?"
		{`context.Product.SubscriptionsLimit.HasValue + "|" + context.Product.SubscriptionsLimit.Value`, "True|5"},
		// "State: enum ProductState {NotPublished, Published}"
		{`context.Product.State.ToString()`, "Published"},
		{`context.Product.State == ProductState.Published && context.Product.State != ProductState.NotPublished`, "true"},
		{`(int)context.Product.State`, "1"},
		{`context.Product.Apis.First().Id + "|" + context.Product.Apis.First().Name + "|" + context.Product.Apis.First().Path + "|" + string.Join(",", context.Product.Apis.First().Protocols) + "|" + context.Product.Apis.First().ServiceUrl.Scheme`, "orders|Orders|/orders|https|https"},
		{`context.Product.Apis.First().SubscriptionKeyParameterNames.Header + "|" + context.Product.Apis.First().SubscriptionKeyParameterNames.Query`, "Ocp-Apim-Subscription-Key|subscription-key"},
		// context.Request
		{`context.Request.Method + "|" + context.Request.IpAddress + "|" + context.Request.MatchedParameters["orderId"]`, "POST|10.0.0.7|42"},
		{`context.Request.Headers.GetValueOrDefault("X-Multi", "none") + "|" + context.Request.Headers.GetValueOrDefault("X-Absent", "none")`, "a,b|none"},
		{`context.Request.Headers["X-Multi"].Length`, "2"},
		{`context.Request.Certificate.Subject`, "CN=tollgate signer"},
		{`context.Request.OriginalUrl.ToString()`, "https://gw.example:8443/echo/resource?param1=value1&param2=2&x=a&x=b"},
		{`context.Request.PrivateEndpointConnection == null`, "true"},
		{`context.Request.PrivateEndpointConnection?.Name ?? context.Request.PrivateEndpointConnection?.GroupId ?? context.Request.PrivateEndpointConnection?.MemberName ?? "none"`, "none"},
		// IUrl and IUrl.Query
		{`context.Request.Url.Scheme + "|" + context.Request.Url.Host + "|" + context.Request.Url.Port + "|" + context.Request.Url.Path + "|" + context.Request.Url.QueryString`, "https|gw.example|8443|/echo/resource|?param1=value1&param2=2&x=a&x=b"},
		{`context.Request.Url.Query["x"].Length + "|" + context.Request.Url.Query.GetValueOrDefault("x", "") + "|" + context.Request.Url.Query.GetValueOrDefault("y", "none")`, "2|a,b|none"},
		// context.Response
		{`context.Response.StatusCode + " " + context.Response.StatusReason + "|" + context.Response.Headers.GetValueOrDefault("X-Multi", "") + "|" + context.Response.Headers.GetValueOrDefault("X-Absent", "none")`, "404 Not Found|a,b|none"},
		// context.Subscription
		{`context.Subscription.Id + "|" + context.Subscription.Name + "|" + context.Subscription.Key + "|" + context.Subscription.CreatedDate.ToString("s") + "|" + context.Subscription.StartDate.Value.ToString("d", CultureInfo.InvariantCulture) + "|" + context.Subscription.EndDate?.Year`,
			"sub-1|Ada's subscription|k3y|2024-03-01T08:30:00|03/02/2024|2025"},
		// context.User and IUserIdentity
		{`context.User.Email + "|" + context.User.FirstName + "|" + context.User.LastName + "|" + context.User.Id + "|" + context.User.Note + "|" + context.User.RegistrationDate.Year`, "ada@contoso.example|Ada|Lovelace|1|first user|2024"},
		{`context.User.Groups.Single().Name + "|" + context.User.Identities.First().Id + "|" + context.User.Identities.First().Provider`, "Developers|ada@contoso.example|Basic"},
		// context.Workspace
		{`context.Workspace.Id + "|" + context.Workspace.Name`, "sales|Sales team"},
		// IMessageBody: As<T> for each T the page lists, preserveContent, AsFormUrlEncodedContent
		{`context.Request.Body.As<string>(preserveContent: true).Length`, "90"},
		{`context.Request.Body.As<byte[]>(true).Length`, "90"},
		{`(string)context.Request.Body.As<JObject>()["name"]`, "Ada"},
		{`(int)context.Request.Body.As<JToken>()["age"]`, "36"},
		{`context.Response.Body.As<JArray>().Count`, "2"},
		// AsBasic, TryParseBasic, BasicAuthCredentials
		{`context.Request.Headers.GetValueOrDefault("Authorization", "").AsBasic().UserId + ":" + context.Request.Headers.GetValueOrDefault("Authorization", "").AsBasic().Password`, "user:pass"},
		{`"Bearer x".AsBasic() == null`, "true"},
		{`context.Request.Headers.GetValueOrDefault("Authorization", "").TryParseBasic(out var c) ? c.UserId : "none"`, "user"},
		// AsJwt, TryParseJwt, Jwt, Jwt.Claims
		{`((string)context.Variables["jwt"]).AsJwt().Algorithm + "|" + ((string)context.Variables["jwt"]).AsJwt().Type + "|" + ((string)context.Variables["jwt"]).AsJwt().Id + "|" + ((string)context.Variables["jwt"]).AsJwt().Issuer + "|" + ((string)context.Variables["jwt"]).AsJwt().Subject`,
			"HS256|JWT|token-7|https://login.contoso.example/|ada"},
		{`string.Join(",", ((string)context.Variables["jwt"]).AsJwt().Audiences)`, "api://orders,api://billing"},
		{`((string)context.Variables["jwt"]).AsJwt().ExpirationTime.Value.ToString("s") + "|" + ((string)context.Variables["jwt"]).AsJwt().NotBefore.Value.ToString("s") + "|" + ((string)context.Variables["jwt"]).AsJwt().IssuedAt.Value.ToString("s")`,
			"2030-01-01T00:00:00|2024-01-01T00:00:00|2024-01-01T00:00:00"},
		{`((string)context.Variables["jwt"]).AsJwt().Claims["roles"].Length + "|" + ((string)context.Variables["jwt"]).AsJwt().Claims.GetValueOrDefault("roles", "") + "|" + ((string)context.Variables["jwt"]).AsJwt().Claims.GetValueOrDefault("tid", "none")`, "2|reader,writer|none"},
		{`"not a token".AsJwt() == null`, "true"},
		{`((string)context.Variables["jwt"]).TryParseJwt(out var j) ? j.Subject : "none"`, "ada"},
		{`"x.y".TryParseJwt(out Jwt j) ? "yes" : "no"`, "no"},
		// VerifyNoRevocation: the self-signed certificate chains to no trusted root
		{`context.Request.Certificate.VerifyNoRevocation()`, "false"},
		// Encrypt and Decrypt, the three overloads each (OpenSSL's cipher
		// text: printf secret | openssl enc -aes-128-cbc -K 0… -iv 0… | base64)
		{`Convert.ToBase64String(Encoding.UTF8.GetBytes("secret").Encrypt("Aes", new byte[16], new byte[16]))`, "HWqEqL2vZ3XK4bXvH3zRWA=="},
		{`Encoding.UTF8.GetString(Convert.FromBase64String("HWqEqL2vZ3XK4bXvH3zRWA==").Decrypt("Aes", new byte[16], new byte[16]))`, "secret"},
	} {
		csBothPaths(t, tc.src, tc.want, fill)
	}
	// Members the page lists that tollgate does not have (docs/expressions-csharp.md
	// says why): a load error at the member, naming it.
	for _, src := range []string{
		`@(context.Deployment.SustainabilityInfo.CurrentCarbonIntensity.ToString())`,
	} {
		name := strings.Split(src, ".")[2]
		name = strings.TrimSuffix(name, ")")
		if _, _, errs := csCompile(t, src); len(errs) == 0 || !strings.Contains(errs.Error(), "does not contain a definition for '"+name+"'") {
			t.Errorf("%s: %v, want a load error naming %s", src, errs, name)
		}
	}
	// The types table allows SymmetricAlgorithm's members "except
	// parameterless Create()", and XDocument's "except Load".
	for src, want := range map[string]string{
		`@(SymmetricAlgorithm.Create() == null)`: "no overload for method 'Create' takes 0 arguments",
		`@(XDocument.Load("order.xml"))`:         "'XDocument' does not contain a definition for 'Load' (or it is not allowed in policy expressions)",
	} {
		if _, _, errs := csCompile(t, src); len(errs) == 0 || !strings.Contains(errs.Error(), want) {
			t.Errorf("%s: %v, want a load error with %q", src, errs, want)
		}
	}
	// GetValueOrDefault<T> "throws an exception if the specified type
	// doesn't match the actual type of the returned variable"
	for _, src := range []string{`@(context.Variables.GetValueOrDefault<int>("s"))`, `@(context.Variables.GetValueOrDefault<bool>("s", false))`} {
		if _, err, _ := csRun(t, src, fill); err == nil || !strings.Contains(err.Error(), "Unable to cast object of type 'System.String'") {
			t.Errorf("%s: %v, want an InvalidCastException", src, err)
		}
	}
	// The SymmetricAlgorithm overloads (key and IV set on the algorithm,
	// or given): 256-bit AES by default, as .NET Framework's.
	for _, tc := range []struct{ src, want string }{
		{`using (var a = SymmetricAlgorithm.Create("Aes")) { a.Key = new byte[32]; a.IV = new byte[16]; return Convert.ToBase64String(Encoding.UTF8.GetBytes("secret").Encrypt(a)); }`, "4gLIrZreSUl9LCrYSPMJzw=="},
		{`using (var a = SymmetricAlgorithm.Create("Aes")) { a.Key = new byte[32]; a.IV = new byte[16]; return Encoding.UTF8.GetString(Convert.FromBase64String("4gLIrZreSUl9LCrYSPMJzw==").Decrypt(a)); }`, "secret"},
		{`using (var a = SymmetricAlgorithm.Create("Aes")) { return Convert.ToBase64String(Encoding.UTF8.GetBytes("secret").Encrypt(a, new byte[32], new byte[16])); }`, "4gLIrZreSUl9LCrYSPMJzw=="},
		{`using (var a = SymmetricAlgorithm.Create("Aes")) { return Encoding.UTF8.GetString(Convert.FromBase64String("4gLIrZreSUl9LCrYSPMJzw==").Decrypt(a, new byte[32], new byte[16])); }`, "secret"},
	} {
		csBothBlocks(t, tc.src, tc.want, fill)
	}
	for _, tc := range []struct{ src, want string }{
		// void Trace(message: string), a statement
		{`context.Trace("checked"); return "traced";`, "traced"},
	} {
		csBothBlocks(t, tc.src, tc.want, fill)
	}
	xml := func(s *State) {
		fill(s)
		s.ctx.Request.Body = NewBody([]byte(`<order id="7"><item/><item/></order>`))
	}
	for _, tc := range []struct{ src, want string }{
		{`context.Request.Body.As<XNode>(preserveContent: true).NodeType.ToString()`, "Element"},
		{`context.Request.Body.As<XElement>(true).Attribute("id").Value`, "7"},
		{`context.Request.Body.As<XDocument>().Root.Elements().Count()`, "2"},
	} {
		csBothPaths(t, tc.src, tc.want, xml)
	}
	form := func(s *State) {
		fill(s)
		s.ctx.Request.Body = NewBody([]byte("name=Ada&tag=a&tag=b"))
	}
	for _, tc := range []struct{ src, want string }{
		{`context.Request.Body.AsFormUrlEncodedContent(preserveContent: true)["tag"].Count`, "2"},
		{`JsonConvert.SerializeObject(context.Request.Body.AsFormUrlEncodedContent())`, `{"name":["Ada"],"tag":["a","b"]}`},
		{`context.Request.Body.AsFormUrlEncodedContent().ToFormUrlEncodedContent()`, "name=Ada&tag=a&tag=b"},
		{`context.Request.Body.AsFormUrlEncodedContent().ToQueryString()`, "name=Ada&tag=a&tag=b"},
	} {
		csBothPaths(t, tc.src, tc.want, form)
	}
}

// The same page's table of .NET types, where it lists members rather than
// "All": each listed member read, its result asserted. (The types it
// allows whole are the subject of the other csharp_*_test.go files.)
func TestAPIMTypesTableListedMembers(t *testing.T) {
	_, _, der, _ := signingCert(t)
	cert := func(s *State) { s.Variables()["der"] = der }
	for _, tc := range []struct{ src, want string }{
		// System.DateTime: (Constructor), Add, AddDays, AddHours, AddMilliseconds,
		// AddMinutes, AddMonths, AddSeconds, AddTicks, AddYears, Date, Day,
		// DayOfWeek, DayOfYear, DaysInMonth, Hour, IsDaylightSavingTime,
		// IsLeapYear, MaxValue, Millisecond, Minute, MinValue, Month, Now,
		// Parse, Second, Subtract, Ticks, TimeOfDay, Today, ToString, UtcNow, Year
		{`new DateTime(2024, 1, 31, 22, 30, 15, 250).Add(TimeSpan.FromHours(1)).AddDays(1).AddHours(1).AddMilliseconds(500).AddMinutes(1).AddMonths(1).AddSeconds(1).AddYears(1).ToString("yyyy-MM-dd HH:mm:ss.fff")`, "2025-03-02 00:31:16.750"},
		{`new DateTime(2024, 3, 10, 13, 4, 5, 6).AddTicks(10).Ticks`, "638456726450060010"},
		{`new DateTime(2024, 3, 10, 13, 4, 5, 6).Date.ToString("s") + "|" + new DateTime(2024, 3, 10, 13, 4, 5, 6).TimeOfDay`, "2024-03-10T00:00:00|13:04:05.0060000"},
		{`new DateTime(2024, 3, 10, 13, 4, 5, 6).Year + "|" + new DateTime(2024, 3, 10, 13, 4, 5, 6).Month + "|" + new DateTime(2024, 3, 10, 13, 4, 5, 6).Day + "|" + new DateTime(2024, 3, 10, 13, 4, 5, 6).Hour + "|" + new DateTime(2024, 3, 10, 13, 4, 5, 6).Minute + "|" + new DateTime(2024, 3, 10, 13, 4, 5, 6).Second + "|" + new DateTime(2024, 3, 10, 13, 4, 5, 6).Millisecond`, "2024|3|10|13|4|5|6"},
		{`new DateTime(2024, 3, 10).DayOfWeek + "|" + new DateTime(2024, 3, 10).DayOfYear + "|" + DateTime.DaysInMonth(2024, 2) + "|" + DateTime.IsLeapYear(2100)`, "Sunday|70|29|False"},
		{`new DateTime(2024, 7, 1, 0, 0, 0, DateTimeKind.Utc).IsDaylightSavingTime()`, "false"},
		{`DateTime.MaxValue.Year + "|" + DateTime.MinValue.Ticks`, "9999|0"},
		{`new DateTime(2024, 3, 10, 1, 0, 0).Subtract(new DateTime(2024, 3, 9)).TotalHours + "|" + new DateTime(2024, 3, 10).Subtract(TimeSpan.FromDays(10)).Day`, "25|29"},
		{`DateTime.Parse("2024-03-10T01:02:03Z").ToUniversalTime().ToString("o")`, "2024-03-10T01:02:03.0000000Z"},
		{`DateTime.Now.Kind + "|" + DateTime.Today.Kind + "|" + DateTime.UtcNow.Kind + "|" + (DateTime.Today <= DateTime.Now)`, "Local|Local|Utc|True"},
		// System.DateTimeKind: Utc
		{`DateTimeKind.Utc.ToString()`, "Utc"},
		// System.Net.IPAddress: AddressFamily, Equals, GetAddressBytes, IsLoopback, Parse, TryParse, ToString
		{`IPAddress.Parse("10.0.0.1").AddressFamily + "|" + IPAddress.Parse("::1").AddressFamily`, "InterNetwork|InterNetworkV6"},
		{`IPAddress.Parse("10.0.0.1").Equals(IPAddress.Parse("10.0.0.1")) + "|" + string.Join(".", IPAddress.Parse("10.0.0.1").GetAddressBytes())`, "True|10.0.0.1"},
		{`IPAddress.IsLoopback(IPAddress.Parse("127.0.0.1")) + "|" + IPAddress.IsLoopback(IPAddress.Parse("10.0.0.1"))`, "True|False"},
		{`(IPAddress.TryParse("10.0.0.256", out var ip) ? "yes" : "no") + "|" + IPAddress.Parse("::FFFF:10.0.0.1").ToString()`, "no|::ffff:10.0.0.1"},
		// Newtonsoft.Json.JsonConvert: SerializeObject, DeserializeObject
		{`JsonConvert.SerializeObject(JsonConvert.DeserializeObject<JObject>("{\"a\": [1, 2]}"))`, `{"a":[1,2]}`},
		{`((JObject)JsonConvert.DeserializeObject("{\"a\": 1}"))["a"].ToString()`, "1"},
		// System.Text.RegularExpressions: Capture (Index, Length, Value),
		// CaptureCollection (Count, Item), Group (Captures, Success),
		// GroupCollection (Count, Item), Match (Empty, Groups, Result),
		// Regex ((Constructor), IsMatch, Match, Matches, Replace, Unescape, Split)
		{`Regex.Match("ab12", @"(\d)(\d)").Groups[2].Captures[0].Index + "|" + Regex.Match("ab12", @"(\d)(\d)").Groups[2].Captures[0].Length + "|" + Regex.Match("ab12", @"(\d)(\d)").Groups[2].Captures[0].Value + "|" + Regex.Match("ab12", @"(\d)(\d)").Groups[2].Captures.Count`, "3|1|2|1"},
		{`Regex.Match("ab12", @"(\d)(?<second>\d)").Groups.Count + "|" + Regex.Match("ab12", @"(\d)(?<second>\d)").Groups["second"].Success + "|" + Regex.Match("ab12", @"(\d)(?<second>\d)").Result("$2$1")`, "3|True|21"},
		{`Match.Empty.Success + "|" + (Regex.Match("abc", "x") == Match.Empty)`, "False|True"},
		{`new Regex("b+").IsMatch("abbc") + "|" + new Regex("b+").Match("abbc").Value + "|" + new Regex("b+").Matches("abcb").Count + "|" + new Regex("b+").Replace("abbc", "-") + "|" + string.Join(",", new Regex("[,;]").Split("a,b;c")) + "|" + Regex.Unescape(@"a\tb").Length`, "True|bb|2|a-c|a,b,c|3"},
		// X500DistinguishedName: Name
		{`new X509Certificate2(Convert.FromBase64String((string)context.Variables["der"])).SubjectName.Name`, "CN=tollgate signer"},
	} {
		csBothPaths(t, tc.src, tc.want, cert)
	}
	// System.Enum: Parse, TryParse, ToString, on the enum types tollgate
	// has (csharp_enum_test.go has the rest); another type is a load error.
	for _, tc := range []struct{ src, want string }{
		{`Enum.Parse(typeof(CipherMode), "cbc", true).ToString()`, "CBC"},
		{`Enum.TryParse<UriPartial>("Path", out var p) ? p.ToString() : "no"`, "Path"},
	} {
		csBothPaths(t, tc.src, tc.want, cert)
	}
	for src, want := range map[string]string{
		`@(Enum.Parse(typeof(DayOfWeek), "Monday").ToString())`:           "'DayOfWeek' is not one of them",
		`@(Enum.TryParse<DayOfWeek>("Friday", out var d) ? "yes" : "no")`: "'DayOfWeek' is not one of them",
	} {
		if _, _, errs := csCompile(t, src); len(errs) == 0 || !strings.Contains(errs.Error(), want) {
			t.Errorf("%s: %v, want a load error with %q", src, errs, want)
		}
	}
}
