package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"tollgate/engine"
	"tollgate/store"
)

// Subscriptions (docs/resource-model.md): a client sends its key in the
// API's header (Ocp-Apim-Subscription-Key) or, without it, its query
// parameter (subscription-key). The key is checked before any policy runs,
// for a WebSocket API before the upgrade; a missing or invalid key is
// APIM's 401 through the API's on-error. Subscriptions come from the
// folder (subscriptions/NAME/subscriptionInformation.json, keys from a keys
// file) and from the subscription store (tollgate subscription create).
// Keys are only ever held as SHA-256 hashes, compared in constant time.

// SubscriptionSettings say whether an API needs a subscription key and
// where clients send it (APIM's subscriptionRequired and
// subscriptionKeyParameterNames).
type SubscriptionSettings struct {
	Required bool
	Header   string // default Ocp-Apim-Subscription-Key
	Query    string // default subscription-key
}

var defaultSubscriptionSettings = SubscriptionSettings{Header: "Ocp-Apim-Subscription-Key", Query: "subscription-key"}

// APIM's predefined errors of its subscription step.
const (
	ReasonSubscriptionKeyNotFound = "SubscriptionKeyNotFound"
	ReasonSubscriptionKeyInvalid  = "SubscriptionKeyInvalid"
	msgKeyMissing                 = "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API."
	msgKeyInvalid                 = "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."
)

// HashKey is how a subscription key is stored: SHA-256, hex. Keys are
// random 32-byte values, so an unsalted hash cannot be reversed by search.
func HashKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// subscriptionMatch is the subscription a request presented a key of.
type subscriptionMatch struct {
	sub  *engine.Subscription
	user *engine.User
}

// fill sets what the gateway matched before any policy: the operation's
// context.Request.MatchedParameters, context.Subscription and context.User.
func (m reqMatch) fill(st *engine.State) {
	ctx := st.Context()
	if m.params != nil { // else SetRequest's empty map stays: APIM's is never null
		ctx.Request.MatchedParameters = m.params
	}
	if m.sub != nil {
		ctx.Subscription, ctx.User = m.sub.sub, m.sub.user
	}
}

// fileSubscriptions are the folder's subscriptions, by key hash.
type fileSubscriptions struct {
	byHash map[string]*store.Subscription
	all    []*store.Subscription // by folder name, with or without keys
	// keyless are the subscriptions the keys file gives no keys (the
	// extractor cannot export them), by id: no key presents them, unless
	// the store holds keys given for them at run time (store.Subscription
	// Folder records, set through the admin API).
	keyless map[string]*store.Subscription
	// scopeAt is where each subscription's scope is written (its file's
	// "scope" key, or line 1 when an override brought it).
	scopeAt map[string]engine.Pos
}

// indexKeyless fills keyless once every scope's subscriptions are in.
func (fs *fileSubscriptions) indexKeyless() {
	if fs == nil {
		return
	}
	fs.keyless = map[string]*store.Subscription{}
	for _, sub := range fs.all {
		if sub.PrimaryKeyHash == "" && sub.SecondaryKeyHash == "" {
			fs.keyless[sub.ID] = sub
		}
	}
}

// subscriptionKeys is the keys file: subscription name -> its keys, in
// plain text or as SHA-256 hashes (hex).
type subscriptionKeys map[string]struct {
	PrimaryKey         string `json:"primaryKey"`
	SecondaryKey       string `json:"secondaryKey"`
	PrimaryKeySha256   string `json:"primaryKeySha256"`
	SecondaryKeySha256 string `json:"secondaryKeySha256"`
}

var subscriptionProps = map[string]bool{"displayName": true, "scope": true, "ownerId": true, "state": true}

var subscriptionStates = map[string]bool{"active": true, "suspended": true, "cancelled": true, "expired": true, "submitted": true, "rejected": true}

// loadSubscriptions reads DIR/subscriptions/NAME/subscriptionInformation.json
// (APIOps: {"properties": {"displayName", "scope", "ownerId", "state"}}) and
// takes their keys from keysFile. Nothing of it is hashed into the
// snapshot's hash as bytes: only hashes of keys are kept.
func loadSubscriptions(dir, keysFile string, over *overrides, errs *engine.ErrorList, notes *[]string) (*fileSubscriptions, []string) {
	sdir := filepath.Join(dir, "subscriptions")
	ents, err := os.ReadDir(sdir)
	if err != nil {
		return nil, nil
	}
	var keys subscriptionKeys
	var keysData []byte
	if keysFile != "" {
		if data, ok := readIf(keysFile, errs); !ok {
			errs.Add(engine.Pos{File: keysFile}, "", "the subscription keys file does not exist")
		} else {
			keysData = data
			decodeJSONFile(keysFile, data, &keys, errs)
		}
	}
	keyAt := func(name string) engine.Pos { return jsonKeyPos(keysFile, keysData, name) }
	fs := &fileSubscriptions{byHash: map[string]*store.Subscription{}, scopeAt: map[string]engine.Pos{}}
	var fingerprint []string
	for _, e := range ents {
		if !isDirEntry(sdir, e) || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		name := e.Name()
		file := filepath.Join(sdir, name, "subscriptionInformation.json")
		data, ok := readIf(file, errs)
		if !ok {
			errs.Add(engine.Pos{File: filepath.Join(sdir, name)}, "", "a subscription folder needs subscriptionInformation.json")
			continue
		}
		var info struct {
			Properties map[string]json.RawMessage `json:"properties"`
		}
		if !decodeJSONFile(file, data, &info, errs) {
			continue
		}
		props := over.merge("subscriptions", name, info.Properties) // the configuration file's (state, scope, ...)
		sub := &store.Subscription{ID: name, State: "active"}
		str := func(k string, dst *string) {
			if raw, ok := props[k]; ok && json.Unmarshal(raw, dst) != nil {
				errs.Add(jsonKeyPos(file, data, k), "", "subscription property %s must be a string", k)
			}
		}
		str("displayName", &sub.DisplayName)
		str("scope", &sub.Scope)
		str("ownerId", &sub.Owner)
		str("state", &sub.State)
		for k := range props {
			switch {
			case k == "primaryKey" || k == "secondaryKey":
				errs.Add(jsonKeyPos(file, data, k), "", "keys do not belong in the configuration folder: put %s's keys in the subscription keys file (--subscription-keys)", name)
			case !subscriptionProps[k]:
				*notes = append(*notes, jsonKeyPos(file, data, k).String()+": ignored: subscription property "+k+" (Azure only)")
			}
		}
		sub.Scope = normalizeScope(sub.Scope)
		fs.scopeAt[name] = jsonKeyPos(file, data, "scope")
		if sub.Scope != "" {
			fs.all = append(fs.all, sub)
		} else {
			errs.Add(jsonKeyPos(file, data, "scope"), "", "subscription %q needs a scope: /apis, /apis/NAME or /products/NAME", name)
		}
		if !subscriptionStates[sub.State] {
			errs.Add(jsonKeyPos(file, data, "state"), "", "subscription state %q is not one of active, suspended, cancelled, expired, submitted, rejected", sub.State)
		}
		k, ok := keys[name]
		if !ok {
			// As the extractor writes every subscription: its keys are
			// secrets it cannot export. Loaded, but no key presents it
			// until it has some (the keys file on reload, or the admin
			// API); the notice says so.
			where := "a subscription keys file (--subscription-keys)"
			if keysFile != "" {
				where = "the subscription keys file " + keysFile
			}
			*notes = append(*notes, fmt.Sprintf("%s:1:1: ignored: subscription %s has no keys (APIOps' extractor cannot export them): no request can present it until they are given in %s or through the admin API (tollgate subscription regenerate %s)",
				file, name, where, name))
			fingerprint = append(fingerprint, name+"\x00"+sub.Scope+"\x00"+sub.Owner+"\x00"+sub.State+"\x00\x00")
			continue
		}
		sub.PrimaryKeyHash = keyHashOf(k.PrimaryKey, k.PrimaryKeySha256)
		sub.SecondaryKeyHash = keyHashOf(k.SecondaryKey, k.SecondaryKeySha256)
		if sub.PrimaryKeyHash == "" && sub.SecondaryKeyHash == "" {
			errs.Add(keyAt(name), "", "subscription %q has neither a primary nor a secondary key in the keys file", name)
			continue
		}
		for _, h := range []string{sub.PrimaryKeyHash, sub.SecondaryKeyHash} {
			if h == "" {
				continue
			}
			if other := fs.byHash[h]; other != nil {
				errs.Add(keyAt(name), "", "subscriptions %q and %q share a key", other.ID, name)
			}
			fs.byHash[h] = sub
		}
		fingerprint = append(fingerprint, name+"\x00"+sub.Scope+"\x00"+sub.Owner+"\x00"+sub.State+"\x00"+sub.PrimaryKeyHash+"\x00"+sub.SecondaryKeyHash)
	}
	sort.Strings(fingerprint)
	return fs, fingerprint
}

func keyHashOf(plain, hashed string) string {
	if plain != "" {
		return HashKey(plain)
	}
	return strings.ToLower(hashed)
}

// normalizeScope turns an ARM scope (".../products/starter",
// ".../workspaces/hr/apis") or a short one into "/apis", "/apis/NAME" or
// "/products/NAME", prefixed with "/workspaces/WS" for a workspace's; ""
// when it is none. The service's own id (".../providers/
// Microsoft.ApiManagement/service/NAME/", the scope of the built-in
// all-access subscription "master" that every extract has) is "/apis":
// APIM's all-access subscription opens every API of the service, and
// product policies do not apply to it, as for an all-APIs one.
func normalizeScope(s string) string {
	parts := strings.Split(strings.Trim(s, "/"), "/")
	n := len(parts)
	var tail string
	switch {
	case n >= 1 && parts[n-1] == "apis":
		tail, n = "/apis", n-1
	case n >= 2 && (parts[n-2] == "apis" || parts[n-2] == "products") && parts[n-1] != "":
		tail, n = "/"+parts[n-2]+"/"+parts[n-1], n-2
	case n >= 3 && strings.EqualFold(parts[n-3], "Microsoft.ApiManagement") && strings.EqualFold(parts[n-2], "service") && parts[n-1] != "":
		return "/apis"
	default:
		return ""
	}
	if n >= 2 && parts[n-2] == "workspaces" && parts[n-1] != "" {
		return "/workspaces/" + parts[n-1] + tail
	}
	return tail
}

// presentedKey is the request's subscription key: the API's header first,
// then its query parameter (as APIM). noDefault: the front server noted
// that the request has no field of the default header's name (h1.Noted),
// which then needs no lookup.
func presentedKey(r *http.Request, set SubscriptionSettings, noDefault bool) string {
	var v string
	if set.Header == defaultSubscriptionSettings.Header { // canonical already
		if !noDefault {
			v = headerGet(r.Header, set.Header)
		}
	} else {
		v = r.Header.Get(set.Header)
	}
	if v != "" {
		return v
	}
	if set.Query != "" && strings.Contains(r.URL.RawQuery, set.Query) { // parse only when it may be there
		return r.URL.Query().Get(set.Query)
	}
	return ""
}

// checkSubscription finds the request's subscription and product. It
// returns the views index (0: no product), what goes into the context, or
// the error to answer with. noDefault: the front server noted that the
// request has no field of the default subscription-key header's name.
func (s *Server) checkSubscription(ctx context.Context, snap *Snapshot, api *API, r *http.Request, noDefault bool) (int, *subscriptionMatch, *engine.PolicyError) {
	key := presentedKey(r, api.Subscription, noDefault)
	if key == "" {
		switch {
		case !api.Subscription.Required:
			return 0, nil, nil
		case api.openProduct > 0:
			return api.openProduct, nil, nil
		}
		return 0, nil, subscriptionError(ReasonSubscriptionKeyNotFound, msgKeyMissing)
	}
	sub, err := s.lookupSubscription(ctx, snap, key)
	if err != nil {
		s.metrics.StoreErrors.WithLabelValues("subscriptions").Inc()
		s.log.Warn("the subscription store failed", zap.String("api", api.Name), zap.Bool("fail_open", s.opt.SubscriptionsFailOpen), zap.Error(err))
		if s.opt.SubscriptionsFailOpen {
			return 0, nil, nil
		}
		pe := engine.NewPolicyError(engine.ReasonStoreUnavailable, http.StatusServiceUnavailable, "the subscription store is unavailable", err)
		pe.Source = "authorization"
		return 0, nil, pe
	}
	prod, ok := subscriptionCovers(snap, api, sub)
	if !ok {
		if !api.Subscription.Required {
			return 0, nil, nil // an API open to all ignores a key it cannot use
		}
		return 0, nil, subscriptionError(ReasonSubscriptionKeyInvalid, msgKeyInvalid)
	}
	m := &subscriptionMatch{sub: &engine.Subscription{Id: sub.ID, Name: sub.DisplayName, Key: key,
		CreatedDate: sub.CreatedDate, StartDate: sub.StartDate, EndDate: sub.EndDate}}
	if m.sub.Name == "" {
		m.sub.Name = sub.ID
	}
	if sub.Owner != "" {
		id := sub.Owner
		if i := strings.LastIndexByte(id, '/'); i >= 0 {
			id = id[i+1:]
		}
		m.user = &engine.User{Id: id}
	}
	return prod, m, nil
}

// lookupSubscription finds the subscription of key: the folder's first,
// then the store's. nil when there is none.
func (s *Server) lookupSubscription(ctx context.Context, snap *Snapshot, key string) (*store.Subscription, error) {
	h := HashKey(key)
	if fs := snap.subscriptions; fs != nil {
		if sub := fs.byHash[h]; sub != nil && sameHash(sub, h) {
			return sub, nil
		}
	}
	if s.opt.Subscriptions == nil {
		return nil, nil
	}
	sub, err := s.opt.Subscriptions.Lookup(ctx, h)
	if err != nil || sub == nil || !sameHash(sub, h) {
		return nil, err
	}
	if sub.Folder {
		// Keys given at run time to a folder subscription without keys:
		// the folder's subscription (its scope, state, owner), while the
		// keys file still gives it none.
		if fs := snap.subscriptions; fs != nil {
			if f := fs.keyless[sub.ID]; f != nil {
				return f, nil
			}
		}
		return nil, nil
	}
	return sub, nil
}

// sameHash confirms, in constant time, that one of sub's key hashes is h.
func sameHash(sub *store.Subscription, h string) bool {
	a := subtle.ConstantTimeCompare([]byte(sub.PrimaryKeyHash), []byte(h))
	b := subtle.ConstantTimeCompare([]byte(sub.SecondaryKeyHash), []byte(h))
	return a|b == 1
}

// subscriptionCovers says whether sub may call api now, and through which
// product (views index).
func subscriptionCovers(snap *Snapshot, api *API, sub *store.Subscription) (int, bool) {
	if sub == nil || sub.State != "active" {
		return 0, false
	}
	now := time.Now()
	if (sub.StartDate != nil && now.Before(*sub.StartDate)) || (sub.EndDate != nil && !now.Before(*sub.EndDate)) {
		return 0, false
	}
	ws, scope := scopeWorkspace(sub.Scope)
	if ws != apiWorkspace(api) {
		return 0, false // a scope covers its own workspace's APIs (or the service's)
	}
	switch {
	case scope == "/apis":
		return 0, true
	case strings.HasPrefix(scope, "/apis/"):
		return 0, scope[len("/apis/"):] == api.Name
	case strings.HasPrefix(scope, "/products/"):
		name := scope[len("/products/"):]
		for _, p := range snap.Products {
			if p.Name == name {
				return p.index + 1, p.Published && p.has(api.Name)
			}
		}
	}
	return 0, false
}

// apiWorkspace is the name of the API's workspace ("" for the service's).
func apiWorkspace(a *API) string {
	if a.Workspace == nil {
		return ""
	}
	return a.Workspace.Id
}

func subscriptionError(reason, msg string) *engine.PolicyError {
	pe := engine.NewPolicyError(reason, http.StatusUnauthorized, msg, nil)
	pe.Source = "authorization"
	pe.Response = engine.ErrorResponse(http.StatusUnauthorized, msg)
	return pe
}

// checkSubscriptionScopes reports folder subscriptions whose scope names no
// API or product of their own scope. Such a subscription without keys is a
// notice, not an error: an extract filtered by name (or one whose
// subscriptions are those of APIM's built-in starter and unlimited
// products, left out of it) holds them, and without keys they open nothing
// anyway. With keys, it would be a key that opens nothing: an error.
func checkSubscriptionScopes(dir string, snap *Snapshot, failed notLoaded, errs *engine.ErrorList, notes *[]string) {
	if snap.subscriptions == nil {
		return
	}
	for _, sub := range snap.subscriptions.all {
		ws, scope := scopeWorkspace(sub.Scope)
		sdir, where := dir, ""
		if ws != "" {
			sdir, where = filepath.Join(dir, "workspaces", ws), " of workspace "+ws
		}
		at, ok := snap.subscriptions.scopeAt[sub.ID]
		if !ok {
			at = engine.Pos{File: filepath.Join(sdir, "subscriptions", sub.ID, "subscriptionInformation.json"), Line: 1, Col: 1}
		}
		keyless := sub.PrimaryKeyHash == "" && sub.SecondaryKeyHash == ""
		dangling := func(what string) {
			if keyless {
				*notes = append(*notes, fmt.Sprintf("%s: ignored: subscription %s: scope %s names no %s%s, and it has no keys: it opens nothing (an extract filtered by name leaves the %s out; give it keys only once the folder has it)",
					at, sub.ID, sub.Scope, what, where, what))
				return
			}
			errs.Add(at, "", "subscription %q: scope %s names no %s%s", sub.ID, sub.Scope, what, where)
		}
		switch {
		case strings.HasPrefix(scope, "/apis/"):
			name := scope[len("/apis/"):]
			if a := snap.API(name); (a == nil || apiWorkspace(a) != ws) && failed.has(ws, name) {
				errs.Add(at, "", "subscription %q: scope %s names API %q%s, which "+didNotLoad, sub.ID, sub.Scope, name, where)
			} else if a == nil || apiWorkspace(a) != ws {
				dangling("API")
			}
		case strings.HasPrefix(scope, "/products/"):
			if p := snap.product(scope[len("/products/"):]); p == nil || p.Workspace != ws {
				dangling("product")
			}
		}
	}
}
