package policies

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"tollgate/internal/appinsights"
)

// An APIOps applicationInsights logger sends the telemetry of the APIs
// whose applicationinsights diagnostic names it (the gateway builds the
// items: gateway/diagnostics.go) to Application Insights' ingestion API,
// through an appinsights.Exporter: a bounded queue and one worker that
// sends gzipped batches, so a request never waits for the endpoint. It
// lives like an event hub logger: kept across reloads while its
// credentials are unchanged (what it has queued goes on), stopped once
// what it has queued is sent (at most 10 s) when a reload removes it.

// AppInsightsCredentials are an applicationInsights logger's credentials,
// as APIM's logger entity has them: an instrumentation key, or a
// connection string, optionally with a managed identity that
// authenticates to the ingestion API with Microsoft Entra ID (APIM's
// identityClientId: a client id, or SystemAssigned). Secret.
type AppInsightsCredentials struct {
	InstrumentationKey, ConnectionString, IdentityClientID string
}

// LoggerTypeAppInsights is FolderLogger.Type of an applicationInsights
// logger (an empty Type is an azureEventHub one).
const LoggerTypeAppInsights = "applicationInsights"

// appInsightsSDK is the ai.internal.sdkVersion of tollgate's items.
const appInsightsSDK = "tollgate:1"

// parseAppInsights checks c: where and as what the logger sends.
func parseAppInsights(c AppInsightsCredentials) (appinsights.Endpoint, error) {
	switch {
	case c.InstrumentationKey != "" && c.ConnectionString != "":
		return appinsights.Endpoint{}, errors.New("credentials take an instrumentationKey or a connectionString, not both")
	case c.ConnectionString != "":
		return appinsights.ParseConnectionString(c.ConnectionString)
	case c.InstrumentationKey != "":
		if c.IdentityClientID != "" {
			return appinsights.Endpoint{}, errors.New("an identityClientId goes with a connectionString (APIM's Entra ID credentials), not an instrumentationKey")
		}
		return appinsights.InstrumentationKeyOnly(c.InstrumentationKey)
	}
	return appinsights.Endpoint{}, errors.New("credentials need a connectionString (InstrumentationKey=…;IngestionEndpoint=…), optionally with an identityClientId, or an instrumentationKey")
}

// appInsightsLogger builds the logger d declares (not started).
func (ls *Loggers) appInsightsLogger(d FolderLogger, fp string, eager bool) (*logger, error) {
	ep, err := parseAppInsights(d.AppInsights)
	if err != nil {
		return nil, err
	}
	o := appinsights.Options{Endpoint: ep, QueueSize: d.Buffer, Client: ls.httpClient,
		Role: appinsights.Role{Instance: hostname(), SDKVersion: appInsightsSDK}}
	ls.cmu.Lock()
	tu := ls.aiTuning
	ls.cmu.Unlock()
	o.BatchDelay, o.MetricInterval, o.Timeout = tu.BatchDelay, tu.MetricInterval, tu.Timeout
	if tu.Queue > 0 {
		o.QueueSize = tu.Queue
	}
	if d.AppInsights.IdentityClientID != "" {
		id := d.AppInsights.IdentityClientID
		if strings.EqualFold(id, "SystemAssigned") {
			id = ""
		}
		tok, err := ls.identityToken(id, eager)
		if err != nil {
			return nil, err
		}
		o.Token = tok
	}
	lg := &logger{id: d.ID, fp: fp, log: ls.log, stop: make(chan struct{}), done: make(chan struct{})}
	drop := ls.drop
	o.Dropped = func(n int) {
		before := lg.dropped.Add(int64(n)) - int64(n)
		if drop != nil {
			drop(float64(n), d.ID)
		}
		if before/1000 != (before+int64(n))/1000 || before == 0 {
			lg.log.Warn("application insights: telemetry dropped", zap.String("logger", d.ID), zap.Int64("dropped", before+int64(n)))
		}
	}
	o.Failed = func(reason string, items int) {
		lg.log.Warn("application insights: the ingestion endpoint did not take telemetry", zap.String("logger", d.ID),
			zap.Int("items", items), zap.String("error", reason))
	}
	lg.ai = appinsights.New(o)
	return lg, nil
}

// identityToken is the token source of the managed identity clientID (""
// the system-assigned one) from the gateway's identities: looked up now
// when eager (the configuration folder's loggers, staged after Registry
// gave the identities), else when a token is needed.
func (ls *Loggers) identityToken(clientID string, eager bool) (func(context.Context, string) (string, error), error) {
	source := func() (func(context.Context, string) (string, error), error) {
		ls.cmu.Lock()
		tokens := ls.tokens
		ls.cmu.Unlock()
		if tokens != nil {
			if src := tokens(clientID); src != nil {
				return src, nil
			}
		}
		if clientID == "" {
			return nil, errors.New("no identity is configured for the system-assigned identity: set TOLLGATE_IDENTITY_TOKEN_URL, _CLIENT_ID and _CLIENT_SECRET (see docs/policies-credentials.md)")
		}
		return nil, errors.New("no identity is configured for client-id \"" + clientID + "\": give the client in the --identities file (see docs/policies-credentials.md)")
	}
	if eager {
		return source()
	}
	return func(ctx context.Context, resource string) (string, error) {
		src, err := source()
		if err != nil {
			return "", err
		}
		return src(ctx, resource)
	}, nil
}

// TelemetryTuning adjusts the applicationInsights loggers built from now
// on (tests): how long items wait to be batched (default 5 s), the metrics'
// aggregation interval (default 60 s), the bound on one POST (default
// 10 s) and the queue (default 10000 items, or the logger's Buffer). Zero
// fields keep the defaults.
type TelemetryTuning struct {
	BatchDelay, MetricInterval, Timeout time.Duration
	Queue                               int
}

// TuneTelemetry sets the tuning of the applicationInsights loggers built
// from now on.
func (ls *Loggers) TuneTelemetry(t TelemetryTuning) {
	ls.cmu.Lock()
	ls.aiTuning = t
	ls.cmu.Unlock()
}

// AppInsights returns the exporter of the applicationInsights logger
// called id in the set, or nil (no such logger, or one of another type).
func (s *LoggerSet) AppInsights(id string) *appinsights.Exporter {
	if s == nil {
		return nil
	}
	if lg := s.lookup(id); lg != nil {
		return lg.ai
	}
	return nil
}

var hostnameOnce = sync.OnceValue(func() string {
	h, _ := os.Hostname()
	return h
})

// hostname is the machine's name: the items' ai.cloud.roleInstance.
func hostname() string { return hostnameOnce() }

// Has reports whether the set has a logger called id: the loggers file's
// or the folder's, of any type.
func (s *LoggerSet) Has(id string) bool { return s != nil && s.lookup(id) != nil }
