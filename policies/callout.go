package policies

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// What the policies that call out over HTTP share (send-request,
// validate-jwt's key fetches): the default client, URL checks and errors
// that never quote a URL (it may carry a secret).

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

// checkHTTPURL checks a literal callout URL (send-request, jwks, openid-config).
func checkHTTPURL(s string) error {
	if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		return fmt.Errorf("URL %q must start with http:// or https://", s)
	}
	return nil
}

// errWithoutURL is the text of an http.Client error without the URL that
// net/http quotes in it, which may carry secrets: the wrapped error's text.
func errWithoutURL(err error) string {
	if ue, ok := err.(interface{ Unwrap() error }); ok && ue.Unwrap() != nil {
		return ue.Unwrap().Error()
	}
	return err.Error()
}
