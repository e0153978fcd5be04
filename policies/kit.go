package policies

import (
	"crypto/x509"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"tollgate/engine"
	"tollgate/store"
)

// kit is what every policy shares, built once per Registry from Deps and
// kept across config snapshots: the store, the HTTP client, the logger,
// the lease keeper of limit-concurrency, the key cache of validate-jwt,
// send-one-way-request's queue, the response cache, the token providers,
// the client certificates, metrics and log sinks.
// Every parse function is a method on it, so a new policy has one shape:
//
//	func (k *kit) parseMyPolicy(p *engine.Parser) engine.Step
//
// and takes from k what it needs at run time. Deps stays configuration.
type kit struct {
	store           store.Store
	client          *http.Client
	direct          bool // client follows no redirects and keeps no cookies or timeout: send-request skips Do (calloutDo)
	maxCalloutBytes int64
	log             *zap.Logger
	onStoreError    func(policy string, err error)

	leases         *leaseKeeper   // renews limit-concurrency's leases
	oneWay         *oneWaySender  // send-one-way-request's bounded queue
	entraAuthority string         // validate-azure-ad-token's identity provider
	clientCAs      *x509.CertPool // validate-client-certificate's roots (nil: the system's)
	clientCerts    *atomic.Bool   // set when a policy needs client certificates
	crls           *crlCache      // validate-revocation's lists
	now            func() time.Time
	certificates   []NamedCertificate        // authentication-certificate's
	metrics        Metrics                   // emit-metric's counters (nil: none)
	loggers        *Loggers                  // log-to-eventhub's sinks
	tokens         map[string]*tokenProvider // authentication-managed-identity, by client-id
	lru            *responseLRU              // cache-lookup/cache-store's internal cache
	callouts       calloutClients            // send-request's clients with a certificate or proxy
	jwks           *jwksCache                // validate-jwt's keys, fetched once per URL
	daprURL        string                    // the Dapr sidecar's HTTP API, no trailing slash
	backends       BackendResolver           // backend entities policies call (llm-content-safety)
	azureTimeout   time.Duration             // send-service-bus-message's and llm-content-safety's calls

	embeddingsTimeout time.Duration // the semantic cache lookup's embeddings calls
	creds             *Credentials  // get-authorization-context's credential manager
}

// newKit fills in Deps' defaults and builds the shared pieces.
func newKit(d Deps) *kit {
	k := &kit{
		store:           d.Store,
		client:          d.HTTPClient,
		maxCalloutBytes: d.MaxCalloutBytes,
		log:             d.Log,
		onStoreError:    d.OnStoreError,
	}
	if k.client == nil {
		k.client = DefaultHTTPClient()
	}
	k.direct = followsNoRedirects(k.client)
	if k.maxCalloutBytes <= 0 {
		k.maxCalloutBytes = 1 << 20
	}
	if k.log == nil {
		k.log = zap.NewNop()
	}
	if k.store == nil {
		k.store = store.NewMemory()
	}
	k.leases = newLeaseKeeper(k)
	k.lru = newResponseLRU(d.ResponseCacheBytes)
	k.clientCAs, k.clientCerts, k.now = d.ClientCAs, d.ClientCertificates, time.Now
	k.crls = newCRLCache(k.client, func() time.Time { return k.now() })
	k.certificates = d.Certificates
	k.metrics = d.Metrics
	k.loggers = d.Loggers
	k.entraAuthority = d.EntraAuthority
	if k.entraAuthority == "" {
		k.entraAuthority = defaultEntraAuthority
	}
	k.tokens = map[string]*tokenProvider{}
	for id, ident := range d.Identities {
		k.tokens[id] = newTokenProvider(ident, k.client, k.log)
	}
	k.oneWay = newOneWaySender(k.client, k.log, d.OneWayQueue, d.OnOneWayDropped)
	k.jwks = newJwksCache(func() *http.Client { return k.client })
	k.daprURL = strings.TrimRight(d.DaprURL, "/")
	if k.daprURL == "" {
		k.daprURL = DefaultDaprURL
	}
	k.backends, k.azureTimeout = d.Backends, d.AzureCallTimeout
	if k.azureTimeout <= 0 {
		k.azureTimeout = defaultAzureCallTimeout
	}
	k.creds = d.Credentials
	if k.creds == nil {
		k.creds = NewCredentials(CredentialsOptions{Store: k.store, HTTPClient: k.client, Log: k.log, EntraAuthority: k.entraAuthority})
	}
	k.embeddingsTimeout = d.EmbeddingsTimeout
	if k.embeddingsTimeout <= 0 {
		k.embeddingsTimeout = defaultEmbeddingsTimeout
	}
	return k
}

// storeFailed logs a failed store call of policy as a warning (never the
// key itself: it may carry a secret) and tells OnStoreError about it.
func (k *kit) storeFailed(policy, msg string, err error, fields ...zap.Field) {
	k.log.Warn(policy+": "+msg, append([]zap.Field{zap.String("policy", policy)}, append(fields, zap.Error(err))...)...)
	if k.onStoreError != nil {
		k.onStoreError(policy, err)
	}
}

// unexpectedChild reports a child element p does not take, skipped so
// that its own attributes and text are not reported again; want says
// what p takes ("want item").
func unexpectedChild(p *engine.Parser, n *engine.Node, want string) {
	p.Skip(n)
	p.ErrorAt(n.Pos, "unexpected element <%s> inside <%s> (%s)", n.Name, p.Node().Name, want)
}
