package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"tollgate/store"
)

// The admin API behind `tollgate subscription`: it manages the store's
// subscriptions. Keys never travel through it: the client makes the key
// and sends its SHA-256 hash; nothing it answers holds a key or a hash.
//
//	GET   /subscriptions            every subscription (the folder's too, read-only)
//	GET   /subscriptions/{id}
//	PUT   /subscriptions/{id}       create or replace: {"scope", "ownerId", "displayName", "state", "primaryKeySha256", "secondaryKeySha256"}
//	PATCH /subscriptions/{id}       change some of those fields (a new key hash is a regenerated key)

// subscriptionView is a subscription as the admin API shows it.
type subscriptionView struct {
	ID           string     `json:"id"`
	DisplayName  string     `json:"displayName,omitempty"`
	Scope        string     `json:"scope"`
	Owner        string     `json:"ownerId,omitempty"`
	State        string     `json:"state"`
	HasPrimary   bool       `json:"hasPrimaryKey"`
	HasSecondary bool       `json:"hasSecondaryKey"`
	CreatedDate  time.Time  `json:"createdDate,omitzero"`
	EndDate      *time.Time `json:"endDate,omitempty"`
	Source       string     `json:"source"` // store | folder
}

func viewOf(s *store.Subscription, source string) subscriptionView {
	return subscriptionView{ID: s.ID, DisplayName: s.DisplayName, Scope: s.Scope, Owner: s.Owner, State: s.State,
		HasPrimary: s.PrimaryKeyHash != "", HasSecondary: s.SecondaryKeyHash != "", CreatedDate: s.CreatedDate,
		EndDate: s.EndDate, Source: source}
}

// subscriptionChange is the body of PUT and PATCH.
type subscriptionChange struct {
	DisplayName        *string    `json:"displayName"`
	Scope              *string    `json:"scope"`
	Owner              *string    `json:"ownerId"`
	State              *string    `json:"state"`
	PrimaryKeySha256   *string    `json:"primaryKeySha256"`
	SecondaryKeySha256 *string    `json:"secondaryKeySha256"`
	EndDate            *time.Time `json:"endDate"`
}

var (
	sha256Hex  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	validSubID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$`)
)

func (s *Server) adminSubscriptions(mux *http.ServeMux) {
	mux.HandleFunc("GET /subscriptions", func(w http.ResponseWriter, r *http.Request) {
		list, err := s.opt.Subscriptions.List(r.Context())
		if err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the subscription store is unavailable"})
			return
		}
		out := []subscriptionView{}
		given := map[string]*store.Subscription{} // keys given to folder subscriptions
		for _, sub := range list {
			if sub.Folder {
				given[sub.ID] = sub
				continue
			}
			out = append(out, viewOf(sub, "store"))
		}
		for _, v := range s.folderSubscriptions() {
			out = append(out, withGivenKeys(v, given[v.ID]))
		}
		sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("GET /subscriptions/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		sub, err := s.opt.Subscriptions.Get(r.Context(), id)
		for _, v := range s.folderSubscriptions() {
			if v.ID == id {
				if !v.HasPrimary && !v.HasSecondary && err != nil {
					writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the subscription store is unavailable"})
					return
				}
				writeJSON(w, http.StatusOK, withGivenKeys(v, sub))
				return
			}
		}
		switch {
		case err != nil:
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the subscription store is unavailable"})
		case sub == nil || sub.Folder:
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no subscription " + id})
		default:
			writeJSON(w, http.StatusOK, viewOf(sub, "store"))
		}
	})
	change := func(replace bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			id := r.PathValue("id")
			var c subscriptionChange
			dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&c); err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad JSON body: " + err.Error()})
				return
			}
			sub, status, err := s.changeSubscription(r, id, c, replace)
			if err != nil {
				writeJSON(w, status, map[string]string{"error": err.Error()})
				return
			}
			if sub.Folder {
				for _, v := range s.folderSubscriptions() {
					if v.ID == id {
						writeJSON(w, status, withGivenKeys(v, sub))
						return
					}
				}
			}
			writeJSON(w, status, viewOf(sub, "store"))
		}
	}
	mux.HandleFunc("PUT /subscriptions/{id}", change(true))
	mux.HandleFunc("PATCH /subscriptions/{id}", change(false))
}

// withGivenKeys is a folder subscription's view with the keys given to it
// at run time (given: its Folder record in the store, or nil), which count
// only while the folder gives it none.
func withGivenKeys(v subscriptionView, given *store.Subscription) subscriptionView {
	if given != nil && given.Folder && !v.HasPrimary && !v.HasSecondary {
		v.HasPrimary, v.HasSecondary = given.PrimaryKeyHash != "", given.SecondaryKeyHash != ""
	}
	return v
}

// folderSubscriptions lists the served folder's subscriptions.
func (s *Server) folderSubscriptions() []subscriptionView {
	snap := s.current.Load()
	if snap == nil || snap.subscriptions == nil {
		return nil
	}
	var out []subscriptionView
	for _, sub := range snap.subscriptions.all {
		out = append(out, viewOf(sub, "folder"))
	}
	return out
}

func (s *Server) changeSubscription(r *http.Request, id string, c subscriptionChange, replace bool) (*store.Subscription, int, error) {
	if !validSubID.MatchString(id) {
		return nil, http.StatusBadRequest, errors.New("a subscription id is 1-80 letters, digits, '.', '_' or '-'")
	}
	folder := false
	for _, v := range s.folderSubscriptions() {
		if v.ID != id {
			continue
		}
		// The folder is the subscription's authority; only the keys of
		// one it gives no keys (the extractor cannot export them) may be
		// given here, kept in the store for every replica.
		if v.HasPrimary || v.HasSecondary {
			return nil, http.StatusConflict, errors.New("subscription " + id + " comes from the configuration folder, and its keys from the subscription keys file; change them there")
		}
		if c.DisplayName != nil || c.Scope != nil || c.Owner != nil || c.State != nil || c.EndDate != nil {
			return nil, http.StatusConflict, errors.New("subscription " + id + " comes from the configuration folder; change it there (only its keys, which the folder does not give, can be set here: primaryKeySha256, secondaryKeySha256)")
		}
		folder = true
	}
	old, err := s.opt.Subscriptions.Get(r.Context(), id)
	if err != nil {
		return nil, http.StatusServiceUnavailable, errors.New("the subscription store is unavailable")
	}
	if old != nil && old.Folder != folder {
		// Keys once given to a folder subscription that is gone (or a
		// store subscription the folder's of the same id now hides):
		// replaced.
		old = nil
	}
	sub := &store.Subscription{ID: id, State: "active", CreatedDate: time.Now().UTC().Truncate(time.Second), Folder: folder}
	status := http.StatusCreated
	switch {
	case folder && old != nil && !replace:
		sub, status = old, http.StatusOK
	case folder:
		status = http.StatusOK // the subscription exists: its keys are new
	case old != nil && !replace:
		sub, status = old, http.StatusOK
	case old != nil:
		sub.CreatedDate, status = old.CreatedDate, http.StatusOK
	case !replace:
		return nil, http.StatusNotFound, errors.New("no subscription " + id)
	}
	if c.DisplayName != nil {
		sub.DisplayName = *c.DisplayName
	}
	if c.Owner != nil {
		sub.Owner = *c.Owner
	}
	if c.Scope != nil {
		sub.Scope = normalizeScope(*c.Scope)
		if sub.Scope == "" || strings.TrimSuffix(*c.Scope, "/") != sub.Scope {
			return nil, http.StatusBadRequest, errors.New("scope must be /apis, /apis/NAME or /products/NAME (a workspace's: /workspaces/WS/apis, /workspaces/WS/apis/NAME or /workspaces/WS/products/NAME)")
		}
	}
	if c.State != nil {
		if !subscriptionStates[*c.State] {
			return nil, http.StatusBadRequest, errors.New("state must be active, suspended, cancelled, expired, submitted or rejected")
		}
		sub.State = *c.State
	}
	for _, k := range []struct {
		in  *string
		out *string
	}{{c.PrimaryKeySha256, &sub.PrimaryKeyHash}, {c.SecondaryKeySha256, &sub.SecondaryKeyHash}} {
		if k.in == nil {
			continue
		}
		h := strings.ToLower(*k.in)
		if h != "" && !sha256Hex.MatchString(h) {
			return nil, http.StatusBadRequest, errors.New("a key is sent as its SHA-256 hash: 64 hex digits")
		}
		*k.out = h
	}
	if c.EndDate != nil {
		sub.EndDate = c.EndDate
	}
	if sub.Scope == "" && !sub.Folder {
		return nil, http.StatusBadRequest, errors.New("scope is required: /apis, /apis/NAME or /products/NAME")
	}
	if sub.PrimaryKeyHash == "" && sub.SecondaryKeyHash == "" {
		return nil, http.StatusBadRequest, errors.New("a subscription needs a key: primaryKeySha256")
	}
	if sub.PrimaryKeyHash != "" && sub.PrimaryKeyHash == sub.SecondaryKeyHash {
		return nil, http.StatusBadRequest, errors.New("the primary and secondary keys must differ")
	}
	for _, h := range []string{sub.PrimaryKeyHash, sub.SecondaryKeyHash} {
		if h == "" {
			continue
		}
		if other, err := s.opt.Subscriptions.Lookup(r.Context(), h); err == nil && other != nil && other.ID != id {
			return nil, http.StatusConflict, errConflictKey
		}
		if snap := s.current.Load(); snap != nil && snap.subscriptions != nil && snap.subscriptions.byHash[h] != nil {
			return nil, http.StatusConflict, errConflictKey
		}
	}
	if _, scope := scopeWorkspace(sub.Scope); old == nil && strings.HasPrefix(scope, "/products/") && sub.Owner != "" {
		if err := s.checkSubscriptionsLimit(r, sub); err != nil {
			return nil, http.StatusConflict, err
		}
	}
	if err := s.opt.Subscriptions.Put(r.Context(), sub); err != nil {
		return nil, http.StatusServiceUnavailable, errors.New("the subscription store is unavailable")
	}
	return sub, status, nil
}

var errConflictKey = errors.New("that key belongs to another subscription")

// checkSubscriptionsLimit enforces the product's subscriptionsLimit: how
// many subscriptions one owner may have to it (APIM).
func (s *Server) checkSubscriptionsLimit(r *http.Request, sub *store.Subscription) error {
	snap := s.current.Load()
	_, scope := scopeWorkspace(sub.Scope)
	p := snap.product(scope[len("/products/"):])
	if p == nil || p.Info.SubscriptionsLimit <= 0 {
		return nil
	}
	list, err := s.opt.Subscriptions.List(r.Context())
	if err != nil {
		return errors.New("the subscription store is unavailable")
	}
	if snap.subscriptions != nil {
		list = append(list, snap.subscriptions.all...)
	}
	n := 0
	for _, o := range list {
		if o.Scope == sub.Scope && o.Owner == sub.Owner && o.State != "cancelled" && o.State != "rejected" {
			n++
		}
	}
	if n >= p.Info.SubscriptionsLimit {
		return fmt.Errorf("%s already has %d subscription(s) to product %s, its subscriptionsLimit", sub.Owner, n, p.Name)
	}
	return nil
}
