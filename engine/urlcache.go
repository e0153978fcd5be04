package engine

import (
	"net/url"
	"strings"

	"tollgate/internal/boundcache"
)

// ParseURL is url.Parse for the URLs policies compute per request
// (set-backend-service's base-url): a policy usually computes the same few
// (a route's URL), so each distinct string is parsed once, for the policy
// that checks it and for the gateway that sends to it. Up to maxParsedURLs
// strings are kept; an error is never kept. The *url.URL is shared: a
// caller copies it before changing it.
func ParseURL(s string) (*url.URL, error) {
	if u, ok := parsedURLs.Get(s); ok {
		return u, nil
	}
	// The cache keeps a copy: s may be in a request's string room
	// (State.NewString: set-backend-service's base-url is usually a
	// concatenation), and the parsed URL's strings are slices of the
	// string parsed, so keeping s would keep the whole object its room is
	// in (a REST exchange, 2 KB) for as long as the entry lives.
	s = strings.Clone(s)
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	return parsedURLs.Put(s, u), nil
}

const maxParsedURLs = 1024

var parsedURLs = boundcache.New[string, *url.URL](maxParsedURLs)
