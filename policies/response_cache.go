package policies

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/textproto"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"tollgate/engine"
	"tollgate/store"
)

// <cache-lookup vary-by-developer="false" vary-by-developer-groups="false" caching-type="prefer-external"
//
//	downstream-caching-type="none|private|public" must-revalidate="true" allow-private-response-caching="false">
//	<vary-by-header>Accept</vary-by-header>
//	<vary-by-query-parameter>version</vary-by-query-parameter>
//
// </cache-lookup>
// <cache-store duration="300" cache-response="false"/>
//
// Whole-response caching for HTTP APIs. cache-lookup (inbound) answers a
// GET from the cache when it holds a response for the request's key (the
// API, the path, the named query parameters and headers): the backend is
// not called. On a miss it leaves a mark that cache-store (outbound) uses to
// store the response. Internal caching is an in-process LRU with a byte
// cap (responseLRU); external is the shared store (Redis), so replicas
// share entries.
type responseCacheLookup struct {
	k              *kit
	external       bool
	downstream     engine.Str
	mustRevalidate engine.Bool
	allowPrivate   engine.Bool
	headers        []string // canonical
	params         []string
	byDeveloper    bool // vary-by-developer: one entry per subscription owner
}

type responseCacheStore struct {
	k        *kit
	duration engine.Int
	any      engine.Bool
}

// cacheMark is what a missed lookup hands to cache-store.
type cacheMark struct {
	key            string
	external       bool
	downstream     string
	mustRevalidate bool
}

type cacheMarkKey struct{}

var downstreamTypes = []string{"none", "private", "public"}

func (k *kit) parseCacheLookup(p *engine.Parser) engine.Step {
	byDev := p.LitBool("vary-by-developer", false)
	if p.LitBool("vary-by-developer-groups", false) && !byDev {
		p.ErrorAt(p.Node().Attr("vary-by-developer-groups").ValuePos, "attribute \"vary-by-developer-groups\" cannot be true alone: tollgate does not load the groups developers belong to, so it cannot tell them apart; set vary-by-developer=\"true\" too (a cache per developer is finer than one per group)")
	}
	c := &responseCacheLookup{
		k:              k,
		byDeveloper:    byDev,
		downstream:     choiceAttr(p, "downstream-caching-type", false, "none", downstreamTypes...),
		mustRevalidate: p.Bool("must-revalidate", true),
		allowPrivate:   p.Bool("allow-private-response-caching", false),
	}
	c.external = k.cachingType(p)
	for _, n := range p.Children() {
		cp := p.Child(n)
		t := cp.TextStr()
		switch n.Name {
		case "vary-by-header", "vary-by-query-parameter":
			if !t.IsConst() || strings.TrimSpace(t.Const()) == "" {
				cp.Errorf("<%s> must be written out (a name), not empty or an expression", n.Name)
				continue
			}
			for _, v := range strings.Split(t.Const(), ";") {
				if v = strings.TrimSpace(v); v == "" {
					continue
				}
				if n.Name == "vary-by-header" {
					c.headers = append(c.headers, textproto.CanonicalMIMEHeaderKey(v))
				} else {
					c.params = append(c.params, v)
				}
			}
		default:
			cp.Errorf("unexpected element <%s> inside <cache-lookup> (want vary-by-header, vary-by-query-parameter)", n.Name)
		}
	}
	sort.Strings(c.headers)
	sort.Strings(c.params)
	return c
}

// cachingType reads caching-type: true means the shared store, false the
// in-process LRU. external needs a shared store (Redis).
func (k *kit) cachingType(p *engine.Parser) bool {
	ct := p.LitStr("caching-type", "prefer-external", "prefer-external", "external", "internal")
	_, memory := k.store.(*store.Memory)
	switch ct {
	case "external":
		if memory {
			p.ErrorAt(p.Node().Attr("caching-type").ValuePos, "caching-type=\"external\" needs an external cache: start tollgate with --redis (or use prefer-external)")
		}
		return true
	case "internal":
		return false
	}
	return !memory
}

func (k *kit) parseCacheStore(p *engine.Parser) engine.Step {
	return &responseCacheStore{
		k:        k,
		duration: p.RequiredInt("duration", 1, 365*86400),
		any:      p.Bool("cache-response", false),
	}
}

// key is the cache key of this request: API, path, the named query
// parameters and headers, and with vary-by-developer the developer (the
// subscription's owner), hashed (it may carry an Authorization header).
func (c *responseCacheLookup) key(s *engine.State) string {
	ctx := s.Context()
	req := ctx.Request
	h := sha256.New()
	w := func(parts ...string) {
		for _, p := range parts {
			h.Write([]byte(strconv.Itoa(len(p))))
			h.Write([]byte{':'})
			h.Write([]byte(p))
		}
	}
	if ctx.Api != nil {
		w(ctx.Api.Name)
	}
	if u := req.OriginalUrl; u != nil {
		w(u.Path)
		for _, name := range c.params {
			v, ok := u.Query[name]
			w(name, strconv.FormatBool(ok), strings.Join(v, ","))
		}
	}
	for _, name := range c.headers {
		v, ok := req.Headers[name]
		w(name, strconv.FormatBool(ok), strings.Join(v, ","))
	}
	if c.byDeveloper {
		// The developer is the owner of the request's subscription;
		// requests without one share the anonymous entry.
		if u := ctx.User; u != nil {
			w("developer", u.Id)
		} else {
			w("anonymous")
		}
	}
	return "rc:" + base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

func (c *responseCacheLookup) Run(ctx context.Context, s *engine.State) error {
	c0 := s.Context()
	if c0.Request.Method != http.MethodGet || c0.Api == nil || c0.Api.Type != "http" {
		return nil // APIM caches GET only; a WebSocket handshake is never cached
	}
	allow, err := c.allowPrivate.Eval(s)
	if err != nil {
		return err
	}
	if !allow && c0.Request.Headers.ContainsKey("Authorization") {
		s.Tracef("Authorization present and allow-private-response-caching is false: not cached")
		return nil
	}
	down, err := evalChoice(s, c.downstream, "downstream-caching-type", downstreamTypes...)
	if err != nil {
		return err
	}
	must, err := c.mustRevalidate.Eval(s)
	if err != nil {
		return err
	}
	key := c.key(s)
	data, ok := c.k.cacheGet(ctx, c.external, key)
	if ok {
		if e, err := decodeCachedResponse(data); err == nil && time.Now().Before(e.Expires) {
			r := engine.NewResponse(e.Status)
			for k, v := range e.Headers {
				r.Headers[k] = v
			}
			r.Body = engine.NewBody(e.Body)
			setDownstream(s, down, must, time.Until(e.Expires))
			s.SetResponse(r)
			s.Stop()
			s.Tracef("hit")
			return nil
		}
	}
	s.SetPrivate(cacheMarkKey{}, &cacheMark{key: key, external: c.external, downstream: down, mustRevalidate: must})
	// As APIM: on a miss the request's cache headers are removed, so the
	// backend sends a complete response (not a 304) that can be stored.
	var removed []string
	for _, h := range missRemovedHeaders {
		if _, ok := c0.Request.Headers[h]; ok {
			delete(c0.Request.Headers, h)
			removed = append(removed, h)
		}
	}
	s.Tracef("miss (cache headers removed from the request: %v)", removed)
	return nil
}

// missRemovedHeaders are the request headers a miss removes.
var missRemovedHeaders = []string{"Cache-Control", "Pragma", "If-Modified-Since", "If-None-Match", "If-Range", "If-Unmodified-Since"}

// setDownstream tells clients and proxies how long they may keep it.
func setDownstream(s *engine.State, down string, must bool, ttl time.Duration) {
	if down == "none" {
		s.SetResponseHeader("Cache-Control", "no-store")
		return
	}
	v := down + ", max-age=" + strconv.FormatInt(int64(ttl.Seconds()), 10)
	if must {
		v += ", must-revalidate"
	}
	s.SetResponseHeader("Cache-Control", v)
}

// cachedResponse is what is stored: the response as the client got it from
// the backend (after the outbound policies before cache-store).
type cachedResponse struct {
	Status  int                 `json:"s"`
	Headers map[string][]string `json:"h"`
	Body    []byte              `json:"b"`
	Expires time.Time           `json:"e"`
}

func decodeCachedResponse(data []byte) (*cachedResponse, error) {
	var e cachedResponse
	err := json.Unmarshal(data, &e)
	return &e, err
}

// notStoredHeaders are per-connection or recomputed.
var notStoredHeaders = map[string]bool{"Connection": true, "Keep-Alive": true, "Transfer-Encoding": true,
	"Upgrade": true, "Content-Length": true, "Date": true, "Proxy-Authenticate": true, "Trailer": true}

func (c *responseCacheStore) Run(ctx context.Context, s *engine.State) error {
	m, _ := s.Private(cacheMarkKey{}).(*cacheMark)
	if m == nil {
		return nil // no cache-lookup missed for this request
	}
	d, err := c.duration.Seconds(s)
	if err != nil {
		return err
	}
	anyStatus, err := c.any.Eval(s)
	if err != nil {
		return err
	}
	r := s.Response()
	if r.StatusCode != http.StatusOK && !anyStatus {
		return nil
	}
	if r.Headers.ContainsKey("Set-Cookie") {
		s.Tracef("response sets a cookie: not cached")
		return nil
	}
	body, err := r.Body.Bytes()
	if err != nil {
		s.Tracef("body not cached: %v", err)
		return nil // too large to buffer: served, not cached
	}
	e := cachedResponse{Status: r.StatusCode, Headers: map[string][]string{}, Body: body, Expires: time.Now().Add(d)}
	for k, v := range r.Headers {
		if !notStoredHeaders[k] {
			e.Headers[k] = v
		}
	}
	data, err := json.Marshal(e)
	if err != nil {
		return nil
	}
	c.k.cacheSet(ctx, m.external, m.key, data, d)
	setDownstream(s, m.downstream, m.mustRevalidate, d)
	s.SetPrivate(cacheMarkKey{}, nil)
	return nil
}

// cacheGet reads from the shared store or the LRU; a store failure is a
// miss (logged and counted), never a failed request.
func (k *kit) cacheGet(ctx context.Context, external bool, key string) ([]byte, bool) {
	if !external {
		return k.lru.get(key)
	}
	v, ok, err := k.store.CacheGet(ctx, key)
	if err != nil {
		k.storeFailed("cache-lookup", "lookup failed, treated as a miss", err)
		return nil, false
	}
	return v, ok
}

func (k *kit) cacheSet(ctx context.Context, external bool, key string, v []byte, ttl time.Duration) {
	if !external {
		k.lru.set(key, v, ttl)
		return
	}
	if err := k.store.CacheSet(ctx, key, v, ttl); err != nil {
		k.storeFailed("cache-store", "store failed, response not cached", err)
	}
}

// responseLRU is the internal response cache: at most max bytes, each
// entry counted as its key, its value and lruEntryCost for its list
// element, entry and map slot (so that many small entries cannot hold
// several times max), least recently used evicted first, expired entries
// dropped when met.
type responseLRU struct {
	mu    sync.Mutex
	max   int64
	size  int64
	ll    *list.List // front: most recently used
	items map[string]*list.Element
	now   func() time.Time
}

// lruEntryCost is what an entry holds besides its key's and value's
// bytes: its list.Element (48 bytes), lruEntry (64), the map's slot and
// the headers of the key and value, rounded up.
const lruEntryCost = 160

func entryCost(key string, v []byte) int64 { return int64(len(key)+len(v)) + lruEntryCost }

type lruEntry struct {
	key string
	val []byte
	exp time.Time
}

func newResponseLRU(max int64) *responseLRU {
	if max <= 0 {
		max = 64 << 20
	}
	return &responseLRU{max: max, ll: list.New(), items: map[string]*list.Element{}, now: time.Now}
}

func (c *responseLRU) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*lruEntry)
	if !c.now().Before(e.exp) {
		c.remove(el)
		return nil, false
	}
	c.ll.MoveToFront(el)
	return e.val, true // values are never changed after set
}

// set stores v (a value larger than the whole cache is not stored).
func (c *responseLRU) set(key string, v []byte, ttl time.Duration) {
	if entryCost(key, v) > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
	key = strings.Clone(key) // kept: not a view of a larger allocation
	el := c.ll.PushFront(&lruEntry{key: key, val: v, exp: c.now().Add(ttl)})
	c.items[key] = el
	c.size += entryCost(key, v)
	for c.size > c.max {
		c.remove(c.ll.Back())
	}
}

func (c *responseLRU) remove(el *list.Element) {
	e := el.Value.(*lruEntry)
	c.ll.Remove(el)
	delete(c.items, e.key)
	c.size -= entryCost(e.key, e.val)
}

// len reports the entries and the bytes counted for them (entryCost).
func (c *responseLRU) len() (int, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len(), c.size
}
