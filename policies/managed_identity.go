package policies

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"tollgate/engine"
)

// <authentication-managed-identity resource="https://graph.microsoft.com" client-id="…"
//
//	output-token-variable-name="msi-access-token" ignore-error="false"/>
//
// Off Azure there is no managed identity endpoint: the identity is an OAuth2
// client (client-credentials grant against any token endpoint: Entra ID,
// Keycloak, …) configured in Deps.Identities, keyed by APIM's client-id
// ("" for the system-assigned identity). The token for resource is cached
// until it expires and refreshed ahead of that in the background; it goes to
// the backend as Authorization: Bearer, or into the variable.
type managedIdentity struct {
	tp        *tokenProvider
	resource  engine.Str
	variable  string
	ignoreErr bool
}

// ReasonTokenFailure is the reason when no token could be obtained.
const ReasonTokenFailure = "ManagedIdentityTokenFailure"

// Identity is an OAuth2 client that stands in for an Azure managed identity.
type Identity struct {
	TokenURL     string // the token endpoint (https://login.microsoftonline.com/TENANT/oauth2/v2.0/token)
	ClientID     string
	ClientSecret string
}

// parseManagedIdentityPolicy is the policy element: in inbound, or, as
// deployed policies use it, elsewhere with output-token-variable-name
// only (APIM documents inbound). Inside send-request it is the call's
// (send_request.go), in any section.
func (k *kit) parseManagedIdentityPolicy(p *engine.Parser) engine.Step {
	if p.Section() != engine.Inbound && !p.Has("output-token-variable-name") {
		// the request has gone: only a token for a later call makes sense
		p.Errorf("<authentication-managed-identity> is not allowed in %s without output-token-variable-name (allowed in: inbound; elsewhere it only fills a variable for a send-request)", p.Section())
	}
	return k.parseManagedIdentity(p)
}

func (k *kit) parseManagedIdentity(p *engine.Parser) engine.Step {
	m := &managedIdentity{
		resource:  p.RequiredStr("resource"),
		variable:  p.LitStr("output-token-variable-name", ""),
		ignoreErr: p.LitBool("ignore-error", false),
	}
	if m.resource.IsConst() && strings.TrimSpace(m.resource.Const()) == "" && p.Has("resource") {
		p.ErrorAt(p.Node().Attr("resource").ValuePos, "attribute \"resource\" must not be empty")
	}
	id := p.LitStr("client-id", "")
	m.tp = k.tokens[id]
	if m.tp == nil {
		pos := p.Node().Pos
		if a := p.Node().Attr("client-id"); a != nil {
			p.ErrorAt(a.ValuePos, "no identity is configured for client-id %q: tollgate gets tokens with the OAuth2 client-credentials grant; "+
				"give the client in the --identities file (see docs/policies-credentials.md)", id)
		} else {
			p.ErrorAt(pos, "no identity is configured for the system-assigned identity (no client-id): tollgate gets tokens with the OAuth2 client-credentials grant; "+
				"set TOLLGATE_IDENTITY_TOKEN_URL, _CLIENT_ID and _CLIENT_SECRET (see docs/policies-credentials.md)")
		}
	}
	return m
}

// token gets the token for this request's resource: "" and no error when
// ignore-error let a failure through.
func (m *managedIdentity) token(ctx context.Context, s *engine.State) (string, error) {
	resource, err := m.resource.Eval(s)
	if err != nil {
		return "", err
	}
	if m.tp == nil {
		return "", nil // not configured: reported at load
	}
	tok, err := m.tp.token(ctx, resource)
	if err != nil {
		if m.ignoreErr {
			s.Tracef("no token (ignored): %v", err)
			return "", nil
		}
		return "", engine.NewPolicyError(ReasonTokenFailure, http.StatusInternalServerError, "cannot get a token for "+resource+": "+err.Error(), err)
	}
	return tok, nil
}

func (m *managedIdentity) Run(ctx context.Context, s *engine.State) error {
	tok, err := m.token(ctx, s)
	if err != nil || tok == "" {
		return err
	}
	if m.variable != "" {
		s.Variables()[m.variable] = tok
		return nil
	}
	if h := s.Context().Request.Headers; h != nil {
		h["Authorization"] = []string{"Bearer " + tok}
	}
	s.Tracef("Authorization: Bearer (token not shown)")
	return nil
}

// tokenProvider gets and caches the tokens of one identity, per resource.
type tokenProvider struct {
	id     Identity
	client *http.Client
	log    *zap.Logger
	now    func() time.Time

	mu     sync.Mutex
	tokens map[string]*cachedToken
}

type cachedToken struct {
	mu         sync.Mutex // held while fetching: one request per resource at a time
	value      string
	usableTo   time.Time // expiry minus a slack: never handed out later
	refreshAt  time.Time
	refreshing bool
}

func newTokenProvider(id Identity, client *http.Client, log *zap.Logger) *tokenProvider {
	return &tokenProvider{id: id, client: client, log: log, now: time.Now, tokens: map[string]*cachedToken{}}
}

// expirySlack is how long before its expiry a token is no longer handed
// out (it must still be valid when the backend checks it); at most a tenth
// of the token's lifetime.
const expirySlack = 30 * time.Second

// token returns a valid token for resource: the cached one; the cached one
// while a background refresh runs once 80% of its lifetime has passed; or a
// new one (concurrent callers share one fetch).
func (tp *tokenProvider) token(ctx context.Context, resource string) (string, error) {
	tp.mu.Lock()
	e := tp.tokens[resource]
	if e == nil {
		e = &cachedToken{}
		tp.tokens[resource] = e
	}
	tp.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	now := tp.now()
	if e.value != "" && now.Before(e.usableTo) {
		if !now.Before(e.refreshAt) && !e.refreshing {
			e.refreshing = true
			go tp.refresh(resource, e)
		}
		return e.value, nil
	}
	v, exp, err := tp.fetch(ctx, resource)
	if err != nil {
		return "", err
	}
	tp.store(e, v, exp)
	return v, nil
}

func (tp *tokenProvider) store(e *cachedToken, v string, lifetime time.Duration) {
	now := tp.now()
	e.value = v
	e.usableTo = now.Add(lifetime - min(expirySlack, lifetime/10))
	e.refreshAt = now.Add(lifetime - lifetime/5) // 80%, without lifetime*8 overflowing
}

func (tp *tokenProvider) refresh(resource string, e *cachedToken) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v, exp, err := tp.fetch(ctx, resource)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.refreshing = false
	if err != nil {
		tp.log.Warn("authentication-managed-identity: token refresh failed; the current token is used until it expires",
			zap.String("resource", resource), zap.String("error", err.Error()))
		e.refreshAt = tp.now().Add(10 * time.Second) // try again soon
		return
	}
	tp.store(e, v, exp)
}

// fetch runs the client-credentials grant for resource's scope.
func (tp *tokenProvider) fetch(ctx context.Context, resource string) (string, time.Duration, error) {
	scope := strings.TrimSuffix(resource, "/")
	if !strings.HasSuffix(scope, "/.default") {
		scope += "/.default"
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {tp.id.ClientID},
		"client_secret": {tp.id.ClientSecret}, "scope": {scope}}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tp.id.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("bad token URL %s", engine.RedactURL(tp.id.TokenURL))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	res, err := tp.client.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("token endpoint %s: %s", engine.RedactURL(tp.id.TokenURL), errWithoutURL(err))
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return "", 0, fmt.Errorf("token endpoint %s: %s", engine.RedactURL(tp.id.TokenURL), errWithoutURL(err))
	}
	var body struct {
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
		Error       string          `json:"error"`
	}
	_ = json.Unmarshal(data, &body)
	if res.StatusCode/100 != 2 || body.AccessToken == "" {
		msg := fmt.Sprintf("token endpoint %s answered %d", engine.RedactURL(tp.id.TokenURL), res.StatusCode)
		if body.Error != "" && len(body.Error) < 100 {
			msg += " (" + body.Error + ")"
		} else if res.StatusCode/100 == 2 {
			msg += " without an access_token"
		}
		return "", 0, fmt.Errorf("%s", msg)
	}
	secs, err := strconv.ParseInt(strings.Trim(string(body.ExpiresIn), `"`), 10, 64)
	if err != nil || secs <= 0 {
		secs = 300 // no usable expires_in: keep it for 5 minutes
	}
	// Up to what a Duration holds: multiplied out unchecked, a longer
	// lifetime would wrap around (to a token never usable, fetched again
	// for every request, or one kept for a wrong time).
	return body.AccessToken, engine.SecondsDuration(secs), nil
}
