package policies

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"

	"tollgate/engine"
)

// Signing keys fetched for validate-jwt from <openid-config url> (an OpenID
// Connect discovery document, whose jwks_uri is then fetched) or <jwks url>
// (a JWK Set directly).
//
// The cache belongs to the registry (one per policies.Registry call), keyed
// by kind and URL, so a config reload does not refetch and two APIs using
// the same identity provider share one entry. As APIM: keys are kept for an
// hour; a token whose kid is unknown triggers a refetch, at most every five
// minutes. One fetch runs at a time per URL: concurrent requests wait for
// the same fetch (they never start their own). A fetch is bounded by its
// timeout and runs detached from any one request, so a client that goes
// away does not fail the fetch for the others. Once keys have been fetched,
// a failed refresh keeps serving the previous keys.

const (
	jwksTTL        = time.Hour
	jwksMinRefresh = 5 * time.Minute
	jwksMaxBytes   = 1 << 20
)

// sigKey is one verification key.
type sigKey struct {
	kid string // "" when the key has no id
	alg string // the JWK's "alg", "" when unset
	key any    // []byte, *rsa.PublicKey or *ecdsa.PublicKey
}

// keySet is an immutable set of keys, as fetched.
type keySet struct {
	keys []sigKey
	// issuer is the discovery document's "issuer" ("" for a JWK Set URL,
	// or a document without one): validate-jwt accepts tokens it issued.
	issuer string
}

type jwksCache struct {
	client     func() *http.Client
	now        func() time.Time
	ttl        time.Duration
	minRefresh time.Duration

	mu      sync.Mutex
	sources map[string]*keySource
}

func newJwksCache(client func() *http.Client) *jwksCache {
	return &jwksCache{client: client, now: time.Now, ttl: jwksTTL, minRefresh: jwksMinRefresh, sources: map[string]*keySource{}}
}

// source returns the cache entry for a URL (discovery: an openid-config URL).
func (c *jwksCache) source(url string, discovery bool) *keySource {
	k := "jwks " + url
	if discovery {
		k = "openid " + url
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sources[k]
	if s == nil {
		s = &keySource{c: c, url: url, discovery: discovery}
		if len(c.sources) < maxKeySources {
			c.sources[k] = s
		}
		// Past the bound (URLs from expressions that keep changing) the
		// source serves one request: its keys are fetched for it and
		// not kept.
	}
	return s
}

// maxKeySources bounds the URLs whose keys the cache keeps.
const maxKeySources = 1024

type keySource struct {
	c         *jwksCache
	url       string
	discovery bool

	mu          sync.Mutex
	keys        *keySet
	fetched     time.Time // last successful fetch
	lastAttempt time.Time // last fetch started, successful or not
	inflight    *fetchCall
}

type fetchCall struct {
	done chan struct{}
	keys *keySet
	err  error
}

// get returns the keys. refresh asks for a refetch because a token's kid is
// unknown; it is honoured at most every minRefresh. The wait is bounded by
// timeout (the fetch's own bound) and ctx.
func (s *keySource) get(ctx context.Context, timeout time.Duration, refresh bool) (*keySet, error) {
	now := s.c.now()
	s.mu.Lock()
	keys := s.keys
	switch {
	case keys == nil:
		// Nothing yet: everyone waits for the (shared) first fetch.
	case refresh && now.Sub(s.lastAttempt) >= s.c.minRefresh:
		// An unknown kid: wait for fresh keys.
	case now.Sub(s.fetched) >= s.c.ttl:
		// Expired: refresh in the background, keep serving what we have
		// (at most one attempt a minute while the endpoint fails).
		if s.inflight == nil && now.Sub(s.lastAttempt) >= time.Minute {
			s.start(timeout)
		}
		s.mu.Unlock()
		return keys, nil
	default:
		s.mu.Unlock()
		return keys, nil
	}
	call := s.inflight
	if call == nil {
		call = s.start(timeout)
	}
	s.mu.Unlock()
	select {
	case <-call.done:
		if call.err != nil {
			if keys != nil {
				return keys, nil // a failed refresh: keep the old keys
			}
			return nil, call.err
		}
		return call.keys, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the signing keys from %s: %w", engine.RedactURL(s.url), ctx.Err())
	}
}

// start begins a fetch; s.mu is held.
func (s *keySource) start(timeout time.Duration) *fetchCall {
	call := &fetchCall{done: make(chan struct{})}
	s.inflight = call
	s.lastAttempt = s.c.now()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		keys, err := s.fetch(ctx)
		cancel()
		if err != nil && errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer from %s within %s", engine.RedactURL(s.url), timeout)
		}
		s.mu.Lock()
		call.keys, call.err = keys, err
		if err == nil {
			s.keys, s.fetched = keys, s.c.now()
		}
		s.inflight = nil
		s.mu.Unlock()
		close(call.done)
	}()
	return call
}

func (s *keySource) fetch(ctx context.Context) (*keySet, error) {
	jwksURL, issuer := s.url, ""
	if s.discovery {
		var doc struct {
			Issuer  string `json:"issuer"`
			JwksURI string `json:"jwks_uri"`
		}
		if err := s.getJSON(ctx, s.url, &doc); err != nil {
			return nil, err
		}
		if err := checkHTTPURL(doc.JwksURI); err != nil {
			return nil, fmt.Errorf("the OpenID configuration at %s has no usable jwks_uri: %v", engine.RedactURL(s.url), err)
		}
		jwksURL, issuer = doc.JwksURI, doc.Issuer
	}
	var set jwkSet
	if err := s.getJSON(ctx, jwksURL, &set); err != nil {
		return nil, err
	}
	ks := &keySet{issuer: issuer}
	for _, k := range set.Keys {
		if sk, ok := k.parse(); ok {
			ks.keys = append(ks.keys, sk)
		}
	}
	if len(ks.keys) == 0 {
		return nil, fmt.Errorf("the key set at %s has no usable signing key", engine.RedactURL(jwksURL))
	}
	return ks, nil
}

func (s *keySource) getJSON(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("bad URL %s: %v", engine.RedactURL(url), err)
	}
	req.Header.Set("Accept", "application/json")
	res, err := s.c.client().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("cannot fetch %s: %s", engine.RedactURL(url), errWithoutURL(err))
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %d", engine.RedactURL(url), res.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, jwksMaxBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("reading %s: %v", engine.RedactURL(url), err)
	}
	if len(data) > jwksMaxBytes {
		return fmt.Errorf("%s sent more than %d bytes", engine.RedactURL(url), jwksMaxBytes)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s did not send valid JSON: %v", engine.RedactURL(url), err)
	}
	return nil
}

// jwkSet is RFC 7517's JWK Set.
type jwkSet struct {
	Keys []jwk `json:"keys"`
}

type jwk struct {
	Kty string   `json:"kty"`
	Kid string   `json:"kid"`
	Use string   `json:"use"`
	Alg string   `json:"alg"`
	N   string   `json:"n"`
	E   string   `json:"e"`
	Crv string   `json:"crv"`
	X   string   `json:"x"`
	Y   string   `json:"y"`
	X5c []string `json:"x5c"`
}

// parse turns a JWK into a verification key. Keys that are not for
// signatures, or of a type tollgate does not verify with, are skipped.
func (k jwk) parse() (sigKey, bool) {
	if k.Use != "" && k.Use != "sig" {
		return sigKey{}, false
	}
	out := sigKey{kid: k.Kid, alg: k.Alg}
	switch k.Kty {
	case "RSA":
		if k.N != "" && k.E != "" {
			pub, err := rsaFromNE(k.N, k.E)
			if err != nil {
				return sigKey{}, false
			}
			out.key = pub
			return out, true
		}
	case "EC":
		if k.X != "" && k.Y != "" {
			curve := curveByName(k.Crv)
			if curve == nil {
				return sigKey{}, false
			}
			x, err1 := b64urlInt(k.X)
			y, err2 := b64urlInt(k.Y)
			if err1 != nil || err2 != nil {
				return sigKey{}, false
			}
			pub, ok := ecPublicKey(curve, x, y)
			if !ok {
				return sigKey{}, false
			}
			out.key = pub
			return out, true
		}
	default:
		return sigKey{}, false
	}
	// No inline parameters: the first certificate of the chain.
	if len(k.X5c) > 0 {
		der, err := base64.StdEncoding.DecodeString(k.X5c[0])
		if err != nil {
			return sigKey{}, false
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return sigKey{}, false
		}
		switch pub := cert.PublicKey.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey:
			out.key = pub
			return out, true
		}
	}
	return sigKey{}, false
}

func rsaFromNE(n, e string) (*rsa.PublicKey, error) {
	nn, err := b64urlInt(n)
	if err != nil {
		return nil, fmt.Errorf("bad modulus: %v", err)
	}
	ee, err := b64urlInt(e)
	if err != nil {
		return nil, fmt.Errorf("bad exponent: %v", err)
	}
	if nn.Sign() <= 0 || nn.BitLen() < 1024 {
		return nil, errors.New("the modulus must be at least 1024 bits")
	}
	if !ee.IsInt64() || ee.Int64() < 3 || ee.Int64() > 1<<31-1 {
		return nil, errors.New("bad exponent")
	}
	return &rsa.PublicKey{N: nn, E: int(ee.Int64())}, nil
}

func b64urlInt(s string) (*big.Int, error) {
	b, err := decodeB64Any(s)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, errors.New("empty value")
	}
	return new(big.Int).SetBytes(b), nil
}

// decodeB64Any accepts standard or URL-safe base64, padded or not.
func decodeB64Any(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not valid base64")
}

func curveByName(name string) elliptic.Curve {
	switch name {
	case "P-256":
		return elliptic.P256()
	case "P-384":
		return elliptic.P384()
	case "P-521":
		return elliptic.P521()
	}
	return nil
}

// ecPublicKey builds the key for the point (x, y), which must be on the
// curve (crypto/ecdsa validates the uncompressed point; the deprecated raw
// X/Y fields are never set by hand).
func ecPublicKey(c elliptic.Curve, x, y *big.Int) (*ecdsa.PublicKey, bool) {
	size := (c.Params().BitSize + 7) / 8
	if x.Sign() < 0 || y.Sign() < 0 || len(x.Bytes()) > size || len(y.Bytes()) > size {
		return nil, false
	}
	buf := make([]byte, 1+2*size)
	buf[0] = 4
	x.FillBytes(buf[1 : 1+size])
	y.FillBytes(buf[1+size:])
	pub, err := ecdsa.ParseUncompressedPublicKey(c, buf)
	return pub, err == nil
}
