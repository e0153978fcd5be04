// Package policies holds one file per policy element. Each file has a parse
// function that does all the work at load (attributes, expressions, checks)
// and a step type whose Run only evaluates.
package policies

import (
	"net/http"
	"time"

	"go.uber.org/zap"

	"tollgate/engine"
	"tollgate/store"
)

// Deps are what policies need from the running gateway.
type Deps struct {
	// Store keeps limits and cached values; it outlives config snapshots.
	Store store.Store
	// HTTPClient makes send-request calls (nil: a client with sane limits).
	HTTPClient *http.Client
	// MaxCalloutBytes caps a send-request response body (default 1 MiB).
	MaxCalloutBytes int64
	// StoreTimeout bounds one store call (default 100ms).
	StoreTimeout time.Duration
	// Log receives policy logs (trace policy, store failures).
	Log *zap.Logger
	// OnStoreError is told about store failures (for metrics); may be nil.
	OnStoreError func(policy string, err error)

	// leases renews limit-concurrency's leases (one per Registry).
	leases *leaseKeeper
}

func (d *Deps) defaults() {
	if d.HTTPClient == nil {
		d.HTTPClient = DefaultHTTPClient()
	}
	if d.MaxCalloutBytes <= 0 {
		d.MaxCalloutBytes = 1 << 20
	}
	if d.StoreTimeout <= 0 {
		d.StoreTimeout = 100 * time.Millisecond
	}
	if d.Log == nil {
		d.Log = zap.NewNop()
	}
	if d.Store == nil {
		d.Store = store.NewMemory()
	}
}

// DefaultHTTPClient is the client send-request uses by default: no
// redirects followed, bounded connection pool and timeouts.
func DefaultHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	tr.ResponseHeaderTimeout = 60 * time.Second
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Registry returns every policy element tollgate knows, keyed by element
// name. It is a plain map: no init(), no global state.
func Registry(d Deps) engine.Registry {
	d.defaults()
	dp := &d
	dp.leases = newLeaseKeeper(dp)
	return engine.Registry{
		"set-variable":        {Sections: engine.AllSections, Parse: parseSetVariable},
		"choose":              {Sections: engine.AllSections, Parse: parseChoose},
		"set-header":          {Sections: engine.AllSections, Parse: parseSetHeader},
		"set-query-parameter": {Sections: engine.Inbound | engine.Backend, Parse: parseSetQueryParameter},
		"set-backend-service": {Sections: engine.Inbound | engine.Backend, Parse: parseSetBackendService},
		"return-response":     {Sections: engine.AllSections, Parse: parseReturnResponse},
		"check-header":        {Sections: engine.Inbound, Parse: parseCheckHeader},
		"forward-request":     {Sections: engine.Backend, Parse: parseForwardRequest},
		"set-status":          {Sections: engine.AllSections, Parse: parseSetStatus},
		"set-body":            {Sections: engine.AllSections, Parse: parseSetBody},
		"send-request":        {Sections: engine.AllSections, Parse: dp.parseSendRequest},
		"rate-limit":          {Sections: engine.Inbound, Parse: dp.parseRateLimit},
		"rate-limit-by-key":   {Sections: engine.Inbound, Parse: dp.parseRateLimitByKey},
		"send-message":        {Sections: engine.Inbound, Parse: parseSendMessage},
		"quota":               {Sections: engine.Inbound, Parse: dp.parseQuota},
		"quota-by-key":        {Sections: engine.Inbound, Parse: dp.parseQuotaByKey},
		"limit-concurrency":   {Sections: engine.Inbound, Parse: dp.parseLimitConcurrency},
		"validate-jwt":        {Sections: engine.Inbound, Parse: dp.validateJwtParser()},
		"ip-filter":           {Sections: engine.Inbound, Parse: parseIPFilter},
		"cors":                {Sections: engine.Inbound, Parse: parseCors},
		"cache-lookup-value":  {Sections: engine.AllSections, Parse: dp.parseCacheLookupValue},
		"cache-store-value":   {Sections: engine.AllSections, Parse: dp.parseCacheStoreValue},
		"cache-remove-value":  {Sections: engine.AllSections, Parse: dp.parseCacheRemoveValue},
		"retry":               {Sections: engine.AllSections, Parse: parseRetry},
		"wait":                {Sections: engine.Inbound | engine.Backend | engine.Outbound, Parse: parseWait},
		"trace":               {Sections: engine.AllSections, Parse: dp.parseTrace},
		"rewrite-uri":         {Sections: engine.Inbound, Parse: parseRewriteURI},
		"mock-response":       {Sections: engine.Inbound | engine.Outbound | engine.OnError, Parse: parseMockResponse},
		"set-method":          {Sections: engine.Inbound | engine.Backend | engine.OnError, Parse: parseSetMethod},

		"find-and-replace":      {Sections: engine.AllSections, Parse: parseFindAndReplace},
		"json-to-xml":           {Sections: engine.Inbound | engine.Outbound | engine.OnError, Parse: parseJSONToXML},
		"xml-to-json":           {Sections: engine.Inbound | engine.Outbound | engine.OnError, Parse: parseXMLToJSON},
		"jsonp":                 {Sections: engine.Outbound, Parse: parseJsonp},
		"cross-domain":          {Sections: engine.Inbound, Parse: parseCrossDomain},
		"redirect-content-urls": {Sections: engine.Inbound | engine.Outbound, Parse: parseRedirectContentURLs},
	}
}
