package gateway

import "tollgate/engine"

// SubscriptionSettings say whether an API needs a subscription key and
// where clients send it (APIM's subscriptionRequired and
// subscriptionKeyParameterNames).
type SubscriptionSettings struct {
	Required bool
	Header   string // default Ocp-Apim-Subscription-Key
	Query    string // default subscription-key
}

var defaultSubscriptionSettings = SubscriptionSettings{Header: "Ocp-Apim-Subscription-Key", Query: "subscription-key"}

// subscriptionMatch is the subscription a request presented a key of.
type subscriptionMatch struct{}

// fill sets context.Subscription and context.User.
func (m reqMatch) fill(st *engine.State) {}
