package gateway

import (
	"tollgate/engine"
)

// Product groups APIs for subscriptions and carries a policy, the scope
// between global and API (scopes.go).
type Product struct {
	Name string
	Info *engine.Product
	// SubscriptionRequired: false makes an open product: its APIs are
	// served without a key, through its policy.
	SubscriptionRequired bool
	plan                 *engine.Plan
	apis                 map[string]bool
	index                int // in Snapshot.Products; views index index+1
}

func (p *Product) has(api string) bool { return p.apis[api] }
