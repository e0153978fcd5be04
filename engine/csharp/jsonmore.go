package csharp

// More of Newtonsoft's JToken API, as community snippets use it:
// Children(), DeepClone(), GetValue(name), Merge(other), JTokenType,
// JsonConvert.DeserializeObject<JArray|JToken> and SerializeObject with a
// Formatting.

// jclone is JToken.DeepClone(): objects and arrays copied all the way
// down; values are immutable.
func jclone(v any) any {
	switch x := v.(type) {
	case *JObject:
		o := &JObject{Keys: append([]string(nil), x.Keys...), M: make(map[string]any, len(x.M))}
		for k, e := range x.M {
			c := jclone(e)
			setParent(o, c)
			o.M[k] = c
		}
		return o
	case *JArray:
		a := &JArray{Items: make([]any, len(x.Items))}
		for i, e := range x.Items {
			c := jclone(e)
			setParent(a, c)
			a.Items[i] = c
		}
		return a
	case *JProperty:
		p := &JProperty{Name: x.Name, Value: jclone(x.Value)}
		setParent(p, p.Value)
		return p
	}
	return v
}

// jmerge is JObject.Merge(other) with Json.NET's defaults: objects merge
// property by property, arrays are concatenated, a null in other changes
// no property dst has (MergeNullValueHandling.Ignore) and is added where
// dst has none (JObject.MergeItem adds a property it lacks as it is:
// Src/Newtonsoft.Json/Linq/JObject.cs), anything else replaces.
func jmerge(dst *JObject, src *JObject) {
	for _, k := range src.Keys {
		v := src.M[k]
		cur, ok := dst.M[k]
		if v == nil || isJNull(v) {
			if !ok {
				dst.Set(k, JNull{})
			}
			continue
		}
		switch sv := v.(type) {
		case *JObject:
			if co, isObj := cur.(*JObject); ok && isObj {
				jmerge(co, sv)
				continue
			}
		case *JArray:
			if ca, isArr := cur.(*JArray); ok && isArr {
				for _, e := range sv.Items {
					c := jclone(e)
					setParent(ca, c)
					ca.Items = append(ca.Items, c)
				}
				continue
			}
		}
		c := jclone(v)
		setParent(dst, c)
		dst.Set(k, c)
	}
}

// Json.NET's tokens know their parent (JToken.Parent): a JObject's or a
// JArray's is recorded when it is put in a container (parsed, added, set,
// copied), and it is Parent while that container still holds it (a token
// taken out, or replaced, has none). A token that already has a parent is
// copied when it is added elsewhere (adopt), as Json.NET's
// JContainer.EnsureParentToken copies it, so each token has one.

// isJContainer reports whether v is a JObject or a JArray (a token with an
// identity: == between two of them compares references).
func isJContainer(v any) bool {
	switch v.(type) {
	case *JObject, *JArray:
		return true
	}
	return false
}

// setParent records that container (a *JObject, *JArray or *JProperty)
// holds v.
func setParent(container, v any) {
	switch x := v.(type) {
	case *JObject:
		if x.anon == nil {
			x.parent = container
		}
	case *JArray:
		x.parent = container
	}
}

// adopt is v put in container: a copy of it when it has a parent already.
func adopt(container, v any) any {
	switch v.(type) {
	case *JObject, *JArray:
	default:
		return v
	}
	if p, _ := liveParent(v); p != nil {
		v = jclone(v)
	}
	setParent(container, v)
	return v
}

// must is the first of a pair.
func must(v any, _ string) any { return v }

// liveParent is v's Parent, as Json.NET gives it: the array holding it,
// or the property holding it (a JProperty of the object, key k); nil for
// a token with none, or whose container no longer holds it.
func liveParent(v any) (any, string) {
	var rec any
	switch x := v.(type) {
	case *JObject:
		rec = x.parent
	case *JArray:
		rec = x.parent
	default:
		return nil, ""
	}
	switch c := rec.(type) {
	case *JArray:
		for _, it := range c.Items {
			if it == v {
				return c, ""
			}
		}
	case *JObject:
		for _, k := range c.Keys {
			if c.M[k] == v {
				return &JProperty{Name: k, Value: v, parent: c}, k
			}
		}
	case *JProperty:
		if c.Value == v && (c.parent == nil || c.parent.M[c.Name] == v) {
			return c, c.Name
		}
	}
	return nil, ""
}

// jchildren is JToken.Children(): an object's properties, an array's items.
func jchildren(v any) ([]any, error) {
	switch x := v.(type) {
	case *JObject:
		out := make([]any, len(x.Keys))
		for i, k := range x.Keys {
			out[i] = &JProperty{Name: k, Value: x.M[k], parent: x}
		}
		return out, nil
	case *JArray:
		return append([]any(nil), x.Items...), nil
	case *JProperty:
		return []any{x.Value}, nil
	case nil:
		return nil, errNull
	}
	return []any{}, nil // a value has no children
}

func registerJSONMore() {
	for _, k := range []Kind{KJToken, KJObject, KJArray} {
		method(k, "Children", ts(), arrayOf(tJToken), func(a []any) (any, error) { return jchildren(a[0]) }, nil)
		method(k, "DeepClone", ts(), tJToken, func(a []any) (any, error) {
			if a[0] == nil {
				return nil, errNull
			}
			return jclone(a[0]), nil
		}, nil)
	}
	method(KJObject, "GetValue", ts(tString), tJToken, func(a []any) (any, error) {
		o, ok := a[0].(*JObject)
		if !ok {
			return nil, errNull
		}
		k, _ := a[1].(string)
		return o.M[k], nil
	}, nil)
	// GetValue(name, comparison): the property of that exact name, else
	// the first whose name equals it under the comparison (Json.NET)
	method(KJObject, "GetValue", ts(tString, tCompare), tJToken, func(a []any) (any, error) {
		o, ok := a[0].(*JObject)
		if !ok {
			return nil, errNull
		}
		k, _ := a[1].(string)
		if v, ok := o.M[k]; ok {
			return v, nil
		}
		if cmp := toInt(a[2]); cmp != 4 { // not Ordinal
			for _, name := range o.Keys {
				if compareWith(name, k, cmp) == 0 {
					return o.M[name], nil
				}
			}
		}
		return nil, nil
	}, nil)
	method(KJObject, "Merge", ts(tObject), tVoid, func(a []any) (any, error) {
		o, ok := a[0].(*JObject)
		if !ok {
			return nil, errNull
		}
		if src, ok := toJToken(a[1]).(*JObject); ok {
			jmerge(o, src)
		}
		return nil, nil
	}, nil)
	for _, t := range []string{"None", "Object", "Array", "Constructor", "Property", "Comment", "Integer", "Float", "String",
		"Boolean", "Null", "Undefined", "Date", "Raw", "Bytes", "Guid", "Uri", "TimeSpan"} {
		v := t
		staticProp("JTokenType", t, tString, func([]any) (any, error) { return v, nil }, nil)
	}
	parse := statics["JToken"]["Parse"][0].run
	static("JsonConvert", "DeserializeObject<JToken>", ts(tString), tJToken, parse, nil)
	static("JsonConvert", "DeserializeObject<JArray>", ts(tString), tJArray, func(a []any) (any, error) {
		v, err := parse(a)
		if err != nil {
			return nil, err
		}
		if _, ok := v.(*JArray); !ok {
			return nil, exc("JsonSerializationException", "Cannot deserialize the current JSON object into type 'JArray'.")
		}
		return v, nil
	}, nil)
	static("JsonConvert", "SerializeObject", ts(tObject, tInt), tString, func(a []any) (any, error) {
		return jsonTextErr(toJToken(a[0]), toInt(a[1]) == 1) // Formatting.None = 0, Indented = 1
	}, nil)
}
