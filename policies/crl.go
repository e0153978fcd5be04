package policies

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// crlCache fetches and keeps the certificate revocation lists that
// validate-client-certificate's validate-revocation checks against: one per
// distribution point URL, kept until its NextUpdate (at most an hour),
// fetched again at most once a minute after a failure.
type crlCache struct {
	client *http.Client
	now    func() time.Time
	mu     sync.Mutex
	by     map[string]*crlEntry
}

type crlEntry struct {
	mu      sync.Mutex // one fetch at a time per URL
	list    *x509.RevocationList
	until   time.Time
	err     error
	errTill time.Time
}

const (
	maxCRLBytes  = 10 << 20
	maxCRLKeep   = time.Hour
	crlRetryWait = time.Minute
)

func newCRLCache(client *http.Client, now func() time.Time) *crlCache {
	return &crlCache{client: client, now: now, by: map[string]*crlEntry{}}
}

// revoked reports whether cert, issued by issuer, is on one of its CRLs.
// A certificate without an http distribution point has nothing to check.
// A list that cannot be fetched, parsed or verified is an error: the
// status is unknown.
func (c *crlCache) revoked(ctx context.Context, cert, issuer *x509.Certificate) (bool, error) {
	for _, u := range cert.CRLDistributionPoints {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			continue
		}
		rl, err := c.get(ctx, u, issuer)
		if err != nil {
			return false, err
		}
		for _, e := range rl.RevokedCertificateEntries {
			if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
				return true, nil
			}
		}
	}
	return false, nil
}

func (c *crlCache) get(ctx context.Context, url string, issuer *x509.Certificate) (*x509.RevocationList, error) {
	c.mu.Lock()
	e := c.by[url]
	if e == nil {
		e = &crlEntry{}
		c.by[url] = e
	}
	c.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	now := c.now()
	if e.list != nil && now.Before(e.until) {
		return e.list, e.verify(issuer)
	}
	if e.err != nil && now.Before(e.errTill) {
		return nil, e.err
	}
	rl, err := c.fetch(ctx, url)
	if err != nil {
		e.err, e.errTill = err, now.Add(crlRetryWait)
		return nil, err
	}
	e.list, e.err = rl, nil
	e.until = now.Add(maxCRLKeep)
	if !rl.NextUpdate.IsZero() && rl.NextUpdate.Before(e.until) {
		e.until = rl.NextUpdate
	}
	return rl, e.verify(issuer)
}

func (e *crlEntry) verify(issuer *x509.Certificate) error {
	if err := e.list.CheckSignatureFrom(issuer); err != nil {
		return fmt.Errorf("the revocation list is not signed by the certificate's issuer: %v", err)
	}
	return nil
}

func (c *crlCache) fetch(ctx context.Context, url string) (*x509.RevocationList, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("revocation list %s: %v", url, err)
	}
	res, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("revocation list %s: %s", url, errWithoutURL(err))
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("revocation list %s: the server answered %d", url, res.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, maxCRLBytes+1))
	if err != nil || len(data) > maxCRLBytes {
		return nil, fmt.Errorf("revocation list %s: unreadable or larger than %d bytes", url, maxCRLBytes)
	}
	rl, err := x509.ParseRevocationList(data)
	if err != nil {
		return nil, fmt.Errorf("revocation list %s: %v", url, err)
	}
	return rl, nil
}
