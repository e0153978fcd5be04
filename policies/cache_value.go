package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"go.uber.org/zap"

	"tollgate/engine"
	"tollgate/engine/csharp"
)

// <cache-lookup-value key="@(…)" variable-name="v" default-value="…" caching-type="prefer-external" remove="false"/>
// <cache-store-value key="@(…)" value="@(…)" duration="seconds" caching-type="prefer-external"/>
// <cache-remove-value key="@(…)" caching-type="prefer-external"/>
//
// Values live in the shared store (Deps.Store: in memory by default, Redis
// when configured), under "cv:" + key, so every API and every config
// snapshot sees the same entries. caching-type is accepted for APIM
// compatibility (prefer-external | external | internal) and always means
// "the configured store".
//
// A lookup miss leaves the variable unset unless default-value is given
// (APIM). remove="true" (tollgate's own) takes the value: lookup and removal
// are one atomic store operation (Store.CacheTake), so of concurrent lookups
// of one value, on every replica sharing the store, exactly one hits —
// single-use tokens. cache-store-value stores the value JSON-encoded with a type tag,
// so a lookup gives back the same kind: a string stays a string, an int an
// int, a float a float, a bool a bool, a map a map (numbers inside maps and
// lists come back as float64, as from Body.AsJSON()), a time a time, a
// duration a duration, nil nil. A value that cannot be encoded (a
// send-request response, a body) is an ExpressionValueEvaluationFailure.
//
// Store failures never fail the request: a lookup that fails is a miss, a
// store or remove that fails is skipped; each is logged as a warning and
// reported to Deps.OnStoreError. Every store call is bounded by
// the store itself (--store-timeout for Redis). APIM stores asynchronously; tollgate stores
// synchronously, within that bound, so the next request sees the value.
type cacheLookup struct {
	cacheBase
	key      engine.Str
	variable string
	def      *engine.Value
	remove   bool // take: read and remove atomically
}

type cacheStore struct {
	cacheBase
	key      engine.Str
	value    engine.Value
	duration engine.Int
}

type cacheRemove struct {
	cacheBase
	key engine.Str
}

type cacheBase struct {
	k      *kit
	policy string
	where  string
}

var cachingTypes = []string{"prefer-external", "external", "internal"}

const cacheKeyPrefix = "cv:"

func (k *kit) newCacheBase(p *engine.Parser) cacheBase {
	p.LitStr("caching-type", "prefer-external", cachingTypes...)
	return cacheBase{k: k, policy: p.Node().Name, where: p.Node().Pos.String() + " " + p.Path()}
}

func parseCacheKey(p *engine.Parser) engine.Str {
	k := p.RequiredStr("key")
	if p.Has("key") && k.IsConst() && k.Const() == "" {
		p.ErrorAt(p.Node().Attr("key").ValuePos, "attribute %q must not be empty", "key")
	}
	return k
}

func (k *kit) parseCacheLookupValue(p *engine.Parser) engine.Step {
	c := &cacheLookup{cacheBase: k.newCacheBase(p), key: parseCacheKey(p), variable: p.RequiredLitStr("variable-name"),
		remove: p.LitBool("remove", false)}
	if p.Has("default-value") {
		v := p.Value("default-value")
		c.def = &v
	}
	return c
}

func (k *kit) parseCacheStoreValue(p *engine.Parser) engine.Step {
	return &cacheStore{
		cacheBase: k.newCacheBase(p),
		key:       parseCacheKey(p),
		value:     p.RequiredValue("value"),
		duration:  p.RequiredInt("duration", 1, math.MaxInt32),
	}
}

func (k *kit) parseCacheRemoveValue(p *engine.Parser) engine.Step {
	return &cacheRemove{cacheBase: k.newCacheBase(p), key: parseCacheKey(p)}
}

func (b *cacheBase) failed(what, key string, err error) {
	b.k.storeFailed(b.policy, what+" failed", err, zap.String("at", b.where), zap.Int("key_len", len(key)))
}

func (c *cacheLookup) Run(ctx context.Context, s *engine.State) error {
	key, err := c.key.Eval(s)
	if err != nil {
		return err
	}
	get := c.k.store.CacheGet
	if c.remove {
		get = c.k.store.CacheTake
	}
	data, ok, err := get(ctx, cacheKeyPrefix+key)
	var v any
	if err != nil {
		c.failed("lookup", key, err)
		ok = false
	} else if ok {
		if v, err = decodeCached(data); err != nil {
			c.failed("decoding the cached value", key, err)
			ok = false
		}
	}
	if ok {
		s.Variables()[c.variable] = v
		s.Tracef("hit: %s set", c.variable)
		return nil
	}
	if c.def == nil {
		s.Tracef("miss: %s not set", c.variable)
		return nil
	}
	dv, err := c.def.Eval(s)
	if err != nil {
		return err
	}
	s.Variables()[c.variable] = dv
	s.Tracef("miss: %s = default-value", c.variable)
	return nil
}

func (c *cacheStore) Run(ctx context.Context, s *engine.State) error {
	key, err := c.key.Eval(s)
	if err != nil {
		return err
	}
	v, err := c.value.Eval(s)
	if err != nil {
		return err
	}
	ttl, err := c.duration.Seconds(s)
	if err != nil {
		return err
	}
	data, err := encodeCached(v)
	if err != nil {
		return engine.NewPolicyError(engine.ReasonExpression, 500, "cache-store-value: "+err.Error(), nil)
	}
	err = c.k.store.CacheSet(ctx, cacheKeyPrefix+key, data, ttl)
	if err != nil {
		c.failed("store", key, err)
		return nil
	}
	s.Tracef("stored for %s", ttl)
	return nil
}

func (c *cacheRemove) Run(ctx context.Context, s *engine.State) error {
	key, err := c.key.Eval(s)
	if err != nil {
		return err
	}
	err = c.k.store.CacheDelete(ctx, cacheKeyPrefix+key)
	if err != nil {
		c.failed("remove", key, err)
		return nil
	}
	s.Tracef("removed")
	return nil
}

// Cached values are one type tag, ':' and the JSON encoding of the value:
// s string, i int, f float, b bool, n nil, T a C# DateTime and O a C#
// DateTimeOffset (their round-trip "o" text, which keeps the DateTime's
// kind and the offset), t a time (RFC 3339, as values were cached before
// T), d duration (nanoseconds), J a C# JObject, JArray or JSON null (its JSON, parsed
// back into one), j anything else JSON can encode (maps, lists).
func encodeCached(v any) ([]byte, error) {
	if text, offset, ok := csharp.DateText(v); ok {
		tag := byte('T')
		if offset {
			tag = 'O'
		}
		data, _ := json.Marshal(text)
		return append([]byte{tag, ':'}, data...), nil
	}
	tag := byte('j')
	switch x := v.(type) {
	case nil:
		tag = 'n'
	case string:
		tag = 's'
	case bool:
		tag = 'b'
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		tag = 'i'
	case float32, float64:
		tag = 'f'
	case time.Duration:
		tag, v = 'd', int64(x)
	case *csharp.JObject, *csharp.JArray, csharp.JNull: // a JValue null comes back as one
		tag = 'J'
	case *engine.Response, *engine.Body, engine.Headers:
		return nil, fmt.Errorf("a value of type %T cannot be cached (cache a string or a map built from it)", v)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("a value of type %T cannot be cached: %v", v, err)
	}
	return append([]byte{tag, ':'}, data...), nil
}

func decodeCached(data []byte) (any, error) {
	if len(data) < 2 || data[1] != ':' {
		return nil, fmt.Errorf("not a cached value (%d bytes)", len(data))
	}
	raw := data[2:]
	switch data[0] {
	case 'n':
		return nil, nil
	case 's':
		return jsonAs[string](raw)
	case 'b':
		return jsonAs[bool](raw)
	case 'i':
		return jsonAs[int](raw)
	case 'f':
		return jsonAs[float64](raw)
	case 't':
		return jsonAs[time.Time](raw)
	case 'T', 'O':
		var text string
		if err := json.Unmarshal(raw, &text); err != nil {
			return nil, err
		}
		return csharp.ParseDateText(text, data[0] == 'O')
	case 'd':
		var n int64
		err := json.Unmarshal(raw, &n)
		return time.Duration(n), err
	case 'J':
		return csharp.ParseJSON(string(raw))
	case 'j':
		var v any
		err := json.NewDecoder(bytes.NewReader(raw)).Decode(&v)
		return v, err
	}
	return nil, fmt.Errorf("unknown type tag %q", data[0])
}

// jsonAs decodes raw as a T.
func jsonAs[T any](raw []byte) (any, error) {
	var v T
	err := json.Unmarshal(raw, &v)
	return v, err
}
