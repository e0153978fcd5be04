package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"hash"
	"strings"

	"tollgate/engine"
	"tollgate/internal/appinsights"
	"tollgate/policies"
)

// loggerProps are the logger properties tollgate reads or knows to be
// descriptive; anything else is reported as ignored.
var loggerProps = map[string]bool{"loggerType": true, "credentials": true, "description": true,
	"isBuffered": true, "resourceId": true}

// loadAPIOpsLoggers reads DIR/loggers/NAME/loggerInformation.json, APIM's
// logger entities. An azureEventHub logger becomes a log-to-eventhub sink
// that sends to the event hub (policies/eventhub.go); an
// applicationInsights logger sends the telemetry of the APIs whose
// applicationinsights diagnostic names it (diagnostics.go,
// policies/loggers_appinsights.go); azureMonitor loggers are reported as
// ignored (tollgate writes its own log). Named values in the credentials
// are substituted; a configuration file's loggers section overrides
// properties as for backends.
func loadAPIOpsLoggers(dir string, nv *engine.NamedValues, over *overrides, common hash.Hash, errs *engine.ErrorList, notes *[]string) []policies.FolderLogger {
	var out []policies.FolderLogger
	for _, rf := range readResourceFiles(dir, "loggers", "loggerInformation.json", "logger", errs) {
		name := rf.name
		props, ok := rf.properties("loggers", over, common, errs)
		if !ok {
			continue
		}
		at := rf.at
		str := func(raw json.RawMessage) (string, bool) {
			var s string
			if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
				return "", true
			}
			return s, json.Unmarshal(raw, &s) == nil
		}
		typ, ok := str(props["loggerType"])
		if !ok || typ == "" {
			errs.Add(at("loggerType"), "", "logger %q needs a loggerType (azureEventHub, applicationInsights or azureMonitor)", name)
			continue
		}
		insights := strings.EqualFold(typ, "applicationInsights")
		if !insights && !strings.EqualFold(typ, "azureEventHub") {
			*notes = append(*notes, at("loggerType").String()+": ignored: logger "+name+" of type "+typ+
				" (Azure only: tollgate writes its own log, and its traces and metrics go to OpenTelemetry and Prometheus)")
			continue
		}
		for _, k := range sortedKeys(props) {
			if !loggerProps[k] {
				*notes = append(*notes, at(k).String()+": ignored: logger property "+k+" (Azure only)")
			}
		}
		if v, ok := props["isBuffered"]; ok && bytes.Equal(bytes.TrimSpace(v), []byte("false")) {
			why := "log-to-eventhub never waits for the event hub"
			if insights {
				why = "a request never waits for Application Insights"
			}
			*notes = append(*notes, at("isBuffered").String()+": ignored: isBuffered false of logger "+name+
				" (tollgate always buffers: "+why+")")
		}
		var cred map[string]json.RawMessage
		if raw := props["credentials"]; len(raw) == 0 || json.Unmarshal(raw, &cred) != nil || cred == nil {
			if insights {
				errs.Add(at("credentials"), "", "logger %q needs credentials: {\"connectionString\": \"InstrumentationKey=…;IngestionEndpoint=…\"} (with an optional \"identityClientId\") or {\"instrumentationKey\": …}", name)
			} else {
				errs.Add(at("credentials"), "", "logger %q needs credentials: {\"name\": HUB, \"connectionString\": …} or {\"name\": HUB, \"endpointAddress\": …, \"identityClientId\": …}", name)
			}
			continue
		}
		fl := policies.FolderLogger{ID: name, Pos: at("credentials")}
		fields := map[string]*string{"name": &fl.Credentials.Name, "connectionString": &fl.Credentials.ConnectionString,
			"endpointAddress": &fl.Credentials.EndpointAddress, "identityClientId": &fl.Credentials.IdentityClientID}
		if insights {
			fl.Type = policies.LoggerTypeAppInsights
			fields = map[string]*string{"instrumentationKey": &fl.AppInsights.InstrumentationKey,
				"connectionString": &fl.AppInsights.ConnectionString, "identityClientId": &fl.AppInsights.IdentityClientID}
		}
		bad := false
		unusable := "" // a credential needs a named value without a value
		for _, k := range sortedKeys(cred) {
			dst := fields[k]
			if dst == nil {
				*notes = append(*notes, at("credentials").String()+": ignored: credentials property "+k+" of logger "+name)
				continue
			}
			v, ok := str(cred[k])
			if !ok {
				errs.Add(at("credentials"), "", "logger %q: credentials.%s must be a string", name, k)
				bad = true
				continue
			}
			// {{named value}}: APIM keeps a logger's connection string
			// (or instrumentation key) in a secret named value
			// (Logger-Credentials--…), and names it by its id in some
			// loggers' credentials.
			s, err := nv.SubstituteWithIDs(v)
			var missing *engine.MissingValueError
			var unknown *engine.UnknownValueError
			if errors.As(err, &missing) || errors.As(err, &unknown) {
				// As in every extract: APIM keeps the key in a secret
				// named value the extractor cannot export (or that an
				// extract filtered by name leaves out). The logger
				// cannot be used; that fails only what uses it, and
				// telemetry never keeps a folder from loading.
				if unusable == "" {
					unusable = "credentials." + k + ": " + err.Error()
				}
				continue
			}
			if err != nil {
				errs.Add(at("credentials"), "", "logger %q: credentials.%s: %s", name, k, err.Error())
				bad = true
				continue
			}
			*dst = s
		}
		if bad {
			continue
		}
		if unusable != "" {
			fl.Unusable = at("credentials").String() + ": " + unusable
			what := "a log-to-eventhub naming it is a load error"
			if insights {
				what = "the applicationinsights diagnostics naming it send nothing to Application Insights"
			}
			*notes = append(*notes, at("credentials").String()+": ignored: logger "+name+" cannot be used: "+unusable+" ("+what+")")
		}
		out = append(out, fl)
	}
	return out
}

// loggerSecrets are the credentials of the folder's loggers that are not
// already secret named values: an Application Insights connection string
// or instrumentation key written out in loggerInformation.json (and the
// key inside a connection string) is masked in logs like a secret.
func loggerSecrets(defs []policies.FolderLogger) []string {
	var out []string
	for _, d := range defs {
		if d.Type != policies.LoggerTypeAppInsights {
			continue
		}
		c := d.AppInsights
		for _, v := range []string{c.ConnectionString, c.InstrumentationKey} {
			if v != "" {
				out = append(out, v)
			}
		}
		if ep, err := appinsights.ParseConnectionString(c.ConnectionString); err == nil {
			out = append(out, ep.InstrumentationKey)
		}
	}
	return out
}
