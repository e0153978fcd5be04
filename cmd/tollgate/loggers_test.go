package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"tollgate/internal/testutil"
)

// tollgate check reads an APIOps folder's azureEventHub loggers: a good
// connection string (from the secret named value) loads, a bad one is a
// problem at the logger file's line that does not show the key, and a
// managed identity logger needs its identity in --identities.
func TestCheckEventHubLoggers(t *testing.T) {
	dir := t.TempDir()
	testutil.WriteFile(t, filepath.Join(dir, "apis/orders/apiInformation.json"), `{"properties": {"path": "orders", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
	testutil.WriteFile(t, filepath.Join(dir, "apis/orders/policy.xml"), `<policies><inbound><base />
  <log-to-eventhub logger-id="audit-logger">@(context.Request.Method)</log-to-eventhub>
  <log-to-eventhub logger-id="mi-logger">@(context.Request.Method)</log-to-eventhub>
</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`)
	testutil.WriteFile(t, filepath.Join(dir, "named values/Logger-Credentials--64d1/namedValueInformation.json"), `{"properties": {"displayName": "Logger-Credentials--64d1", "secret": true}}`)
	testutil.WriteFile(t, filepath.Join(dir, "loggers/audit-logger/loggerInformation.json"), `{
  "properties": {
    "loggerType": "azureEventHub",
    "credentials": {
      "name": "audit",
      "connectionString": "{{Logger-Credentials--64d1}}"
    }
  }
}`)
	testutil.WriteFile(t, filepath.Join(dir, "loggers/mi-logger/loggerInformation.json"), `{"properties": {"loggerType": "azureEventHub",
  "credentials": {"name": "audit", "endpointAddress": "ns.servicebus.windows.net", "identityClientId": "6f1c3c52-0000-4000-8000-000000000001"}}}`)
	ids := filepath.Join(t.TempDir(), "ids.json")
	testutil.WriteFile(t, ids, `{"6f1c3c52-0000-4000-8000-000000000001": {"tokenUrl": "https://login.example/t/oauth2/v2.0/token", "clientId": "app", "clientSecret": "SECRET-mi"}}`)

	for _, c := range []struct {
		name, conn string
		args       []string
		code       int
		want       []string
	}{
		{"good", "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=SECRET-key=", []string{"--identities", ids}, 0,
			[]string{"ok  orders"}},
		{"no key name", "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey=SECRET-key=", []string{"--identities", ids}, 1,
			[]string{"loggers/audit-logger/loggerInformation.json:4:5: logger audit-logger: the connection string needs SharedAccessKeyName and SharedAccessKey"}},
		{"no identity", "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=SECRET-key=", nil, 1,
			[]string{`loggers/mi-logger/loggerInformation.json:2:3: logger mi-logger: no identity is configured for client-id "6f1c3c52-0000-4000-8000-000000000001"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("TOLLGATE_NAMED_VALUE_LOGGER_CREDENTIALS__64D1", c.conn)
			var out, errb bytes.Buffer
			code := run(append(append([]string{"check"}, c.args...), dir), &out, &errb)
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, c.code, out.String(), errb.String())
			}
			for _, w := range c.want {
				if !strings.Contains(out.String(), w) {
					t.Fatalf("output lacks %q:\n%s", w, out.String())
				}
			}
			if strings.Contains(out.String()+errb.String(), "SECRET") {
				t.Fatalf("check printed a secret:\n%s", out.String())
			}
		})
	}
}
