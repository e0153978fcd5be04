package policies

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tollgate/engine"
)

// TestPlanMayBlock: which plans a server may run on an event loop thread
// (engine.Plan.MayBlock is false) and which must go to a goroutine of their
// own. Policies are APIM's documented examples where there is one (the
// files of testdata/apim-docs, and the examples of the policy reference
// pages as written: rate-limit, rate-limit-by-key, quota, quota-by-key,
// cache-lookup-value, set-query-parameter, set-backend-service,
// check-header, ip-filter, return-response, wait, ...).
func TestPlanMayBlock(t *testing.T) {
	doc := func(name string) string {
		data, err := os.ReadFile(filepath.Join("testdata/apim-docs", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	in := func(s string) string { return "<policies><inbound>" + s + "</inbound></policies>" }
	back := func(s string) string { return "<policies><backend>" + s + "</backend></policies>" }
	out := func(s string) string { return "<policies><outbound>" + s + "</outbound></policies>" }
	onErr := func(s string) string { return "<policies><on-error>" + s + "</on-error></policies>" }

	memory := func(*testing.T) Deps { return testDeps() }
	redis := func(t *testing.T) Deps { return Deps{Store: startRedis(t)} }
	metrics := func(*testing.T) Deps { d := testDeps(); d.Metrics = &fakeMetrics{}; return d }
	loggers := func(t *testing.T) Deps {
		ls, err := LoadLoggers(writeLoggers(t, `<loggers><logger id="console" type="stdout"/></loggers>`), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		d := testDeps()
		d.Loggers = ls
		return d
	}
	entra := func(*testing.T) Deps { d := testDeps(); d.EntraAuthority = "https://login.example.com"; return d }
	identity := func(t *testing.T) Deps { return identityDeps(newFakeTokenEndpoint(t, 3600)) }

	const sendRequest = `<send-request mode="new" response-variable-name="r" timeout="20" ignore-error="true">
    <set-url>https://example.com/introspection</set-url>
    <set-method>POST</set-method>
</send-request>`
	for _, tc := range []struct {
		name  string
		deps  func(*testing.T) Deps
		src   string
		block bool
	}{
		// Never block.
		{"set-variable (docs)", memory, in(doc("set-variable.xml")), false},
		{"set-header (docs)", memory, in(doc("set-header-context.xml")), false},
		{"choose, set-body (docs)", memory, out(doc("choose-product-filter.outbound.xml")), false},
		{"trace (docs)", memory, in(doc("trace-legacy.xml")), false},
		{"trace", memory, in(`<trace source="PetStore API" severity="verbose"><message>@(context.Request.Method)</message><metadata name="Operation Name" value="New-Order"/></trace>`), false},
		{"set-query-parameter", memory, in(`<set-query-parameter name="api-key" exists-action="skip"><value>12345678901</value></set-query-parameter>`), false},
		{"rewrite-uri", memory, in(`<rewrite-uri template="/put" />`), false},
		{"set-backend-service", memory, in(`<set-backend-service base-url="http://contoso.com/api/8.2/" />`), false},
		{"return-response", memory, in(`<return-response>
   <set-status code="401" reason="Unauthorized"/>
   <set-header name="WWW-Authenticate" exists-action="override">
      <value>Bearer error="invalid_token"</value>
   </set-header>
</return-response>`), false},
		{"set-status", memory, out(`<set-status code="401" reason="Unauthorized"/>`), false},
		{"set-body", memory, in(`<set-body>Hello world</set-body>`), false},
		{"set-method", memory, in(`<set-method>POST</set-method>`), false},
		{"check-header", memory, in(`<check-header name="Authorization" failed-check-httpcode="401" failed-check-error-message="Not authorized" ignore-case="false">
    <value>f6dc69a089844cf6b2019bae6d36fac8</value>
</check-header>`), false},
		{"cors", memory, in(`<cors><allowed-origins><origin>http://contoso.com</origin></allowed-origins><allowed-methods><method>GET</method></allowed-methods><allowed-headers><header>*</header></allowed-headers></cors>`), false},
		{"validate-graphql-request (docs, example 1)", memory, in(`<validate-graphql-request error-variable-name="name" max-size="102400" max-depth="4">
    <authorize>
        <rule path="/__*" action="reject" />
        <rule path="/Missions/name" action="@(context.Request.Headers.Count > 2 ? &quot;remove&quot; : &quot;allow&quot;)" />
    </authorize>
</validate-graphql-request>`), false},
		{"validate-odata-request (docs)", memory, in(`<validate-odata-request default-odata-version="4.01" />`), false},
		{"ip-filter", memory, in(`<ip-filter action="allow">
    <address>13.66.201.169</address>
    <address-range from="13.66.140.128" to="13.66.140.143" />
</ip-filter>`), false},
		{"mock-response", memory, in(`<mock-response status-code="200" content-type="application/json" />`), false},
		{"find-and-replace", memory, out(`<find-and-replace from="notebook" to="laptop" />`), false},
		{"json-to-xml", memory, out(`<json-to-xml apply="always" consider-accept-header="false" parse-date="false" />`), false},
		{"xml-to-json", memory, out(`<xml-to-json kind="direct" apply="always" consider-accept-header="false" />`), false},
		{"xsl-transform (docs)", memory, doc("xsl-transform-response.xml"), true},
		{"xsl-transform", memory, in(`<xsl-transform><parameter name="p">@(context.Request.Method)</parameter><xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:param name="p"/><xsl:template match="/"><m><xsl:value-of select="$p"/></m></xsl:template></xsl:stylesheet></xsl-transform>`), true},
		{"jsonp", memory, out(`<jsonp callback-parameter-name="cb" />`), false},
		{"redirect-content-urls", memory, out(`<redirect-content-urls />`), false},
		{"cross-domain", memory, in(`<cross-domain><cross-domain-policy><allow-http-request-headers-from domain="*" headers="*" /></cross-domain-policy></cross-domain>`), false},
		{"authentication-basic", memory, in(`<authentication-basic username="Administrator" password="{{secret}}" />`), false},
		{"send-message", memory, in(`<send-message to="backend">hello</send-message>`), false},
		{"forward-request", memory, back(`<forward-request timeout="60"/>`), false},
		{"retry without a wait", memory, in(`<retry condition="@(false)" count="3" interval="0"><set-variable name="x" value="1"/></retry>`), false},
		{"retry without a wait, delta 0", memory, in(`<retry condition="@(false)" count="3" interval="0" delta="0" max-interval="1"><set-variable name="x" value="1"/></retry>`), false},
		{"validate-jwt with its keys", memory, in(`<validate-jwt header-name="Authorization"><issuer-signing-keys><key>` + jwtHSKeyB + `</key></issuer-signing-keys></validate-jwt>`), false},
		{"validate-client-certificate without revocation", memory, in(`<validate-client-certificate validate-revocation="false" validate-trust="true"/>`), false},
		{"validate-status-code", memory, out(`<validate-status-code unspecified-status-code-action="ignore"/>`), false},
		{"validate-headers", memory, out(`<validate-headers specified-header-action="ignore" unspecified-header-action="ignore"/>`), false},
		{"validate-parameters", memory, in(`<validate-parameters specified-parameter-action="detect" unspecified-parameter-action="detect" errors-variable-name="p" />`), false},
		{"validate-content", memory, in(`<validate-content unspecified-content-type-action="detect" max-size="1024" size-exceeded-action="detect" errors-variable-name="b"/>`), false},
		{"emit-metric", metrics, in(`<emit-metric name="Request" value="1" namespace="my-metrics"><dimension name="API ID" /></emit-metric>`), false},
		{"llm-emit-token-metric", metrics, in(`<llm-emit-token-metric namespace="llm"><dimension name="API ID" /></llm-emit-token-metric>`), false},
		{"log-to-eventhub", loggers, in(`<log-to-eventhub logger-id="console">@(context.Request.Method)</log-to-eventhub>`), false},
		{"send-one-way-request: queued, never waited for", memory, in(`<send-one-way-request mode="new"><set-url>https://example.com/hook</set-url><set-method>POST</set-method></send-one-way-request>`), false},
		{"rate-limit, memory", memory, in(`<rate-limit calls="20" renewal-period="90" remaining-calls-variable-name="remainingCallsPerSubscription"/>`), false},
		{"rate-limit-by-key, memory", memory, in(`<rate-limit-by-key calls="10" renewal-period="60" increment-condition="@(context.Response.StatusCode == 200)" counter-key="@(context.Request.IpAddress)" remaining-calls-variable-name="remainingCallsPerIP"/>`), false},
		{"quota, memory", memory, in(`<quota calls="10000" bandwidth="40000" renewal-period="3600" />`), false},
		{"quota-by-key, memory", memory, in(`<quota-by-key calls="10000" bandwidth="40000" renewal-period="3600" increment-condition="@(context.Response.StatusCode &gt;= 200 &amp;&amp; context.Response.StatusCode &lt; 400)" counter-key="@(context.Request.IpAddress)" />`), false},
		{"llm-semantic-cache-store, memory", memory, out(`<llm-semantic-cache-store duration="60" />`), false},
		{"llm-token-limit, memory", memory, in(`<llm-token-limit counter-key="@(context.Request.IpAddress)" tokens-per-minute="500" estimate-prompt-tokens="false" remaining-tokens-variable-name="remainingTokens" />`), false},
		{"cache-*-value, memory", memory, in(`<cache-lookup-value key="@(&quot;userprofile-&quot; + context.Variables[&quot;enduserid&quot;])" variable-name="userprofile" />
<cache-store-value key="@(&quot;userprofile-&quot; + context.Variables[&quot;enduserid&quot;])" value="@((string)context.Variables[&quot;userprofile&quot;])" duration="100000" />
<cache-remove-value key="@(&quot;userprofile-&quot; + context.Variables[&quot;enduserid&quot;])" />`), false},
		{"cache-lookup, cache-store, memory", memory, `<policies><inbound><cache-lookup vary-by-developer="false" vary-by-developer-groups="false" downstream-caching-type="none" must-revalidate="true"><vary-by-query-parameter>version</vary-by-query-parameter></cache-lookup></inbound><outbound><cache-store duration="20" /></outbound></policies>`, false},
		{"cache-lookup internal, redis", redis, in(`<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" caching-type="internal" />`), false},
		{"nested inline", memory, in(`<choose><when condition="@(true)"><retry condition="@(false)" count="1" interval="0"><choose><when condition="@(false)"/><otherwise><set-header name="a" exists-action="override"><value>b</value></set-header></otherwise></choose></retry></when></choose>`), false},

		// May block.
		{"send-request (docs)", memory, "<policies>" + doc("send-request-verify-token.xml") + "</policies>", true},
		{"send-request", memory, in(sendRequest), true},
		{"retry with interval (docs)", memory, back(doc("retry.backend.xml")), true},
		{"retry sending the backend call", memory, back(`<retry condition="@(context.Response.StatusCode == 500)" count="3" interval="0"><forward-request/></retry>`), true},
		{"retry with a delta", memory, in(`<retry condition="@(false)" count="3" interval="0" delta="5"><set-variable name="x" value="1"/></retry>`), true},
		{"retry with an interval expression", memory, in(`<retry condition="@(false)" count="3" interval="@(0)"><set-variable name="x" value="1"/></retry>`), true},
		{"wait", memory, in(`<wait for="all">
  <choose>
    <when condition="@((bool)context.Variables[&quot;execute-branch-one&quot;])">
      <cache-lookup-value key="key-one" variable-name="value-one" />
    </when>
  </choose>
  <send-request mode="new" response-variable-name="value-two" timeout="20"><set-url>https://backend-two</set-url><set-method>GET</set-method></send-request>
</wait>`), true},
		{"limit-concurrency", memory, in(`<limit-concurrency counter-key="@(context.Request.IpAddress)" max-count="3"/>`), true},
		{"limit-concurrency, APIM's form around a step that never blocks", memory, in(`<limit-concurrency key="k" max-count="3"><set-variable name="x" value="1"/></limit-concurrency>`), true},
		{"limit-concurrency sending the backend call (docs)", memory, doc("limit-concurrency.xml"), true},
		{"choose holding send-request", memory, in(`<choose><when condition="@(true)"><set-variable name="x" value="1"/></when><otherwise>` + sendRequest + `</otherwise></choose>`), true},
		{"on-error holding send-request", memory, onErr(sendRequest), true},
		{"validate-jwt with openid-config", memory, in(`<validate-jwt header-name="Authorization"><openid-config url="https://login.example.com/.well-known/openid-configuration"/></validate-jwt>`), true},
		{"validate-jwt with jwks", memory, in(`<validate-jwt header-name="Authorization"><jwks url="https://login.example.com/keys"/></validate-jwt>`), true},
		{"validate-client-certificate with revocation", memory, in(`<validate-client-certificate validate-trust="true"/>`), true},
		{"authentication-managed-identity", identity, in(`<authentication-managed-identity resource="https://graph.microsoft.com"/>`), true},
		{"validate-azure-ad-token", entra, in(`<validate-azure-ad-token tenant-id="` + testTenant + `">
    <client-application-ids>
        <application-id>` + testApp + `</application-id>
    </client-application-ids>
</validate-azure-ad-token>`), true},
		{"proxy", memory, in(`<proxy url="http://192.168.1.1:8080" />`), true},
		{"rate-limit, redis", redis, in(`<rate-limit calls="20" renewal-period="90" remaining-calls-variable-name="remainingCallsPerSubscription"/>`), true},
		{"rate-limit-by-key, redis", redis, in(`<rate-limit-by-key calls="10" renewal-period="60" increment-condition="@(context.Response.StatusCode == 200)" counter-key="@(context.Request.IpAddress)" remaining-calls-variable-name="remainingCallsPerIP"/>`), true},
		{"quota, redis", redis, in(`<quota calls="10000" bandwidth="40000" renewal-period="3600" />`), true},
		{"quota-by-key, redis", redis, in(`<quota-by-key calls="10000" renewal-period="3600" counter-key="@(context.Request.IpAddress)" />`), true},
		{"llm-token-limit, redis", redis, in(`<llm-token-limit counter-key="k" tokens-per-minute="500" estimate-prompt-tokens="false" />`), true},
		{"cache-lookup-value, redis", redis, in(`<cache-lookup-value key="k" variable-name="v" />`), true},
		{"cache-store-value, redis", redis, in(`<cache-store-value key="k" value="v" duration="10" />`), true},
		{"cache-remove-value, redis", redis, in(`<cache-remove-value key="k" />`), true},
		{"cache-lookup external", redis, in(`<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" caching-type="external" />`), true},
		{"cache-lookup prefer-external, redis", redis, in(`<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />`), true},
		{"cache-store, redis", redis, out(`<cache-store duration="20" />`), true},
		{"llm-semantic-cache-store, redis", redis, out(`<llm-semantic-cache-store duration="60" />`), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := compile(t, tc.deps(t), tc.src)
			if got := plan.MayBlock(engine.AllSections); got != tc.block {
				t.Errorf("MayBlock = %v, want %v", got, tc.block)
			}
		})
	}
}

// Steps that are hard to build here never opt in, so they may block:
// authentication-certificate (the backend call goes over net/http with a
// client certificate), and the Azure-only elements.
func TestNeverOptIn(t *testing.T) {
	for name, step := range map[string]engine.Step{
		"authentication-certificate":      &authenticationCertificate{},
		"authentication-managed-identity": &managedIdentity{},
		"get-authorization-context":       &getAuthorizationContext{},
		"send-request":                    &sendRequest{},
		"http-data-source":                &httpDataSource{},
		"publish-event":                   &publishEvent{}, // resolvers only, never on an event loop
		"publish-to-dapr":                 &publishToDapr{},
		"invoke-dapr-binding":             &invokeDaprBinding{},
		"send-service-bus-message":        &sendServiceBusMessage{},
		"llm-content-safety":              &llmContentSafety{},
		"llm-semantic-cache-lookup":       &semanticLookup{},
		"wait":                            &waitPolicy{},
		"limit-concurrency":               &limitConcurrency{},
		"proxy":                           &proxyPolicy{},
		"an Azure-only element":           engine.StepFunc(nil), // what refusedPolicy returns
	} {
		if _, ok := step.(engine.NonBlocking); ok {
			t.Errorf("%s implements engine.NonBlocking", name)
		}
	}
}

// Every policy of the registry is classified by one of the cases above:
// a new policy must be audited (and added there) before it can run on an
// event loop thread.
func TestEveryPolicyClassified(t *testing.T) {
	src, err := os.ReadFile("blocking_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for name := range Registry(testDeps()) {
		if _, ok := azureOnly[name]; ok || notInTollgate[name] != "" {
			continue
		}
		if strings.HasPrefix(name, "azure-openai-") {
			continue // the same steps as llm-*
		}
		if !strings.Contains(string(src), "<"+name+" ") && !strings.Contains(string(src), "<"+name+">") &&
			!strings.Contains(string(src), "<"+name+"/") && !strings.Contains(string(src), `"`+name+`"`) {
			t.Errorf("<%s> has no case in TestPlanMayBlock or TestNeverOptIn", name)
		}
	}
}
