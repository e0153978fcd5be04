package policies

import (
	"context"
	"net/http"
	"time"

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
	storeTimeout    time.Duration
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
		storeTimeout:    d.StoreTimeout,
		log:             d.Log,
		onStoreError:    d.OnStoreError,
	}
	if k.client == nil {
		k.client = DefaultHTTPClient()
	}
	if k.maxCalloutBytes <= 0 {
		k.maxCalloutBytes = 1 << 20
	}
	if k.storeTimeout <= 0 {
		k.storeTimeout = 100 * time.Millisecond
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

// storeContext bounds one store call by the store timeout. The in-process
// Memory store is the exception: it never waits on anything but a shard
// mutex, and the timer would cost more than the call itself (most of a
// rate-limit step's time and allocations), so it gets ctx as is.
func (k *kit) storeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, local := k.store.(*store.Memory); local {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, k.storeTimeout)
}

// storeFailed logs a failed store call of policy as a warning (never the
// key itself: it may carry a secret) and tells OnStoreError about it.
func (k *kit) storeFailed(policy, msg string, err error, fields ...zap.Field) {
	k.log.Warn(policy+": "+msg, append([]zap.Field{zap.String("policy", policy)}, append(fields, zap.Error(err))...)...)
	if k.onStoreError != nil {
		k.onStoreError(policy, err)
	}
}
