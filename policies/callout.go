package policies

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
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

// checkHTTPURL checks a literal callout URL (send-request, jwks, openid-config):
// http or https, a URL net/url parses (no control character: a URL written
// over several lines of an attribute keeps its line breaks, and could never be
// fetched) and a host.
func checkHTTPURL(s string) error {
	// The messages show the URL without its query, which may carry a
	// signature an expression computed or a secret named value.
	shown := s
	if i := strings.IndexByte(s, '?'); i >= 0 {
		shown = s[:i] + "?…"
	}
	if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		return fmt.Errorf("URL %q must start with http:// or https://", shown)
	}
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("URL %q is not a URL: %v", shown, err)
	}
	if u.Host == "" {
		return fmt.Errorf("URL %q has no host", shown)
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

// followsNoRedirects reports whether c.Do would hand a request to its
// transport and return the answer as it is: no cookie jar, no timeout of
// its own, and a CheckRedirect that stops at the first answer
// (DefaultHTTPClient's, and gateway.NewCalloutClient's). It asks
// CheckRedirect once, with an empty request; one that panics on it counts
// as following.
func followsNoRedirects(c *http.Client) (ok bool) {
	if c.Jar != nil || c.Timeout != 0 || c.CheckRedirect == nil {
		return false
	}
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return c.CheckRedirect(&http.Request{URL: &url.URL{}, Header: http.Header{}}, nil) == http.ErrUseLastResponse
}

// calloutDo sends req with c. With direct (followsNoRedirects(c)) it goes
// straight to c's transport, without what Do does to be able to follow
// redirects (a copy of the request's headers, the chain of requests): Do's
// result for such a client, its errors wrapped in *url.Error as Do wraps
// them (the URL's password masked), so errWithoutURL words them alike.
func calloutDo(c *http.Client, direct bool, req *http.Request) (*http.Response, error) {
	if !direct {
		return c.Do(req)
	}
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	res, err := rt.RoundTrip(req)
	if err == nil && res == nil {
		err = fmt.Errorf("http: RoundTripper %T returned a nil *Response with a nil error", rt)
	}
	if err != nil {
		if res != nil && res.Body != nil {
			res.Body.Close()
		}
		method := req.Method
		if method == "" {
			method = http.MethodGet
		}
		return nil, &url.Error{Op: method[:1] + strings.ToLower(method[1:]), URL: req.URL.Redacted(), Err: err}
	}
	return res, nil
}
