package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/sync/singleflight"

	"tollgate/engine"
	"tollgate/store"
)

// Connection status, as APIM reports it.
const (
	ConnectionConnected = "Connected"
	ConnectionError     = "Error"
)

// Credentials is the gateway's credential manager: it outlives
// configuration snapshots (like the stores), so a reload keeps every
// connection's tokens and status while the connection's definition is
// unchanged. Stage builds the set one configuration compiles against.
type Credentials struct {
	store    store.Store
	client   *http.Client
	log      *zap.Logger
	now      func() time.Time
	identity GatewayIdentity
	jwks     *jwksCache
	entra    string
	audience string

	flight singleflight.Group
	mu     sync.Mutex
	// conns are the connections' running states, by provider, connection
	// and fingerprint: those of the sets staged since the served one
	// (CredentialSet.Commit forgets the others).
	conns   map[string]*connState
	stages  uint64  // Stage calls so far (under mu)
	records records // authorization-code connections' tokens (credentials_consent.go)
}

// CredentialsOptions configure NewCredentials; every field may be zero.
type CredentialsOptions struct {
	// Store keeps the consent flows under way and, when it is shared (not
	// a *store.Memory: Redis), the tokens of authorization-code
	// connections, so that every replica uses and refreshes the same ones
	// (refresh tokens are secrets: only there, never logged). With a
	// memory store those tokens live in the process (UseStateFile adds a
	// file). Default: a memory store.
	Store store.Store
	// HTTPClient calls the providers' token endpoints (default
	// DefaultHTTPClient).
	HTTPClient *http.Client
	Log        *zap.Logger
	// Identity is the gateway's identity for identity-type="managed".
	Identity GatewayIdentity
	// EntraAuthority is where identity-type="jwt" tokens' signing keys
	// come from (default https://login.microsoftonline.com).
	EntraAuthority string
	// Now is the clock (tests).
	Now func() time.Time
}

// NewCredentials builds a credential manager.
func NewCredentials(o CredentialsOptions) *Credentials {
	c := &Credentials{store: o.Store, client: o.HTTPClient, log: o.Log, now: o.Now, identity: o.Identity,
		entra: strings.TrimRight(o.EntraAuthority, "/"), audience: authorizationManagerAudience, conns: map[string]*connState{}}
	if c.store == nil {
		c.store = store.NewMemory()
	}
	if _, local := c.store.(*store.Memory); local {
		c.records, _ = newLocalRecords("") // one process: its memory (UseStateFile adds a file)
	} else {
		c.records = sharedRecords{c.store} // Redis: every replica's
	}
	if c.client == nil {
		c.client = DefaultHTTPClient()
	}
	if c.log == nil {
		c.log = zap.NewNop()
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.entra == "" {
		c.entra = defaultEntraAuthority
	}
	c.jwks = newJwksCache(func() *http.Client { return c.client })
	c.jwks.now = func() time.Time { return c.now() }
	return c
}

// authorizationManagerAudience is the audience get-authorization-context's
// identity tokens must have (APIM's documented "expected claims").
const authorizationManagerAudience = "https://azure-api.net/authorization-manager"

// Identity is the gateway's identity for identity-type="managed".
func (c *Credentials) Identity() GatewayIdentity { return c.identity }

// CredentialSet is the credential providers of one configuration load.
type CredentialSet struct {
	c         *Credentials
	stage     uint64 // its Stage call's number (0: not staged)
	providers map[string]*providerEntry
	unusable  map[string]string // provider (or provider/connection) → why

	mu    sync.Mutex
	exprs []CredentialExpression // see Expressions
}

type providerEntry struct {
	def    *CredentialProvider
	conns  map[string]*connRef
	broken bool // its definition has problems (reported where it is defined)
}

// Stage checks the providers the folder defines and builds the set a
// configuration compiles against; every problem is reported at its place.
// c may be nil (tollgate check without a gateway): the set is checked and
// its tokens are never fetched.
func (c *Credentials) Stage(defs []CredentialProvider) (*CredentialSet, engine.ErrorList) {
	if c == nil {
		c = NewCredentials(CredentialsOptions{})
	}
	set := &CredentialSet{c: c, providers: map[string]*providerEntry{}, unusable: map[string]string{}}
	c.mu.Lock()
	c.stages++
	set.stage = c.stages
	c.mu.Unlock()
	var errs engine.ErrorList
	for i := range defs {
		p := &defs[i]
		if set.providers[p.ID] != nil {
			errs.Add(p.Pos, "", "credential provider %q is defined twice", p.ID)
			continue
		}
		var spec *idpSpec
		ok := false
		if !p.Broken {
			spec, ok = checkProvider(p, &errs)
		}
		e := &providerEntry{def: p, conns: map[string]*connRef{}, broken: !ok}
		set.providers[p.ID] = e
		if p.Unusable != "" {
			set.unusable[p.ID] = placed(p.UnusablePos, p.Unusable)
		}
		seen := map[string]bool{}
		for j := range p.Connections {
			cn := &p.Connections[j]
			if seen[cn.ID] {
				errs.Add(cn.Pos, "", "connection %q of provider %q is defined twice", cn.ID, p.ID)
				continue
			}
			seen[cn.ID] = true
			for _, ap := range cn.AccessPolicies {
				if ap.ObjectID == "" || ap.TenantID == "" {
					errs.Add(ap.Pos, "", "access policy %q of connection %q needs objectId and tenantId (the identity it lets use the connection)", ap.ID, cn.ID)
				}
			}
			if spec == nil || cn.Broken {
				continue // its provider's problems are reported; or its own were
			}
			cfg, cok := resolveConnection(p, cn, spec, &errs)
			if !ok || !cok {
				continue
			}
			if why := firstNonEmpty(placed(p.UnusablePos, p.Unusable), placed(cn.UnusablePos, cn.Unusable)); why != "" {
				set.unusable[p.ID+"/"+cn.ID] = why
			}
			e.conns[cn.ID] = &connRef{connState: c.state(set.stage, p.ID, cn, cfg), policies: cn.AccessPolicies}
		}
	}
	return set, errs
}

// placed is why prefixed with where ("" when why is).
func placed(at engine.Pos, why string) string {
	if why == "" || (at.Line == 0 && at.File == "") {
		return why
	}
	return at.String() + ": " + why
}

// state returns the running state of a connection whose definition is
// cfg: the same one as long as the definition does not change (and a
// served set uses it). stage is the set's: the state is kept at least
// while that set may still be committed.
func (c *Credentials) state(stage uint64, provider string, cn *CredentialConnection, cfg *oauthConfig) *connState {
	key := provider + "\x00" + cn.ID + "\x00" + cfg.fingerprint()
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.conns[key]
	if st == nil {
		st = &connState{c: c, key: key, provider: provider, connection: cn.ID, cfg: cfg}
		if cfg.grant == GrantAuthorizationCode {
			st.status, st.errCode, st.errMsg = ConnectionError, "Unauthenticated", "This connection is not authenticated."
		}
		c.conns[key] = st
	}
	st.stage = max(st.stage, stage)
	return st
}

// Commit makes s the served set: the manager forgets the running state
// (cached token, status) of every connection that neither s nor a set
// staged after it uses — connections removed from the folder, or whose
// definition changed — so that the states do not pile up over reloads.
// Requests in flight on an older configuration keep the states they hold,
// which go on working (a cached token, a token request), only no later
// configuration finds them. Call it once the configuration compiled
// against s serves; a reload that fails, or changes nothing, does not:
// the served configuration keeps its states. An authorization-code
// connection's tokens are in the records, not in its state: a
// definition that comes back finds its consent.
//
// One manager serves one gateway: a Commit forgets what another
// gateway's served set uses, unless that set was staged after s.
func (s *CredentialSet) Commit() {
	if s == nil || s.stage == 0 {
		return
	}
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, st := range c.conns {
		if st.stage < s.stage {
			delete(c.conns, k)
		}
	}
}

// States is how many connections' running states the manager holds: the
// served configuration's, and those of configurations staged since.
func (c *Credentials) States() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.conns)
}

// connRef is a connection as one configuration sees it: its shared
// running state, and its access policies (which decide nothing about
// tokens: each configuration applies its own).
type connRef struct {
	*connState
	policies []CredentialAccessPolicy
}

// lookup finds a connection of the set.
func (s *CredentialSet) lookup(provider, connection string) (*connRef, *providerEntry) {
	if s == nil {
		return nil, nil
	}
	e := s.providers[provider]
	if e == nil {
		return nil, nil
	}
	return e.conns[connection], e
}

// Secrets are the client secrets of the set's connections: masked
// wherever text may show them.
func (s *CredentialSet) Secrets() []string {
	if s == nil {
		return nil
	}
	var out []string
	for _, e := range s.providers {
		for _, st := range e.conns {
			if st.cfg.clientSecret != "" {
				out = append(out, st.cfg.clientSecret)
			}
		}
	}
	return out
}

// Registry returns reg with get-authorization-context compiled against
// the set.
func (s *CredentialSet) Registry(reg engine.Registry) engine.Registry {
	p, ok := reg["get-authorization-context"]
	if !ok {
		return reg
	}
	out := maps.Clone(reg)
	p.Parse = func(p *engine.Parser) engine.Step { return parseGetAuthorizationContext(p, s) }
	out["get-authorization-context"] = p
	return out
}

// connState is one connection at run time: its client, its cached
// access token and its status.
type connState struct {
	c          *Credentials
	key        string
	provider   string
	connection string
	cfg        *oauthConfig
	stage      uint64 // the last Stage that used it (under c.mu)

	mu       sync.Mutex
	auth     *engine.Authorization // the current token; nil: none
	usableTo time.Time             // auth is not handed out from then on
	status   string                // "" (never used), Connected, Error
	errCode  string
	errMsg   string
	changed  time.Time
}

// errTokenUnavailable marks failures to get a connection's token: the
// connection is in error, the provider refused or did not answer.
type tokenError struct {
	msg   string
	cause error
}

func (e *tokenError) Error() string { return e.msg }
func (e *tokenError) Unwrap() error { return e.cause }

// token returns the connection's access token: the cached one while it is
// usable, else a new one (concurrent callers share one request to the
// provider; a caller whose context ends stops waiting, the request goes
// on for the others).
func (st *connState) token(ctx context.Context) (*engine.Authorization, error) {
	st.mu.Lock()
	if st.auth != nil && st.c.now().Before(st.usableTo) {
		a := st.auth
		st.mu.Unlock()
		return a, nil
	}
	st.mu.Unlock()
	ch := st.c.flight.DoChan(st.key, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.Background(), tokenRequestTimeout)
		defer cancel()
		return st.renew(fctx)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*engine.Authorization), nil
	case <-ctx.Done():
		return nil, &tokenError{msg: "gave up waiting for the token of connection " + st.name() + ": " + ctx.Err().Error(), cause: ctx.Err()}
	}
}

// tokenRequestTimeout bounds one exchange with a token endpoint.
const tokenRequestTimeout = 20 * time.Second

func (st *connState) name() string { return st.provider + "/" + st.connection }

// renew gets a new access token: with the client credentials, or (an
// authorization-code connection) from the shared store or with the
// refresh token.
func (st *connState) renew(ctx context.Context) (*engine.Authorization, error) {
	st.mu.Lock()
	if st.auth != nil && st.c.now().Before(st.usableTo) { // another flight just got one
		a := st.auth
		st.mu.Unlock()
		return a, nil
	}
	st.mu.Unlock()
	var res *tokenResult
	var err error
	if st.cfg.grant == GrantClientCredentials {
		res, err = st.clientCredentials(ctx)
	} else {
		res, err = st.refreshed(ctx)
	}
	if err != nil {
		st.fail(err)
		return nil, err
	}
	return st.keep(res), nil
}

// keep caches a token and marks the connection connected.
func (st *connState) keep(res *tokenResult) *engine.Authorization {
	now := st.c.now()
	a := &engine.Authorization{AccessToken: res.access, Claims: res.claims}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.auth = a
	st.usableTo = usableUntil(now, res.expiry)
	if st.status != ConnectionConnected {
		st.changed = now
	}
	st.status, st.errCode, st.errMsg = ConnectionConnected, "", ""
	return a
}

// usableUntil is when a token expiring at exp stops being handed out: a
// tenth of its remaining life (at most 30 s) before, so that it is still
// valid when the backend checks it. A token without an expiry is kept an
// hour (tollgate's choice: providers that issue such tokens, as GitHub's
// OAuth apps do, keep them valid until revoked).
func usableUntil(now, exp time.Time) time.Time {
	if exp.IsZero() {
		return now.Add(time.Hour)
	}
	life := exp.Sub(now)
	if life <= 0 {
		return now
	}
	return exp.Add(-min(expirySlack, life/10))
}

// fail records a failure in the connection's status.
func (st *connState) fail(err error) {
	var te *tokenError
	msg := err.Error()
	code := "TokenRequestFailed"
	if errors.As(err, &te) {
		msg = te.msg
	}
	var re *refusedError
	if errors.As(err, &re) {
		code = re.code
	}
	st.mu.Lock()
	if st.status != ConnectionError {
		st.changed = st.c.now()
	}
	st.status, st.errCode, st.errMsg = ConnectionError, code, msg
	st.mu.Unlock()
	st.c.log.Warn("get-authorization-context: connection failed", zap.String("provider", st.provider),
		zap.String("connection", st.connection), zap.String("error", msg))
}

// refusedError is a token endpoint's refusal (an OAuth 2.0 error).
type refusedError struct{ code string }

func (e *refusedError) Error() string { return e.code }

// tokenResult is a token endpoint's answer.
type tokenResult struct {
	access  string
	refresh string
	expiry  time.Time
	claims  map[string]any
}

// clientCredentials runs the client credentials grant.
func (st *connState) clientCredentials(ctx context.Context) (*tokenResult, error) {
	cfg := st.cfg
	cc := &clientcredentials.Config{ClientID: cfg.clientID, ClientSecret: cfg.clientSecret, TokenURL: cfg.tokenURL,
		Scopes: cfg.scopes, EndpointParams: cfg.tokenParams, AuthStyle: oauth2.AuthStyleInParams}
	cap := &capture{}
	tok, err := cc.Token(cap.context(ctx, st.c.client))
	if err != nil {
		return nil, st.tokenErr("client credentials", cfg.tokenURL, err)
	}
	return cap.result(tok, st.c.now()), nil
}

// tokenErr describes a failed token request without the secrets it
// carried: the endpoint (without credentials in its URL), the status and
// the OAuth 2.0 error code.
func (st *connState) tokenErr(what, endpoint string, err error) error {
	msg := fmt.Sprintf("connection %s: the %s token request to %s failed: ", st.name(), what, engine.RedactURL(endpoint))
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		code := re.ErrorCode
		if len(code) > 64 || strings.ContainsAny(code, "\r\n") {
			code = ""
		}
		if code != "" {
			return &tokenError{msg: msg + fmt.Sprintf("%d (%s)", status, code), cause: &refusedError{code: code}}
		}
		return &tokenError{msg: msg + fmt.Sprintf("answered %d", status), cause: &refusedError{code: "TokenRequestRefused"}}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return &tokenError{msg: msg + ue.Err.Error(), cause: err}
	}
	if strings.Contains(err.Error(), "server response missing access_token") {
		return &tokenError{msg: msg + "the answer has no access_token", cause: err}
	}
	return &tokenError{msg: msg + "invalid answer", cause: err}
}

// capture keeps the body of the token endpoint's answer: APIM's
// Authorization.Claims are its fields, which x/oauth2's Token does not
// list.
type capture struct {
	body        []byte
	contentType string
}

// maxTokenResponse bounds a token endpoint's answer.
const maxTokenResponse = 1 << 20

func (c *capture) context(ctx context.Context, base *http.Client) context.Context {
	cl := *base
	rt := base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	cl.Transport = captureRT{rt: rt, c: c}
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return context.WithValue(ctx, oauth2.HTTPClient, &cl)
}

type captureRT struct {
	rt http.RoundTripper
	c  *capture
}

func (t captureRT) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := t.rt.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxTokenResponse+1))
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(body) > maxTokenResponse {
		return nil, fmt.Errorf("the answer is larger than %d bytes", maxTokenResponse)
	}
	t.c.body, t.c.contentType = body, res.Header.Get("Content-Type")
	res.Body = io.NopCloser(bytes.NewReader(body))
	return res, nil
}

// result is the token with the answer's fields as its claims (all but
// the refresh token, which stays tollgate's).
// The expiry is the answer's expires_in from now, by the manager's clock.
func (c *capture) result(tok *oauth2.Token, now time.Time) *tokenResult {
	res := &tokenResult{access: tok.AccessToken, refresh: tok.RefreshToken, expiry: tok.Expiry, claims: responseClaims(c.body, c.contentType)}
	var secs int64
	switch v := res.claims["expires_in"].(type) {
	case float64:
		secs = int64(v)
	case string:
		secs, _ = strconv.ParseInt(v, 10, 64)
	}
	if secs > 0 {
		res.expiry = now.Add(engine.SecondsDuration(secs))
	}
	return res
}

func responseClaims(body []byte, contentType string) map[string]any {
	claims := map[string]any{}
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/x-www-form-urlencoded" || mt == "text/plain" {
		vals, err := url.ParseQuery(string(body))
		if err == nil {
			for k, v := range vals {
				if len(v) > 0 {
					claims[k] = v[0]
				}
			}
		}
	} else {
		d := json.NewDecoder(bytes.NewReader(body))
		_ = d.Decode(&claims)
	}
	delete(claims, "refresh_token")
	return claims
}

// status is a connection's status for the admin API.
func (st *connState) statusView() (status, code, msg string, changed time.Time, expires time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	status = st.status
	if status == "" {
		status = "NotUsedYet"
	}
	return status, st.errCode, st.errMsg, st.changed, st.usableTo
}
