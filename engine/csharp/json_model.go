package csharp

import (
	"reflect"
	"sort"
	"strings"
	"sync/atomic"
	"time"
)

// Json.NET's serialisation of APIM's context objects: JsonConvert.
// SerializeObject, JObject.FromObject and JToken.FromObject (and an
// anonymous object holding them) of context.Request.Headers,
// context.Subscription, context.Request.Url... write them as Json.NET
// writes APIM's objects: a dictionary as a JSON object, an object as its
// public properties, a null reference as null, an enum as its number, a
// DateTime in ISO 8601. The model's Go values (package tollgate/engine)
// are read here by reflection, each field through the same view an
// expression reads it by (model.go's field): a DateTime? is null or a
// date, ProductState a number, ServiceUrl an IUrl, a JWT's claims string
// arrays.

// modelJSONOrder lists, for each model type (by its Go name), the C#
// properties written, in the order APIM's context variable reference
// lists them (its tables list them alphabetically). A type not listed
// writes its exported fields in Go order. Fields a type has that are not
// listed are tollgate's (an older name, plumbing) and are not written.
var modelJSONOrder = map[string][]string{
	"Context": {"Api", "Deployment", "Elapsed", "GraphQL", "LastError", "Operation", "Product", "Request", "RequestId",
		"Response", "Subscription", "Timestamp", "User", "Variables", "Workspace"},
	"Request": {"Body", "Certificate", "Headers", "IpAddress", "MatchedParameters", "Method", "OriginalUrl", "Url",
		"PrivateEndpointConnection"},
	"Response":                      {"Body", "Headers", "StatusCode", "StatusReason"},
	"Url":                           {"Host", "Path", "Port", "Query", "QueryString", "Scheme"},
	"Api":                           {"Id", "IsCurrentRevision", "Name", "Path", "Protocols", "Revision", "ServiceUrl", "SubscriptionKeyParameterNames", "Version"},
	"SubscriptionKeyParameterNames": {"Header", "Query"},
	"Deployment":                    {"Gateway", "GatewayId", "Region", "ServiceId", "ServiceName", "Certificates"},
	"GatewayInfo":                   {"Id", "InstanceId", "IsManaged"},
	"LastError":                     {"Source", "Reason", "Message", "Scope", "Section", "Path", "PolicyId"},
	"Operation":                     {"Id", "Method", "Name", "UrlTemplate"},
	"Product":                       {"Apis", "ApprovalRequired", "Groups", "Id", "Name", "State", "SubscriptionLimit", "SubscriptionRequired"},
	"Subscription":                  {"CreatedDate", "EndDate", "Id", "Key", "Name", "PrimaryKey", "SecondaryKey", "StartDate"},
	"User":                          {"Email", "FirstName", "Groups", "Id", "Identities", "LastName", "Note", "RegistrationDate"},
	"Group":                         {"Id", "Name"},
	"UserIdentity":                  {"Id", "Provider"},
	"PrivateEndpointConnection":     {"Name", "GroupId", "MemberName"},
	"Workspace":                     {"Id", "Name"},
	"Jwt":                           {"Algorithm", "Audiences", "Claims", "ExpirationTime", "Id", "Issuer", "IssuedAt", "NotBefore", "Subject", "Type"},
	"BasicAuth":                     {"Password", "UserId"},
	"Body":                          {}, // IMessageBody: no properties the reference lists
}

// modelJSONMaxDepth bounds the nesting of model objects written (Json.NET's
// own limit is a self-referencing loop; the model has none).
const modelJSONMaxDepth = 32

// modelAsURL is the model's AsUrl (func(string) *Url), which reads a field
// tagged csharp:"url" (context.Api.ServiceUrl) as an IUrl. Model.init sets it.
var modelAsURL atomic.Value

// modelToJToken converts a value of the context model for JSON; ok is
// false for a value that is not the model's.
func modelToJToken(v any) (any, bool) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || !isModelValue(rv.Type()) {
		return nil, false
	}
	return modelJSONValue(rv, 0), true
}

// isModelValue reports whether t is a context model type: a struct of
// package tollgate/engine (or a pointer to one, or a slice of them), or
// one of its maps.
func isModelValue(t reflect.Type) bool {
	if t.Kind() == reflect.Slice { // context.Product.Groups, context.User.Identities
		t = t.Elem()
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.PkgPath() == engineModelPkg {
		return t.Kind() == reflect.Struct || t.Kind() == reflect.Map
	}
	// the model's unnamed maps: MatchedParameters (map[string]string) and
	// a JWT's claims as C# reads them (map[string][]string)
	return t == reflect.TypeOf(map[string]string(nil)) || t == reflect.TypeOf(map[string][]string(nil))
}

// modelJSONValue is one value of the model as a JSON token.
func modelJSONValue(rv reflect.Value, depth int) any {
	if depth > modelJSONMaxDepth {
		return nil
	}
	switch rv.Kind() {
	case reflect.Invalid:
		return nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil
		}
		if rv.Kind() == reflect.Pointer && rv.Elem().Kind() == reflect.Struct && rv.Type().Elem().PkgPath() == engineModelPkg {
			return modelJSONObject(rv.Elem(), depth)
		}
		return toJToken(rv.Interface()) // a variable's value, a JObject: as toJToken writes it
	case reflect.Struct:
		if rv.Type().PkgPath() == engineModelPkg {
			return modelJSONObject(rv, depth)
		}
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			break
		}
		// a nil map is an empty dictionary, as C# reads it (Count 0): a
		// ServiceUrl's Query, MatchedParameters without an operation
		keys := make([]string, 0, rv.Len())
		for _, k := range rv.MapKeys() {
			keys = append(keys, k.String())
		}
		sort.Strings(keys) // the order foreach gives the model's maps (modelmap.go)
		o := NewJObject()
		for _, k := range keys {
			o.Set(k, orJNull(modelJSONValue(rv.MapIndex(reflect.ValueOf(k).Convert(rv.Type().Key())), depth+1)))
		}
		return o
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			break // byte[]: base64, as toJToken writes it
		}
		a := &JArray{Items: make([]any, 0, rv.Len())} // nil: empty, as C# reads it
		for i := 0; i < rv.Len(); i++ {
			a.Items = append(a.Items, orJNull(modelJSONValue(rv.Index(i), depth+1)))
		}
		return a
	}
	if !rv.CanInterface() {
		return nil
	}
	return toJToken(rv.Interface())
}

// modelJSONObject is a model struct as a JSON object of its properties.
func modelJSONObject(sv reflect.Value, depth int) any {
	st := sv.Type()
	o := NewJObject()
	names, listed := modelJSONOrder[st.Name()]
	if !listed {
		for i := 0; i < st.NumField(); i++ {
			if f := st.Field(i); f.IsExported() && f.Tag.Get("expr") != "-" {
				names = append(names, f.Name)
			}
		}
	}
	for _, name := range names {
		f, ok := modelField(st, name)
		if !ok {
			continue
		}
		o.Set(name, orJNull(modelJSONField(f, sv.FieldByIndex(f.Index), depth)))
	}
	return o
}

// orJNull is a member's value in a JSON object or array: a null reference
// is a JValue null there, as Json.NET's serializer writes it into a token.
func orJNull(v any) any {
	if v == nil {
		return JNull{}
	}
	return v
}

// modelField finds a property by its C# name: the field's or its csalias.
func modelField(st reflect.Type, name string) (reflect.StructField, bool) {
	if f, ok := st.FieldByName(name); ok && f.IsExported() && f.Tag.Get("expr") != "-" {
		return f, true
	}
	for i := 0; i < st.NumField(); i++ {
		if f := st.Field(i); f.IsExported() && f.Tag.Get("csalias") == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// modelJSONField reads a field as model.go's field binds it, then writes it.
func modelJSONField(f reflect.StructField, fv reflect.Value, depth int) any {
	tag := f.Tag.Get("csharp")
	read := func(b *builtin) any {
		v, err := b.run([]any{fv.Interface()})
		if err != nil {
			return nil
		}
		return v
	}
	switch {
	case f.Type.Kind() == reflect.Pointer && (f.Type.Elem().Kind() != reflect.Struct || f.Type.Elem() == reflect.TypeOf(time.Time{})):
		return toJToken(read(derefValue)) // DateTime?, int?: null or the value
	case tag == "nullable":
		return toJToken(read(zeroNull))
	case strings.HasPrefix(tag, "enum=") && modelEnums[tag[5:]] != nil:
		return toJToken(read(modelEnums[tag[5:]])) // an enum: its number
	case tag == "local" && f.Type == reflect.TypeOf(time.Time{}):
		return toJToken(read(localDateView))
	case f.Type == reflect.TypeOf(time.Time{}):
		return toJToken(read(dateView))
	case tag == "claims":
		return modelJSONValue(reflect.ValueOf(read(claimsView)), depth+1)
	case tag == "guid":
		return toJToken(read(guidView))
	case tag == "url" && f.Type.Kind() == reflect.String:
		fn, _ := modelAsURL.Load().(reflect.Value)
		if !fn.IsValid() {
			return fv.String()
		}
		return modelJSONValue(fn.Call([]reflect.Value{fv})[0], depth+1)
	}
	return modelJSONValue(fv, depth+1)
}
