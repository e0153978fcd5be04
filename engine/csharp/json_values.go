package csharp

// JToken.DeepEquals(a, b), JValue.CreateNull(), JValue.CreateString(s) and
// token.Values<T>() (Newtonsoft.Json.Linq's Extensions), which APIM's
// table of allowed types lists.

// JNull is Json.NET's JValue null: a JSON null parsed (JToken.ReadFrom
// makes JsonToken.Null a JValue.CreateNull(), Src/Newtonsoft.Json/Linq/
// JToken.cs), JValue.CreateNull(), and what a JSON container stores for a
// C# null (JProperty.Value's setter stores `value ?? JValue.CreateNull()`,
// JContainer.CreateFromContent(null) is `new JValue(null)`: JProperty.cs,
// JContainer.cs). It is a token, not C#'s null: `o["error"] != null` is
// true for {"error": null}, its Type is JTokenType.Null, `??` keeps it. A
// missing property stays C#'s null (nil), as in Json.NET.
type JNull struct{}

// String is JValue.ToString() of a null value: "" (JValue.cs), which is
// also what string concatenation and interpolation write.
func (JNull) String() string { return "" }

// MarshalJSON writes it as JSON's null (a cached value, a log field).
func (JNull) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

// ToLiquid: a Liquid template reads a JSON null as nil (osteele/liquid's
// Drop), as it reads a null in a parsed body.
func (JNull) ToLiquid() any { return nil }

// isJNull reports whether v is a JSON null token.
func isJNull(v any) bool {
	_, ok := v.(JNull)
	return ok
}

// toJValue is v stored in a JSON container (o["k"] = v, a.Add(v), new
// JProperty(k, v), new JArray(...)): as toJToken, with C#'s null a JValue
// null, as Json.NET's containers store it.
func toJValue(v any) any {
	if v == nil {
		return JNull{}
	}
	return toJToken(v)
}

// jnullValue is Value<T>() of a JValue null, Json.NET's Extensions.Convert
// (Src/Newtonsoft.Json/Linq/Extensions.cs): the token itself for a JToken,
// null for a nullable or a reference T (Convert.ChangeType(null, string)),
// and Convert.ChangeType's InvalidCastException for a value type.
func jnullValue(t *Type) (any, error) {
	switch {
	case t.K == KJToken:
		return JNull{}, nil
	case t.Nullable || t.isRef():
		return nil, nil
	}
	return nil, exc("InvalidCastException", "Null object cannot be converted to a value type.")
}

// jsonNil is v where JSON leaves the token model (a serializer's value, a
// JSONPath document): a JValue null is nil there.
func jsonNil(v any) any {
	if _, ok := v.(JNull); ok {
		return nil
	}
	return v
}

// jDeepEquals is Json.NET's JToken.DeepEquals: the same token kind (an
// integer and a float compare by value, as JValue's comparison does), an
// object's properties compared by name in any order, an array's items in
// order; two nulls are equal.
func jDeepEquals(a, b any) bool {
	switch x := a.(type) {
	case nil, JNull: // two nulls are equal (JValue.ValuesEquals)
		return b == nil || isJNull(b)
	case *JObject:
		y, ok := b.(*JObject)
		if !ok || len(x.Keys) != len(y.Keys) {
			return false
		}
		for _, k := range x.Keys {
			yv, has := y.M[k]
			if !has || !jDeepEquals(x.M[k], yv) {
				return false
			}
		}
		return true
	case *JArray:
		y, ok := b.(*JArray)
		if !ok || len(x.Items) != len(y.Items) {
			return false
		}
		for i := range x.Items {
			if !jDeepEquals(x.Items[i], y.Items[i]) {
				return false
			}
		}
		return true
	case float64:
		if y, ok := b.(float64); ok && x != x && y != y {
			return true // NaN equals NaN, as JValue's Compare has it
		}
	case []byte:
		y, ok := b.([]byte)
		return ok && string(x) == string(y)
	case Decimal: // Json.NET compares a decimal and another number as decimals
		if y, ok := jDecimalOperand(b); ok {
			return decCmp(x, y) == 0
		}
		return false
	case *JRaw:
		y, ok := b.(*JRaw)
		return ok && x.Raw == y.Raw
	case JBigInt:
		c, ok := bigCmp(x, b)
		return ok && c == 0
	}
	if y, ok := b.(JBigInt); ok {
		c, ok := bigCmp(y, a)
		return ok && c == 0
	}
	if y, ok := b.(Decimal); ok {
		if x, ok := jDecimalOperand(a); ok {
			return decCmp(x, y) == 0
		}
		return false
	}
	// Numbers (an integer and a float by value), dates and the rest: =='s.
	return equalNET(a, b) && sameJKind(a, b)
}

// sameJKind: a string never equals a bool or a number of the same text.
func sameJKind(a, b any) bool {
	switch a.(type) {
	case string:
		_, ok := b.(string)
		return ok
	case bool:
		_, ok := b.(bool)
		return ok
	}
	return true
}

func registerJSONValues() {
	static("JToken", "DeepEquals", ts(tJToken, tJToken), tBool, func(a []any) (any, error) { return jDeepEquals(a[0], a[1]), nil }, nil)
	static("JValue", "CreateNull", ts(), tJValue, func([]any) (any, error) { return JNull{}, nil }, nil)
	static("JValue", "CreateString", ts(tString), tJValue, func(a []any) (any, error) { return a[0], nil }, nil)
	// token.Values<T>(): an array's items, each converted as Value<T>()
	// converts it (bind.go picks the builtin by T)
	for _, t := range []*Type{tString, tInt, tLong, tDouble, tDecimal, tBool, tJToken, tDateTime, tDTO, tJObject, tJArray} {
		t := t
		reg(&builtin{key: "JToken.Values<" + t.Name + ">/0", result: arrayOf(t), run: func(a []any) (any, error) {
			switch x := a[0].(type) {
			case nil:
				return nil, errNull
			case *JArray:
				out := make([]any, len(x.Items))
				for i, it := range x.Items {
					if isJNull(it) { // Extensions.Convert, as Value<T>()
						v, err := jnullValue(t)
						if err != nil {
							return nil, err
						}
						out[i] = v
						continue
					}
					v, err := jtokenConvert(it, t)
					if err != nil {
						return nil, err
					}
					out[i] = v
				}
				return out, nil
			case *JObject:
				return nil, exc("NotSupportedException", "tollgate has Values<T>() for a JArray only: for a JObject's property values write Properties().Select(p => p.Value.Value<%s>())", t.Name)
			}
			return nil, exc("InvalidOperationException", "Cannot access child value on Newtonsoft.Json.Linq.JValue.") // any other token is a JValue
		}})
	}
}
