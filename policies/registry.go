// Package policies holds tollgate's policy elements, one file per element
// (or per family: rate_limit.go holds rate-limit and rate-limit-by-key).
//
// Every policy has the same shape: a parse method on kit (kit.go), which
// does all the work at load (attributes, expressions, checks) through the
// engine.Parser it is given, and a step type whose Run only evaluates.
// kit carries what policies share at run time (store, HTTP client, logger,
// lease keeper, JWKS cache); Deps only configures it. Helpers that more
// than one policy uses live in files named for what they are: headers.go,
// attributes.go, limits.go, callout.go.
//
// To add a policy: write my_policy.go with a step type and
// func (k *kit) parseMyPolicy(p *engine.Parser) engine.Step, add one line to
// the table in Registry, and add tests (golden load errors in testdata/,
// APIM's documented examples in doc_examples_test.go).
package policies

import (
	"context"
	"crypto/x509"
	"net/http"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"tollgate/engine"
	"tollgate/store"
)

// Deps configure the policies of one gateway. Registry builds what the
// policies share at run time from them (see kit).
type Deps struct {
	// Store keeps limits and cached values; it outlives config snapshots.
	// It bounds its own calls (see store.Store); policies pass the
	// request's context through unchanged.
	Store store.Store
	// HTTPClient makes send-request calls (nil: DefaultHTTPClient).
	HTTPClient *http.Client
	// MaxCalloutBytes caps a send-request response body (default 1 MiB).
	MaxCalloutBytes int64
	// Log receives policy logs (trace policy, store failures).
	Log *zap.Logger
	// OnStoreError is told about store failures (for metrics); may be nil.
	OnStoreError func(policy string, err error)
	// Identities stand in for Azure managed identities in
	// authentication-managed-identity, keyed by its client-id ("" is the
	// system-assigned identity).
	Identities map[string]Identity
	// EntraAuthority is the Microsoft Entra ID host validate-azure-ad-token
	// gets keys from (default https://login.microsoftonline.com; tests and
	// sovereign clouds change it).
	EntraAuthority string
	// ClientCAs are the roots validate-client-certificate trusts (nil: the
	// system's).
	ClientCAs *x509.CertPool
	// ClientCertificates, when set, is set to true as soon as a policy
	// that reads client certificates is loaded: the TLS listener then asks
	// clients for one.
	ClientCertificates *atomic.Bool
	// Metrics receives emit-metric's counters (the gateway's Prometheus
	// registry: *gateway.Metrics). Without it emit-metric is a load error.
	Metrics Metrics
	// Loggers are log-to-eventhub's sinks (LoadLoggers); nil: none, and
	// log-to-eventhub is a load error.
	Loggers *Loggers
	// Certificates are the client certificates authentication-certificate
	// finds by certificate-id (the name) or thumbprint.
	Certificates []NamedCertificate
	// ResponseCacheBytes caps the internal response cache of cache-lookup
	// and cache-store (bytes of cached responses, their keys and bookkeeping; default 64 MiB).
	ResponseCacheBytes int64
	// OneWayQueue is how many send-one-way-request calls may wait to be
	// sent (default 1024); beyond it they are dropped.
	OneWayQueue int
	// OnOneWayDropped is told about each dropped one-way request (for
	// metrics); may be nil.
	OnOneWayDropped func()
	// DaprURL is the Dapr sidecar's HTTP API that publish-to-dapr,
	// invoke-dapr-binding and set-backend-service's Dapr form call
	// (default DefaultDaprURL).
	DaprURL string
	// Backends resolves the backend entities policies call themselves
	// (llm-content-safety's backend-id); nil: none, and such a policy fails
	// when it runs (it still loads: the names are checked against the
	// configuration's backends).
	Backends BackendResolver
	// AzureCallTimeout bounds each call send-service-bus-message and
	// llm-content-safety make (default 30 s); the section's policy-timeout
	// bounds it too.
	AzureCallTimeout time.Duration
	// EmbeddingsTimeout bounds each embeddings call of the semantic cache
	// lookups (default 5 s): a slower one is a miss.
	EmbeddingsTimeout time.Duration
	// Credentials is the credential manager get-authorization-context
	// uses (NewCredentials); nil: one of its own. The gateway stages the
	// folder's credential providers on it (Credentials.Stage).
	Credentials *Credentials
}

// Registry returns every policy element tollgate knows, keyed by element
// name. It is a plain map: no init(), no global state.
func Registry(d Deps) engine.Registry {
	k := newKit(d)
	d.Loggers.setTokens(func(clientID string) func(context.Context, string) (string, error) {
		if tp := k.tokens[clientID]; tp != nil {
			return tp.token
		}
		return nil
	})
	// Elements that need Azure are load errors naming the alternative:
	// the table is in azure_only.go.
	return addAzureOnly(engine.Registry{
		"set-variable":        {Sections: engine.AllSections, Parse: k.parseSetVariable},
		"choose":              {Sections: engine.AllSections, Parse: k.parseChoose},
		"set-header":          {Sections: engine.AllSections, Parse: k.parseSetHeader},
		"set-query-parameter": {Sections: engine.Inbound | engine.Backend, Parse: k.parseSetQueryParameter},
		"set-backend-service": {Sections: engine.Inbound | engine.Backend, Parse: k.parseSetBackendService},
		"return-response":     {Sections: engine.AllSections, Parse: k.parseReturnResponse},
		"check-header":        {Sections: engine.Inbound, Parse: k.parseCheckHeader},
		"forward-request":     {Sections: engine.Backend, Parse: k.parseForwardRequest},
		"set-status":          {Sections: engine.AllSections, Parse: k.parseSetStatus},
		"set-body":            {Sections: engine.AllSections, Parse: k.parseSetBody},
		"send-request":        {Sections: engine.AllSections, Parse: k.parseSendRequest},
		"rate-limit":          {Sections: engine.Inbound, Parse: k.parseRateLimit},
		"rate-limit-by-key":   {Sections: engine.Inbound, Parse: k.parseRateLimitByKey},
		"send-message":        {Sections: engine.Inbound, Parse: k.parseSendMessage},
		"quota":               {Sections: engine.Inbound, Parse: k.parseQuota},
		"quota-by-key":        {Sections: engine.Inbound, Parse: k.parseQuotaByKey},
		"limit-concurrency":   {Sections: engine.AllSections, Parse: k.parseLimitConcurrency},
		"validate-jwt":        {Sections: engine.Inbound, Parse: k.parseValidateJwt},
		"ip-filter":           {Sections: engine.Inbound, Parse: k.parseIPFilter},
		"cors":                {Sections: engine.Inbound, Parse: k.parseCors},
		"cache-lookup-value":  {Sections: engine.AllSections, Parse: k.parseCacheLookupValue},
		"cache-store-value":   {Sections: engine.AllSections, Parse: k.parseCacheStoreValue},
		"cache-remove-value":  {Sections: engine.AllSections, Parse: k.parseCacheRemoveValue},
		"retry":               {Sections: engine.AllSections, Parse: k.parseRetry},
		"wait":                {Sections: engine.Inbound | engine.Backend | engine.Outbound, Parse: k.parseWait},
		"trace":               {Sections: engine.AllSections, Parse: k.parseTrace},
		"rewrite-uri":         {Sections: engine.Inbound, Parse: k.parseRewriteURI},
		"mock-response":       {Sections: engine.Inbound | engine.Outbound | engine.OnError, Parse: k.parseMockResponse},
		"set-method":          {Sections: engine.Inbound | engine.Backend | engine.OnError, Parse: k.parseSetMethod},
		"http-data-source":    {Sections: engine.Resolver, Parse: k.parseHTTPDataSource},
		// publish-event: only inside http-data-source's http-response, which
		// compiles its children as outbound policies; a <policies> document's
		// outbound section refuses it (publishEventOutside).
		"publish-event": {Sections: engine.Outbound, Parse: k.parsePublishEvent},

		"find-and-replace":      {Sections: engine.AllSections, Parse: k.parseFindAndReplace},
		"json-to-xml":           {Sections: engine.Inbound | engine.Outbound | engine.OnError, Parse: k.parseJSONToXML},
		"xml-to-json":           {Sections: engine.Inbound | engine.Outbound | engine.OnError, Parse: k.parseXMLToJSON},
		"xsl-transform":         {Sections: engine.Inbound | engine.Outbound, Parse: k.parseXSLTransform},
		"jsonp":                 {Sections: engine.Outbound, Parse: k.parseJsonp},
		"cross-domain":          {Sections: engine.Inbound, Parse: k.parseCrossDomain},
		"redirect-content-urls": {Sections: engine.Inbound | engine.Outbound, Parse: k.parseRedirectContentURLs},

		"send-one-way-request": {Sections: engine.AllSections, Parse: k.parseSendOneWayRequest},
		"cache-lookup":         {Sections: engine.Inbound, Parse: k.parseCacheLookup},
		"cache-store":          {Sections: engine.Outbound, Parse: k.parseCacheStore},

		"authentication-basic":            {Sections: engine.Inbound, Parse: k.parseAuthenticationBasic},
		"authentication-managed-identity": {Sections: engine.AllSections, Parse: k.parseManagedIdentityPolicy}, // APIM documents inbound; elsewhere only with output-token-variable-name
		"get-authorization-context":       {Sections: engine.Inbound, Parse: k.parseGetAuthorizationContext},
		"validate-azure-ad-token":         {Sections: engine.Inbound, Parse: k.parseValidateAzureADToken},
		"validate-client-certificate":     {Sections: engine.Inbound, Parse: k.parseValidateClientCertificate},
		"authentication-certificate":      {Sections: engine.Inbound, Parse: k.parseAuthenticationCertificate},

		"emit-metric":     {Sections: engine.AllSections, Parse: k.parseEmitMetric},
		"log-to-eventhub": {Sections: engine.AllSections, Parse: k.parseLogToEventhub},
		"proxy":           {Sections: engine.Inbound, Parse: k.parseProxy},

		"llm-token-limit":                {Sections: engine.Inbound, Parse: k.parseLLMTokenLimit},
		"azure-openai-token-limit":       {Sections: engine.Inbound, Parse: k.parseLLMTokenLimit},
		"llm-emit-token-metric":          {Sections: engine.Inbound, Parse: k.parseLLMEmitTokenMetric},
		"azure-openai-emit-token-metric": {Sections: engine.Inbound, Parse: k.parseLLMEmitTokenMetric},

		"validate-content":         {Sections: engine.Inbound | engine.Outbound | engine.OnError, Parse: k.parseValidateContent},
		"validate-parameters":      {Sections: engine.Inbound, Parse: k.parseValidateParameters},
		"validate-headers":         {Sections: engine.Outbound | engine.OnError, Parse: k.parseValidateHeaders},
		"validate-status-code":     {Sections: engine.Outbound | engine.OnError, Parse: k.parseValidateStatusCode},
		"validate-graphql-request": {Sections: engine.Inbound, Parse: k.parseValidateGraphQL},
		"validate-odata-request":   {Sections: engine.Inbound, Parse: k.parseValidateOData},

		"publish-to-dapr":     {Sections: engine.Inbound, Parse: k.parsePublishToDapr},
		"invoke-dapr-binding": {Sections: engine.Inbound | engine.Outbound | engine.OnError, Parse: k.parseInvokeDaprBinding},

		"send-service-bus-message": {Sections: engine.Inbound | engine.Outbound | engine.OnError, Parse: k.parseSendServiceBusMessage},
		"llm-content-safety":       {Sections: engine.Inbound, Parse: k.parseLLMContentSafety},

		"llm-semantic-cache-lookup":          {Sections: engine.Inbound, Parse: k.parseSemanticCacheLookup},
		"azure-openai-semantic-cache-lookup": {Sections: engine.Inbound, Parse: k.parseSemanticCacheLookup},
		"llm-semantic-cache-store":           {Sections: engine.Outbound, Parse: k.parseSemanticCacheStore},
		"azure-openai-semantic-cache-store":  {Sections: engine.Outbound, Parse: k.parseSemanticCacheStore},
	})
}
