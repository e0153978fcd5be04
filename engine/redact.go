package engine

import (
	"net/url"
	"strings"
)

// Query parameters whose values are never logged or traced.
var secretParams = map[string]bool{
	"access_token": true, "token": true, "sig": true, "key": true, "code": true,
	"id_token": true, "refresh_token": true, "client_secret": true, "password": true, "api_key": true, "apikey": true,
	"subscription-key": true,
}

// IsSecretParam reports whether a query parameter's value must be redacted.
func IsSecretParam(name string) bool { return secretParams[strings.ToLower(name)] }

// RedactURL returns u with secret query values replaced by "REDACTED" and
// any userinfo password removed. Unparseable input is replaced entirely.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable url)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	if u.RawQuery != "" {
		u.RawQuery = RedactQuery(u.RawQuery)
	}
	return u.String()
}

// RedactQuery redacts secret values in a raw query string, keeping order.
func RedactQuery(raw string) string {
	parts := strings.Split(raw, "&")
	changed := false
	for i, p := range parts {
		k, _, ok := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if ok && IsSecretParam(name) {
			parts[i] = k + "=REDACTED"
			changed = true
		}
	}
	if !changed {
		return raw
	}
	return strings.Join(parts, "&")
}
