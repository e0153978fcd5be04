package gateway_test

import (
	"strings"
	"testing"
)

// smartLBPolicy is the shape of the widely used "smart load balancing"
// policy for Azure OpenAI behind APIM: the backends' state is a JArray of
// JObjects (name, priority, isThrottling, retryAfter as a DateTime) kept in
// the cache; retry sends the request to the best backend not throttled,
// and a 429 marks the backend throttled until its Retry-After. Written here
// against APIM's documented policies (cache-lookup-value, cache-store-value,
// retry, set-backend-service backend-id, forward-request) and C#.
const smartLBPolicy = `<policies>
  <inbound>
    <cache-lookup-value key="listBackends" variable-name="listBackends" />
    <choose>
      <when condition="@(context.Variables.ContainsKey("listBackends") == false)">
        <set-variable name="listBackends" value="@{
          JArray backends = new JArray();
          backends.Add(new JObject() { { "name", "first" }, { "priority", 1 }, { "isThrottling", false }, { "retryAfter", DateTime.MinValue } });
          backends.Add(new JObject() { { "name", "second" }, { "priority", 2 }, { "isThrottling", false }, { "retryAfter", DateTime.MinValue } });
          return backends;
        }" />
        <cache-store-value key="listBackends" value="@((JArray)context.Variables["listBackends"])" duration="60" />
      </when>
    </choose>
    <set-variable name="backendIndex" value="-1" />
    <set-variable name="remainingBackends" value="1" />
  </inbound>
  <backend>
    <retry condition="@(context.Response != null && context.Response.StatusCode == 429 && (int.Parse((string)context.Variables["remainingBackends"])) > 0)" count="5" interval="0">
      <set-variable name="listBackends" value="@{
        JArray backends = (JArray)context.Variables["listBackends"];
        for (int i = 0; i < backends.Count; i++) {
          JObject backend = (JObject)backends[i];
          if (backend.Value<bool>("isThrottling") && DateTime.Now >= backend.Value<DateTime>("retryAfter")) {
            backend["isThrottling"] = false;
            backend["retryAfter"] = DateTime.MinValue;
          }
        }
        return backends;
      }" />
      <set-variable name="backendIndex" value="@{
        JArray backends = (JArray)context.Variables["listBackends"];
        int selectedPriority = Int32.MaxValue;
        int selected = 0;
        for (int i = 0; i < backends.Count; i++) {
          JObject backend = (JObject)backends[i];
          if (!backend.Value<bool>("isThrottling") && backend.Value<int>("priority") < selectedPriority) {
            selectedPriority = backend.Value<int>("priority");
            selected = i;
          }
        }
        return selected;
      }" />
      <set-backend-service backend-id="@(((JObject)((JArray)context.Variables["listBackends"])[(Int32)context.Variables["backendIndex"]]).Value<string>("name"))" />
      <forward-request buffer-request-body="true" />
      <choose>
        <when condition="@(context.Response != null && context.Response.StatusCode == 429)">
          <set-variable name="listBackends" value="@{
            JArray backends = (JArray)context.Variables["listBackends"];
            int currentBackendIndex = context.Variables.GetValueOrDefault<int>("backendIndex");
            int retryAfter = Convert.ToInt32(context.Response.Headers.GetValueOrDefault("Retry-After", "10"));
            JObject backend = (JObject)backends[currentBackendIndex];
            backend["isThrottling"] = true;
            backend["retryAfter"] = DateTime.Now.AddSeconds(retryAfter);
            return backends;
          }" />
          <cache-store-value key="listBackends" value="@((JArray)context.Variables["listBackends"])" duration="60" />
          <set-variable name="remainingBackends" value="@{
            JArray backends = (JArray)context.Variables["listBackends"];
            int remaining = 0;
            for (int i = 0; i < backends.Count; i++) {
              if (!((JObject)backends[i]).Value<bool>("isThrottling")) { remaining++; }
            }
            return remaining.ToString();
          }" />
        </when>
      </choose>
    </retry>
  </backend>
  <outbound>
    <set-header name="X-Backend-Index" exists-action="override">
      <value>@(context.Variables["backendIndex"].ToString())</value>
    </set-header>
  </outbound>
</policies>`

// TestSmartLoadBalancing: the first backend answers 429 with Retry-After;
// the request is retried on the second, the first is marked throttled in
// the cached list (a JArray holding Date tokens), and the next request goes
// to the second backend at once.
func TestSmartLoadBalancing(t *testing.T) {
	first, second := newFlaky(t), newFlaky(t)
	first.fail.Store(429)
	first.retryAfter.Store("30")
	dir := t.TempDir()
	writeAPI(t, dir, "aoai", `type="http" path="/aoai" service-url="http://127.0.0.1:1"`, smartLBPolicy)
	writeFile(t, dir, "backends/first/backendInformation.json", `{"properties": {"url": "`+first.url+`", "protocol": "http"}}`)
	writeFile(t, dir, "backends/second/backendInformation.json", `{"properties": {"url": "`+second.url+`", "protocol": "http"}}`)
	g := startGateway(t, dir)

	resp, body := get(t, g.url+"/aoai/chat", nil)
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "ok" || resp.Header.Get("X-Backend-Index") != "1" {
		t.Fatalf("first request: %d %q backend %q", resp.StatusCode, body, resp.Header.Get("X-Backend-Index"))
	}
	if a, b := first.calls.Load(), second.calls.Load(); a != 1 || b != 1 {
		t.Fatalf("calls after the first request: first %d, second %d (want 1, 1)", a, b)
	}
	// The first backend is throttled for 30 s: the cached list says so.
	resp, _ = get(t, g.url+"/aoai/chat", nil)
	if resp.StatusCode != 200 || resp.Header.Get("X-Backend-Index") != "1" {
		t.Fatalf("second request: %d backend %q", resp.StatusCode, resp.Header.Get("X-Backend-Index"))
	}
	if a, b := first.calls.Load(), second.calls.Load(); a != 1 || b != 2 {
		t.Fatalf("calls after the second request: first %d, second %d (want 1, 2)", a, b)
	}
}
