package policies

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/oauth2"

	"tollgate/store"
)

// The authorization code grant: an operator consents once (the login
// link on the admin listener), the provider's answer gives an access token
// and a refresh token, and the gateway refreshes the access token with the
// refresh token from then on. The tokens are a connection's record, kept in
// the records store: the limits store when it is shared (Redis: every
// replica uses and refreshes the same tokens), else the process's memory
// and, optionally, a state file.

// record is an authorization-code connection's tokens and status.
type record struct {
	Client  string         `json:"client"` // the OAuth client's fingerprint: another client's tokens are not used
	Access  string         `json:"access,omitempty"`
	Refresh string         `json:"refresh,omitempty"`
	Expiry  int64          `json:"expiry,omitempty"` // Unix seconds; 0: the token does not expire
	Claims  map[string]any `json:"claims,omitempty"`
	Status  string         `json:"status"`
	Code    string         `json:"code,omitempty"`
	Message string         `json:"message,omitempty"`
	Changed int64          `json:"changed"`
}

// records keeps the connections' records.
type records interface {
	get(ctx context.Context, key string) (*record, error) // nil, nil: none
	put(ctx context.Context, key string, r *record) error
	// lock holds key's refresh for the replicas sharing the records.
	lock(ctx context.Context, key string) (func(), error)
}

// recordTTL is how long a record lives in a shared store without being
// written again (each refresh writes it).
const recordTTL = 400 * 24 * time.Hour

// sharedRecords are records in a store the replicas share.
type sharedRecords struct{ st store.Store }

func (s sharedRecords) get(ctx context.Context, key string) (*record, error) {
	b, ok, err := s.st.CacheGet(ctx, key)
	if err != nil || !ok {
		return nil, err
	}
	r := &record{}
	if json.Unmarshal(b, r) != nil {
		return nil, nil
	}
	return r, nil
}

func (s sharedRecords) put(ctx context.Context, key string, r *record) error {
	b, _ := json.Marshal(r)
	return s.st.CacheSet(ctx, key, b, recordTTL)
}

func (s sharedRecords) lock(ctx context.Context, key string) (func(), error) {
	for {
		lease, d, err := s.st.Acquire(ctx, key+"\x00refresh", 1, tokenRequestTimeout+10*time.Second)
		if err != nil {
			return nil, err
		}
		if d.Allowed {
			return func() {
				rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = lease.Release(rctx)
			}, nil
		}
		// Another replica is refreshing: wait for it, then read what it wrote.
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// localRecords are one process's records, written to a state file (0600)
// when one is given, and read from it at start.
type localRecords struct {
	mu   sync.Mutex
	m    map[string]*record
	file string
}

func newLocalRecords(file string) (*localRecords, error) {
	l := &localRecords{m: map[string]*record{}, file: file}
	if file == "" {
		return l, nil
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("credentials state file %s: %w", file, err)
	}
	if err := json.Unmarshal(b, &l.m); err != nil {
		return nil, fmt.Errorf("credentials state file %s: not a state file tollgate wrote", file)
	}
	return l, nil
}

func (l *localRecords) get(_ context.Context, key string) (*record, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r := l.m[key]; r != nil {
		c := *r
		return &c, nil
	}
	return nil, nil
}

func (l *localRecords) put(_ context.Context, key string, r *record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := *r
	l.m[key] = &c
	if l.file == "" {
		return nil
	}
	b, _ := json.Marshal(l.m)
	tmp, err := os.CreateTemp(filepath.Dir(l.file), ".credentials-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), l.file)
}

func (l *localRecords) lock(context.Context, string) (func(), error) {
	return func() {}, nil // one process: its flights are one per connection already
}

// recordKey is where a connection's record lives: by provider and
// connection (a reload that changes the provider's scopes keeps the
// consent; one that changes the client does not use it).
func (st *connState) recordKey() string {
	return "credentials\x00" + st.provider + "\x00" + st.connection
}

// usable reports whether r holds an access token of st's client that may
// still be handed out.
func (st *connState) usable(r *record) bool {
	if r == nil || r.Client != st.cfg.clientFingerprint() || r.Status != ConnectionConnected || r.Access == "" {
		return false
	}
	now := st.c.now()
	return r.Expiry == 0 || now.Before(usableUntil(now, time.Unix(r.Expiry, 0)))
}

func recordResult(r *record) *tokenResult {
	res := &tokenResult{access: r.Access, claims: r.Claims}
	if r.Expiry != 0 {
		res.expiry = time.Unix(r.Expiry, 0)
	}
	return res
}

// notConnected is the error of a connection without usable tokens.
func (st *connState) notConnected(r *record) error {
	switch {
	case r == nil || r.Client != st.cfg.clientFingerprint():
		return &tokenError{msg: "connection " + st.name() + " is not connected: This connection is not authenticated. (consent with its login link on the admin listener: GET /credentials/" + st.provider + "/" + st.connection + "/login)",
			cause: &refusedError{code: "Unauthenticated"}}
	case r.Status == ConnectionError:
		return &tokenError{msg: "connection " + st.name() + " is in error: " + r.Message + " (consent again with its login link on the admin listener)", cause: &refusedError{code: r.Code}}
	default:
		return &tokenError{msg: "connection " + st.name() + ": the access token expired and the provider gave no refresh token (consent again with its login link on the admin listener)",
			cause: &refusedError{code: "Unauthenticated"}}
	}
}

// refreshed gets an authorization-code connection's access token: the
// record's while it is valid, else a refreshed one (one replica refreshes,
// the others read what it wrote).
func (st *connState) refreshed(ctx context.Context) (*tokenResult, error) {
	c, key := st.c, st.recordKey()
	r, err := c.records.get(ctx, key)
	if err != nil {
		return nil, &tokenError{msg: "connection " + st.name() + ": the credential store did not answer: " + err.Error(), cause: err}
	}
	if st.usable(r) {
		return recordResult(r), nil
	}
	if r == nil || r.Client != st.cfg.clientFingerprint() || r.Refresh == "" {
		return nil, st.notConnected(r)
	}
	unlock, err := c.records.lock(ctx, key)
	if err != nil {
		return nil, &tokenError{msg: "connection " + st.name() + ": the credential store did not answer: " + err.Error(), cause: err}
	}
	defer unlock()
	if r, err = c.records.get(ctx, key); err != nil {
		return nil, &tokenError{msg: "connection " + st.name() + ": the credential store did not answer: " + err.Error(), cause: err}
	}
	if st.usable(r) { // another replica refreshed it meanwhile
		return recordResult(r), nil
	}
	if r == nil || r.Client != st.cfg.clientFingerprint() || r.Refresh == "" {
		return nil, st.notConnected(r)
	}
	cp := &capture{}
	tok, err := st.cfg.oauth2Config(true, "").TokenSource(cp.context(ctx, c.client), &oauth2.Token{RefreshToken: r.Refresh}).Token()
	if err != nil {
		terr := st.tokenErr("refresh", st.cfg.refreshURL, err)
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			// The provider refused the refresh token (expired, revoked,
			// rotated away): the connection needs consent again.
			var rf *refusedError
			errors.As(terr, &rf)
			r.Status, r.Code, r.Message, r.Access, r.Refresh, r.Changed = ConnectionError, rf.code, terr.Error(), "", "", c.now().Unix()
			if perr := c.records.put(ctx, key, r); perr != nil {
				c.log.Warn("get-authorization-context: cannot write a connection's status to the credential store: " + perr.Error())
			}
		}
		return nil, terr
	}
	res := cp.result(tok, st.c.now())
	if err := c.records.put(ctx, key, st.newRecord(res)); err != nil {
		return nil, &tokenError{msg: "connection " + st.name() + ": cannot keep the refreshed tokens in the credential store: " + err.Error(), cause: err}
	}
	return res, nil
}

func (st *connState) newRecord(res *tokenResult) *record {
	r := &record{Client: st.cfg.clientFingerprint(), Access: res.access, Refresh: res.refresh, Claims: res.claims,
		Status: ConnectionConnected, Changed: st.c.now().Unix()}
	if !res.expiry.IsZero() {
		r.Expiry = res.expiry.Unix()
	}
	return r
}

// consent is a consent flow under way, kept in the store (any replica's
// admin listener may take the provider's callback) for consentTTL.
type consent struct {
	Provider   string `json:"provider"`
	Connection string `json:"connection"`
	Key        string `json:"key"` // the connection state's: the definition it started with
	Verifier   string `json:"verifier,omitempty"`
	Callback   string `json:"callback"`
	After      string `json:"after,omitempty"`
}

// consentTTL is how long a login link's state stays good.
const consentTTL = 10 * time.Minute

func consentKey(state string) string { return "credentials-consent\x00" + state }

// ErrNoConnection: Login or Callback named no connection of the set.
var ErrNoConnection = errors.New("no such connection")

// Login starts the consent flow of an authorization-code connection and
// returns the provider's authorization URL to send the operator's browser
// to. callback is the redirect URL registered at the provider (the
// provider's redirectUrl when it has one); after, where Callback's caller
// sends the browser once connected.
func (s *CredentialSet) Login(ctx context.Context, provider, connection, callback, after string) (string, error) {
	ref, _ := s.lookup(provider, connection)
	if ref == nil {
		return "", fmt.Errorf("%w: %s/%s", ErrNoConnection, provider, connection)
	}
	st := ref.connState
	if st.cfg.grant != GrantAuthorizationCode {
		return "", fmt.Errorf("connection %s uses the client credentials grant: it needs no consent", st.name())
	}
	if st.cfg.redirectURL != "" {
		callback = st.cfg.redirectURL
	}
	state := randomToken()
	cs := consent{Provider: provider, Connection: connection, Key: st.key, Callback: callback, After: after}
	var opts []oauth2.AuthCodeOption
	for k, v := range st.cfg.authParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v[0]))
	}
	if st.cfg.pkce {
		cs.Verifier = oauth2.GenerateVerifier()
		opts = append(opts, oauth2.S256ChallengeOption(cs.Verifier))
	}
	b, _ := json.Marshal(cs)
	if err := s.c.store.CacheSet(ctx, consentKey(state), b, consentTTL); err != nil {
		return "", fmt.Errorf("cannot keep the consent's state: %w", err)
	}
	return st.cfg.oauth2Config(false, callback).AuthCodeURL(state, opts...), nil
}

// Callback finishes a consent flow with the provider's answer (its code,
// or its error) and returns the connection and where to send the browser.
// The state is good once.
func (s *CredentialSet) Callback(ctx context.Context, state, code, providerErr string) (name, after string, err error) {
	b, ok, err := s.c.store.CacheTake(ctx, consentKey(state))
	if err != nil {
		return "", "", fmt.Errorf("cannot read the consent's state: %w", err)
	}
	var cs consent
	if !ok || state == "" || json.Unmarshal(b, &cs) != nil {
		return "", "", errors.New("unknown or expired state: open the connection's login link again")
	}
	ref, _ := s.lookup(cs.Provider, cs.Connection)
	if ref == nil || ref.key != cs.Key {
		return "", "", fmt.Errorf("connection %s/%s changed since its login link was opened: open it again", cs.Provider, cs.Connection)
	}
	st := ref.connState
	if providerErr != "" {
		if len(providerErr) > 64 {
			providerErr = providerErr[:64]
		}
		err := &tokenError{msg: "connection " + st.name() + ": the provider refused the consent (" + providerErr + ")", cause: &refusedError{code: providerErr}}
		st.fail(err)
		return st.name(), "", err
	}
	if code == "" {
		return st.name(), "", errors.New("the provider's answer has no code")
	}
	var opts []oauth2.AuthCodeOption
	if cs.Verifier != "" {
		opts = append(opts, oauth2.VerifierOption(cs.Verifier))
	}
	for k, v := range st.cfg.tokenParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v[0]))
	}
	cp := &capture{}
	xctx, cancel := context.WithTimeout(ctx, tokenRequestTimeout)
	defer cancel()
	tok, err := st.cfg.oauth2Config(false, cs.Callback).Exchange(cp.context(xctx, s.c.client), code, opts...)
	if err != nil {
		terr := st.tokenErr("authorization code", st.cfg.tokenURL, err)
		st.fail(terr)
		return st.name(), "", terr
	}
	res := cp.result(tok, st.c.now())
	if err := s.c.records.put(ctx, st.recordKey(), st.newRecord(res)); err != nil {
		return st.name(), "", fmt.Errorf("cannot keep the tokens in the credential store: %w", err)
	}
	st.keep(res)
	st.c.log.Info("get-authorization-context: connection connected", zapConn(st)...)
	return st.name(), cs.After, nil
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ConnectionStatus is a connection as the admin API shows it: never a
// token or a secret.
type ConnectionStatus struct {
	Provider         string     `json:"provider"`
	Connection       string     `json:"connection"`
	IdentityProvider string     `json:"identityProvider"`
	GrantType        string     `json:"grantType"`
	Status           string     `json:"status"`
	Error            *ConnError `json:"error,omitempty"`
	Changed          *time.Time `json:"changed,omitempty"`
	TokenExpires     *time.Time `json:"tokenExpires,omitempty"`
	// Login is the admin path that starts the consent (authorization code).
	Login string `json:"login,omitempty"`
}

// ConnError is a connection's error, as APIM's AuthorizationError.
type ConnError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Connections lists the set's connections and their status: an
// authorization-code connection's from the records (every replica's
// view), a client-credentials one's from this replica's last attempt.
func (s *CredentialSet) Connections(ctx context.Context) []ConnectionStatus {
	if s == nil {
		return []ConnectionStatus{}
	}
	out := []ConnectionStatus{}
	for _, pid := range sortedNames(s.providers) {
		e := s.providers[pid]
		for _, cid := range sortedNames(e.conns) {
			st := e.conns[cid].connState
			cs := ConnectionStatus{Provider: pid, Connection: cid, IdentityProvider: st.cfg.identityProvider, GrantType: st.cfg.grant}
			status, code, msg, changed, expires := st.statusView()
			if st.cfg.grant == GrantAuthorizationCode {
				cs.Login = "/credentials/" + url.PathEscape(pid) + "/" + url.PathEscape(cid) + "/login"
				r, err := s.c.records.get(ctx, st.recordKey())
				switch {
				case err != nil:
					status, code, msg = ConnectionError, "StoreUnavailable", "the credential store did not answer"
				case r == nil || r.Client != st.cfg.clientFingerprint():
					if status != ConnectionError || code == "" {
						status, code, msg = ConnectionError, "Unauthenticated", "This connection is not authenticated."
					}
				default:
					status, code, msg, changed = r.Status, r.Code, r.Message, time.Unix(r.Changed, 0)
					expires = time.Time{}
					if r.Expiry != 0 {
						expires = time.Unix(r.Expiry, 0)
					}
				}
			}
			cs.Status = status
			if code != "" || msg != "" {
				cs.Error = &ConnError{Code: code, Message: msg}
			}
			if !changed.IsZero() {
				cs.Changed = &changed
			}
			if !expires.IsZero() && status == ConnectionConnected {
				cs.TokenExpires = &expires
			}
			out = append(out, cs)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Provider < out[j].Provider })
	return out
}

func zapConn(st *connState) []zap.Field {
	return []zap.Field{zap.String("provider", st.provider), zap.String("connection", st.connection)}
}

// UseStateFile keeps the authorization-code connections' tokens in file
// (created 0600, rewritten at each change) as well as in memory, so that
// a restart keeps their consent; the file's records are read now. Only
// with a memory store: a shared store (Redis) keeps them already.
func (c *Credentials) UseStateFile(file string) error {
	if _, local := c.records.(*localRecords); !local {
		return errors.New("a credentials state file goes with the memory store only: the shared store keeps the tokens")
	}
	l, err := newLocalRecords(file)
	if err != nil {
		return err
	}
	c.records = l
	return nil
}
