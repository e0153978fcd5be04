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
	"net/http"

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
}

// Registry returns every policy element tollgate knows, keyed by element
// name. It is a plain map: no init(), no global state.
func Registry(d Deps) engine.Registry {
	k := newKit(d)
	return engine.Registry{
		"set-variable":         {Sections: engine.AllSections, Parse: k.parseSetVariable},
		"choose":               {Sections: engine.AllSections, Parse: k.parseChoose},
		"set-header":           {Sections: engine.AllSections, Parse: k.parseSetHeader},
		"set-query-parameter":  {Sections: engine.Inbound | engine.Backend, Parse: k.parseSetQueryParameter},
		"set-backend-service":  {Sections: engine.Inbound | engine.Backend, Parse: k.parseSetBackendService},
		"return-response":      {Sections: engine.AllSections, Parse: k.parseReturnResponse},
		"check-header":         {Sections: engine.Inbound, Parse: k.parseCheckHeader},
		"forward-request":      {Sections: engine.Backend, Parse: k.parseForwardRequest},
		"set-status":           {Sections: engine.AllSections, Parse: k.parseSetStatus},
		"set-body":             {Sections: engine.AllSections, Parse: k.parseSetBody},
		"send-request":         {Sections: engine.AllSections, Parse: k.parseSendRequest},
		"rate-limit":           {Sections: engine.Inbound, Parse: k.parseRateLimit},
		"rate-limit-by-key":    {Sections: engine.Inbound, Parse: k.parseRateLimitByKey},
		"send-message":         {Sections: engine.Inbound, Parse: k.parseSendMessage},
		"quota":                {Sections: engine.Inbound, Parse: k.parseQuota},
		"quota-by-key":         {Sections: engine.Inbound, Parse: k.parseQuotaByKey},
		"limit-concurrency":    {Sections: engine.Inbound, Parse: k.parseLimitConcurrency},
		"validate-jwt":         {Sections: engine.Inbound, Parse: k.parseValidateJwt},
		"ip-filter":            {Sections: engine.Inbound, Parse: k.parseIPFilter},
		"cors":                 {Sections: engine.Inbound, Parse: k.parseCors},
		"cache-lookup-value":   {Sections: engine.AllSections, Parse: k.parseCacheLookupValue},
		"cache-store-value":    {Sections: engine.AllSections, Parse: k.parseCacheStoreValue},
		"cache-remove-value":   {Sections: engine.AllSections, Parse: k.parseCacheRemoveValue},
		"retry":                {Sections: engine.AllSections, Parse: k.parseRetry},
		"wait":                 {Sections: engine.Inbound | engine.Backend | engine.Outbound, Parse: k.parseWait},
		"trace":                {Sections: engine.AllSections, Parse: k.parseTrace},
		"rewrite-uri":          {Sections: engine.Inbound, Parse: k.parseRewriteURI},
		"mock-response":        {Sections: engine.Inbound | engine.Outbound | engine.OnError, Parse: k.parseMockResponse},
		"set-method":           {Sections: engine.Inbound | engine.Backend | engine.OnError, Parse: k.parseSetMethod},
		"validate-content":     {Sections: engine.Inbound | engine.Outbound | engine.OnError, Parse: k.parseValidateContent},
		"validate-parameters":  {Sections: engine.Inbound, Parse: k.parseValidateParameters},
		"validate-headers":     {Sections: engine.Outbound | engine.OnError, Parse: k.parseValidateHeaders},
		"validate-status-code": {Sections: engine.Outbound | engine.OnError, Parse: k.parseValidateStatusCode},
	}
}
