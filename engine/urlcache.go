package engine

import (
	"net/url"
	"sync"
	"sync/atomic"
)

// ParseURL is url.Parse for the URLs policies compute per request
// (set-backend-service's base-url): a policy usually computes the same few
// (a route's URL), so each distinct string is parsed once, for the policy
// that checks it and for the gateway that sends to it. Up to maxParsedURLs
// strings are kept; an error is never kept. The *url.URL is shared: a
// caller copies it before changing it.
func ParseURL(s string) (*url.URL, error) {
	if u, ok := parsedURLs.Load(s); ok {
		return u.(*url.URL), nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if parsedURLCount.Load() < maxParsedURLs {
		if _, loaded := parsedURLs.LoadOrStore(s, u); !loaded {
			parsedURLCount.Add(1)
		}
	}
	return u, nil
}

const maxParsedURLs = 1024

var (
	parsedURLs     sync.Map // string -> *url.URL
	parsedURLCount atomic.Int64
)
