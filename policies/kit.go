package policies

import (
	"net/http"

	"go.uber.org/zap"

	"tollgate/store"
)

// kit is what every policy shares, built once per Registry from Deps and
// kept across config snapshots: the store, the HTTP client, the logger,
// the lease keeper of limit-concurrency and the key cache of validate-jwt.
// Every parse function is a method on it, so a new policy has one shape:
//
//	func (k *kit) parseMyPolicy(p *engine.Parser) engine.Step
//
// and takes from k what it needs at run time. Deps stays configuration.
type kit struct {
	store           store.Store
	client          *http.Client
	maxCalloutBytes int64
	log             *zap.Logger
	onStoreError    func(policy string, err error)

	leases *leaseKeeper // renews limit-concurrency's leases
	jwks   *jwksCache   // validate-jwt's keys, fetched once per URL
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
	k.jwks = newJwksCache(func() *http.Client { return k.client })
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
