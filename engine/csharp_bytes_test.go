package engine

import (
	"strings"
	"testing"
)

// TestCSharpLinqOnBytes: a byte[] is an IEnumerable<byte>, and LINQ's
// operators run on it as on other arrays (policies take bytes apart to
// check a signature or a magic number). Expected values follow
// learn.microsoft.com's System.Linq.Enumerable pages: Select, Where, Take,
// Skip, Concat and Reverse give an IEnumerable<byte> (or of what the
// selector gives) whose ToArray() is a byte[]; Sum has no overload for
// IEnumerable<byte> (Enumerable.Sum lists int, long, float, double and
// decimal) and Sum(b => b) is Sum<TSource>(…, Func<TSource, Int32>), an
// int; SequenceEqual compares "corresponding elements ... by using the
// default equality comparer"; First and Last of an empty sequence throw
// InvalidOperationException. Each runs lowered and on the interpreter.
func TestCSharpLinqOnBytes(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`BitConverter.ToString(new byte[] { 1, 2, 3 }.Where(b => b > 1).ToArray())`, "02-03"},
		{`new byte[] { 1, 2, 3 }.Select(b => b * 2).Sum()`, "12"},
		{`BitConverter.ToString(new byte[] { 1, 2, 3 }.Select(b => (byte)(b ^ 0xFF)).ToArray())`, "FE-FD-FC"},
		{`string.Concat(new byte[] { 1, 2, 171 }.Select(b => b.ToString("x2")))`, "0102ab"},
		{`BitConverter.ToString(new byte[] { 1, 2, 3 }.Take(2).ToArray()) + " " + BitConverter.ToString(new byte[] { 1, 2, 3 }.Skip(1).ToArray())`, "01-02 02-03"},
		{`Convert.ToBase64String(new byte[] { 1, 2, 3 }.Concat(new byte[] { 4 }).ToArray())`, "AQIDBA=="},
		{`Encoding.UTF8.GetString(Encoding.UTF8.GetBytes("hello").Reverse().ToArray())`, "olleh"},
		{`new byte[] { 1, 2, 3 }.SequenceEqual(new byte[] { 1, 2, 3 }) + " " + new byte[] { 1, 2, 3 }.SequenceEqual(new byte[] { 1, 2, 4 }) + " " + new byte[] { 1, 2 }.SequenceEqual(new byte[] { 1, 2, 3 })`, "True False False"},
		{`new byte[] { 1, 2, 3 }.SequenceEqual(new List<byte> { 1, 2, 3 })`, "true"},
		{`new byte[] { 1, 2, 3 }.Any() + " " + new byte[0].Any() + " " + new byte[] { 1, 2, 3 }.Any(b => b == 2) + " " + new byte[] { 1, 2, 3 }.All(b => b > 1)`, "True False True False"},
		{`new byte[] { 1, 2, 3 }.Count() + new byte[] { 1, 2, 3 }.Count(b => b > 1)`, "5"},
		{`new byte[] { 1, 2, 3 }.First() + " " + new byte[] { 1, 2, 3 }.Last() + " " + new byte[0].FirstOrDefault() + " " + new byte[] { 1, 2, 3 }.Skip(1).First()`, "1 3 0 2"},
		{`new byte[] { 255, 255 }.Sum(b => b)`, "510"}, // an int: no byte overflow
		{`new byte[] { 1, 2, 3 }.Aggregate(0, (acc, b) => acc + b)`, "6"},
		{`new byte[] { 1, 2, 3 }.Aggregate((acc, b) => (byte)(acc ^ b))`, "0"}, // 1^2=3, 3^3=0: a byte
		{`new byte[] { 1, 2, 3 }.ToList().Count`, "3"},
		{`new byte[] { 3, 1, 2 }.Max() + new byte[] { 3, 1, 2 }.Min()`, "4"},
		{`new byte[] { 1, 2, 3 }.Contains((byte)2)`, "true"},
		{`Encoding.UTF8.GetBytes("héllo").Where(b => b < 128).Count()`, "4"},
		{`new byte[] { 1, 2, 3 }.Select((b, i) => b * i).Sum()`, "8"},
	} {
		t.Run(tc.text, func(t *testing.T) { csBothPaths(t, tc.text, tc.want, nil) })
	}
	for _, tc := range []struct{ stmts, want string }{
		{`var h = Encoding.UTF8.GetBytes("abc"); byte[] x = h.Take(2).ToArray(); return x.Length;`, "2"},
		{`var l = new byte[] { 1, 2, 3 }.ToList(); l.Add(9); return Convert.ToBase64String(l.ToArray());`, "AQIDCQ=="},
		{`var sig = Convert.FromBase64String("AQID"); var want = new byte[] { 1, 2, 3 }; return sig.Length == want.Length && sig.SequenceEqual(want);`, "true"},
		// Convert.FromBase64String ignores white space anywhere (.NET's page:
		// "the length of s, ignoring white-space characters", and white space
		// may sit among the padding characters): a base64 body wrapped in
		// lines or split by spaces, tabs.
		{`return Convert.ToBase64String(Convert.FromBase64String(" AQ ID\tCQ\r\n= = "));`, "AQIDCQ=="},
		{`return Encoding.UTF8.GetString(Convert.FromBase64String("aGVs\nbG8="));`, "hello"},
	} {
		t.Run(tc.stmts, func(t *testing.T) { csBothBlocks(t, tc.stmts, tc.want, nil) })
	}
	for _, tc := range []struct{ src, want string }{
		{`@(new byte[0].First())`, "Sequence contains no"},
		{`@(new byte[0].Last())`, "Sequence contains no"},
		{`@{ byte[] n = null; return n.Any(); }`, "Value cannot be null. (Parameter 'source')"},
		{`@(new byte[] { 1 }.SequenceEqual(null))`, "Value cannot be null."},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
	// C#'s compile errors: no Sum for IEnumerable<byte>, an int where the
	// seedless Aggregate wants a byte
	for _, tc := range []struct{ src, want string }{
		{`@(new byte[] { 1 }.Sum())`, "'byte[]' does not contain a definition for 'Sum'"},
		{`@(new byte[] { 1 }.Aggregate((a, b) => a ^ b))`, "cannot implicitly convert type 'int' to 'byte'"},
		{`@(Convert.ToBase64String(new byte[] { 1 }.Reverse()))`, "cannot convert from"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}

// TestCSharpJSONBytes: a byte[] inside Json.NET's objects. Json.NET's
// Serialization Guide lists Byte[] as a JSON String, "base 64 encoded":
// new JProperty(name, bytes), new JValue(bytes), JToken.FromObject(bytes),
// token["k"] = bytes and an anonymous object's byte[] member are a token of
// JTokenType.Bytes, written in base64 (JsonConvert.SerializeObject too).
// JValue.ToString() is its value's ToString() (Json.NET's JValue page:
// "a non-JSON string value"), "System.Byte[]", where ToString(Formatting)
// writes the JSON. Reading back, JToken's explicit (byte[]) conversion
// (and ToObject<byte[]>(), which makes it) decodes a string token's
// base64, and (string) of a Bytes token is its base64.
func TestCSharpJSONBytes(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`new JProperty("data", new byte[] { 1, 2, 3 }).ToString()`, `"data": "AQID"`},
		{`new JObject(new JProperty("data", new byte[] { 1, 2, 3 })).ToString(Formatting.None)`, `{"data":"AQID"}`},
		{`new JObject(new JProperty("data", Encoding.UTF8.GetBytes("hello"))).ToString()`, "{\n  \"data\": \"aGVsbG8=\"\n}"},
		{`new JObject(new JProperty("d", new byte[0])).ToString(Formatting.None)`, `{"d":""}`},
		{`new JValue(new byte[] { 1, 2, 3 }).ToString()`, "System.Byte[]"},
		{`new JValue(new byte[] { 1, 2, 3 }).ToString(Formatting.None)`, `"AQID"`},
		{`new JValue(new byte[] { 1, 2, 3 }).Type.ToString()`, "Bytes"},
		{`new JValue(new byte[] { 1 }).Type == JTokenType.Bytes`, "true"},
		{`JToken.FromObject(new byte[] { 1, 2, 3 }).ToString(Formatting.None)`, `"AQID"`},
		{`(string)JToken.FromObject(new byte[] { 1, 2, 3 })`, "AQID"},
		{`((JToken)new byte[] { 1, 2, 3 }).ToString(Formatting.None)`, `"AQID"`},
		{`JsonConvert.SerializeObject(new byte[] { 1, 2, 3 })`, `"AQID"`},
		{`JsonConvert.SerializeObject(new { a = new byte[] { 1, 2, 3 }, n = 1 })`, `{"a":"AQID","n":1}`},
		{`JsonConvert.SerializeObject(new object[] { new byte[] { 1 }, 1 })`, `["AQ==",1]`},
		{`JsonConvert.SerializeObject(new List<byte> { 1, 2 })`, `[1,2]`}, // a list of bytes is an array of integers
		{`JObject.FromObject(new { a = new byte[] { 1, 2, 3 } }).ToString(Formatting.None)`, `{"a":"AQID"}`},
		{`new JArray(new byte[] { 1, 2, 3 }).ToString(Formatting.None)`, `["AQID"]`}, // a byte[] is one item, not many
		{`new { a = new byte[] { 1, 2, 3 } }.a.Length`, "3"},
		// reading back
		{`BitConverter.ToString((byte[])JToken.Parse("\"AQID\""))`, "01-02-03"},
		{`BitConverter.ToString((byte[])JObject.Parse("{\"a\":\"AQID\"}")["a"])`, "01-02-03"},
		{`JToken.Parse("\"aGVsbG8=\"").ToObject<byte[]>().Length`, "5"},
		{`Encoding.UTF8.GetString(JObject.Parse("{\"a\":\"aGVsbG8=\"}")["a"].ToObject<byte[]>())`, "hello"},
		{`JToken.Parse("\"\"").ToObject<byte[]>().Length`, "0"},
		// a JSON null: ToObject<byte[]>() is the serializer's null, where
		// (byte[]) throws (below)
		{`JObject.Parse("{\"a\":null}")["a"].ToObject<byte[]>() == null`, "true"},
		{`(byte[])JObject.Parse("{}")["a"] == null`, "true"},
		{`Convert.ToBase64String((byte[])new JValue(new byte[] { 9 }))`, "CQ=="},
	} {
		t.Run(tc.text, func(t *testing.T) { csBothPaths(t, tc.text, tc.want, nil) })
	}
	for _, tc := range []struct{ stmts, want string }{
		{`var o = new JObject(); o["d"] = new byte[] { 1, 2, 3 }; return o.ToString(Formatting.None) + " " + o["d"].Type + " " + ((byte[])o["d"]).Length;`, `{"d":"AQID"} Bytes 3`},
		{`var o = new JObject(); o.Add("d", new byte[] { 1, 2, 3 }); var a = new JArray { new byte[] { 1 }, 2 }; return o.ToString(Formatting.None) + a.ToString(Formatting.None);`, `{"d":"AQID"}["AQ==",2]`},
		{`var o = new JObject(new JProperty("data", new byte[] { 1, 2, 3 })); return o.DeepClone().ToString(Formatting.None) + o.SelectTokens("$..data").Count();`, `{"data":"AQID"}1`},
	} {
		t.Run(tc.stmts, func(t *testing.T) { csBothBlocks(t, tc.stmts, tc.want, nil) })
	}
	// JToken's explicit (byte[]): ArgumentException "Can not convert
	// <JTokenType> to byte array." for a token that is no string or bytes,
	// Convert.FromBase64String's FormatException for a string that is no
	// base64
	for _, tc := range []struct{ src, want string }{
		{`@(((byte[])JToken.Parse("1")).Length)`, "Can not convert Integer to byte array."},
		{`@(((byte[])JToken.Parse("[1]")).Length)`, "Can not convert Array to byte array."},
		{`@(JToken.Parse("{}").ToObject<byte[]>().Length)`, "Can not convert Object to byte array."},
		{`@(((byte[])JToken.Parse("\"!!\"")).Length)`, "The input is not a valid Base-64 string"},
		{`@(Convert.FromBase64String("AQID\v").Length)`, "The input is not a valid Base-64 string"}, // a vertical tab is not among .NET's four
		{`@(((JToken)null).ToObject<byte[]>())`, "Object reference not set to an instance of an object."},
		// a JValue null: JToken.cs's explicit operator byte[] validates
		// BytesTypes with nullable false
		{`@(((byte[])JObject.Parse("{\"a\":null}")["a"]).Length)`, "Can not convert Null to byte array."},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
	for _, tc := range []struct{ src, want string }{
		{`@(JToken.Parse("1").ToObject<byte>())`, "ToObject<byte>: T must be"},
		{`@((byte[])JToken.Parse("1") + 1)`, "operator '+' cannot be applied"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}

// TestCSharpDeserializeBytes: JsonConvert.DeserializeObject<byte[]>(json),
// as Json.NET's JsonTextReader.ReadAsBytes reads a value: a JSON string is
// base64 (Json.NET's Serialization Guide: Byte[] is a JSON String, "base
// 64 encoded"), the empty string no bytes, a GUID in the "D" format its
// ToByteArray(); a JSON array of integers is those bytes; the
// {"$type":"System.Byte[], mscorlib","$value":...} wrapper of
// TypeNameHandling reads its value; null is null.
func TestCSharpDeserializeBytes(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`BitConverter.ToString(JsonConvert.DeserializeObject<byte[]>("\"AQID\""))`, "01-02-03"},
		{`Encoding.UTF8.GetString(JsonConvert.DeserializeObject<byte[]>(JsonConvert.SerializeObject(Encoding.UTF8.GetBytes("hello"))))`, "hello"},
		{`JsonConvert.DeserializeObject<byte[]>("\"\"").Length`, "0"},
		{`JsonConvert.DeserializeObject<byte[]>("null") == null`, "true"},
		{`BitConverter.ToString(JsonConvert.DeserializeObject<byte[]>("[1, 2, 255]"))`, "01-02-FF"},
		{`JsonConvert.DeserializeObject<byte[]>("[]").Length`, "0"},
		{`BitConverter.ToString(JsonConvert.DeserializeObject<byte[]>(" \"AQ ID\" "))`, "01-02-03"}, // base64's white space, as FromBase64CharArray
		{`new Guid(JsonConvert.DeserializeObject<byte[]>("\"00112233-4455-6677-8899-aabbccddeeff\"")).ToString()`, "00112233-4455-6677-8899-aabbccddeeff"},
		{`Convert.ToBase64String(JsonConvert.DeserializeObject<byte[]>("{\"$type\":\"System.Byte[], mscorlib\",\"$value\":\"AQID\"}"))`, "AQID"},
		{`Convert.ToBase64String(JsonConvert.DeserializeObject<byte[]>(JObject.Parse("{\"d\":\"AQID\"}")["d"].ToString(Formatting.None)))`, "AQID"},
	} {
		t.Run(tc.text, func(t *testing.T) { csBothPaths(t, tc.text, tc.want, nil) })
	}
	for _, tc := range []struct{ src, want string }{
		{`@(JsonConvert.DeserializeObject<byte[]>("\"!!\"").Length)`, "FormatException: The input is not a valid Base-64 string as it contains a non-base 64 character, more than two padding characters, or an illegal character among the padding characters."},
		{`@(JsonConvert.DeserializeObject<byte[]>("[1, 256]").Length)`, "OverflowException: Value was either too large or too small for an unsigned byte."},
		{`@(JsonConvert.DeserializeObject<byte[]>("[1, -1]").Length)`, "OverflowException: Value was either too large or too small for an unsigned byte."},
		{`@(JsonConvert.DeserializeObject<byte[]>("[1, 1.5]").Length)`, "JsonReaderException: Unexpected token when reading bytes: Float. Path '[1]'."},
		{`@(JsonConvert.DeserializeObject<byte[]>("[\"a\"]").Length)`, "JsonReaderException: Unexpected token when reading bytes: String. Path '[0]'."},
		{`@(JsonConvert.DeserializeObject<byte[]>("[null]").Length)`, "JsonReaderException: Unexpected token when reading bytes: Null. Path '[0]'."},
		{`@(JsonConvert.DeserializeObject<byte[]>("12").Length)`, "JsonReaderException: Unexpected character encountered while parsing value: 1. Path ''."},
		{`@(JsonConvert.DeserializeObject<byte[]>("true").Length)`, "JsonReaderException: Unexpected character encountered while parsing value: t. Path ''."},
		{`@(JsonConvert.DeserializeObject<byte[]>("{\"a\":1}").Length)`, "JsonReaderException: Error reading bytes. Unexpected token: StartObject. Path 'a'."},
		{`@(JsonConvert.DeserializeObject<byte[]>(null).Length)`, "ArgumentNullException: Value cannot be null. (Parameter 'value')"},
	} {
		// the exception's type, as a catch clause sees it, and its message
		typ, msg, _ := strings.Cut(tc.want, ": ")
		stmts := `try { return ` + tc.src[2:len(tc.src)-1] + `.ToString(); } catch (` + typ + ` e) { return "` + typ + `: " + e.Message; }`
		csBothBlocks(t, stmts, typ+": "+msg, nil)
	}
}

// TestCSharpJPropertyParent: JProperty.Parent on a property held in a
// variable (Property(name), Properties(), new JProperty added to an
// object). Json.NET's JToken.Parent page: "Gets the parent" (a
// JContainer), null for a token that has none; a property taken out of
// its object (Remove()) has none again.
func TestCSharpJPropertyParent(t *testing.T) {
	for _, tc := range []struct{ stmts, want string }{
		{`var o = new JObject(new JProperty("x", 1)); var p = o.Property("x"); return p.Parent.ToString(Formatting.None);`, `{"x":1}`},
		{`var o = JObject.Parse("{\"a\":1,\"b\":2}"); var n = 0; foreach (var p in o.Properties()) { if (p.Parent == o) n++; } return n;`, "2"},
		{`var p = new JProperty("x", 1); return p.Parent == null;`, "true"},
		{`var p = new JProperty("x", 1); var o = new JObject(p); return p.Parent == o;`, "true"},
		{`var o = new JObject(); var p = new JProperty("x", 1); o.Add(p); return p.Parent == o;`, "true"},
		{`var o = new JObject(new JProperty("x", 1)); var p = o.Property("x"); p.Remove(); return p.Parent == null;`, "true"},
		{`var o = new JObject(new JProperty("x", 1)); var p = o.Property("x"); o.Remove("x"); return p.Parent == null;`, "true"},
		{`JProperty p = null; return p?.Parent == null;`, "true"},
		{`var p = JObject.Parse("{\"a\":{\"b\":1}}").Property("a"); return (int)p.Parent["a"]["b"];`, "1"},
	} {
		t.Run(tc.stmts, func(t *testing.T) { csBothBlocks(t, tc.stmts, tc.want, nil) })
	}
	if _, err, _ := csRun(t, `@{ JProperty p = null; return p.Parent; }`, nil); err == nil || !strings.Contains(err.Error(), "Object reference not set") {
		t.Errorf("Parent of a null JProperty: %v", err)
	}
}

// TestCSharpJTokenParentInVariable: Parent and Remove() of an object or an
// array held in a variable, as Json.NET's JToken documents them ("Parent:
// gets the parent", a JContainer; "Remove: removes this token from its
// parent"): an array's item has the array, a property's value the
// JProperty (whose one item cannot be removed: Json.NET's JsonException),
// a root none, and a token taken out or replaced none again. A token that
// has a parent is copied when it is added elsewhere, as Json.NET's
// JContainer copies it.
func TestCSharpJTokenParentInVariable(t *testing.T) {
	for _, tc := range []struct{ stmts, want string }{
		{`var a = JArray.Parse("[{\"x\":1},[2]]"); var t = a[0]; return t.Parent == a;`, "true"},
		{`var a = JArray.Parse("[{\"x\":1},[2]]"); var n = 0; foreach (var t in a) { if (t.Parent == a) n++; } return n;`, "2"},
		{`var o = JObject.Parse("{\"items\":[{\"id\":1},{\"id\":2}]}"); var first = o["items"].First; return first.Parent.ToString(Formatting.None);`, `[{"id":1},{"id":2}]`},
		{`var o = JObject.Parse("{\"items\":[{\"id\":1},{\"id\":2}]}"); JToken items = o["items"]; return items.Parent.ToString(Formatting.None);`, `"items":[{"id":1},{"id":2}]`},
		{`var o = JObject.Parse("{\"k\":{\"x\":1}}"); var t = o["k"]; return t.Parent.Parent == o;`, "true"},
		{`var o = JObject.Parse("{\"k\":{\"x\":1}}"); return o.Parent == null;`, "true"},
		{`var o = JObject.Parse("{\"k\":{\"x\":1}}"); var t = o["k"]; o.Remove("k"); return t.Parent == null;`, "true"},
		{`var o = JObject.Parse("{\"k\":{\"x\":1}}"); var t = o["k"]; o["k"] = new JObject(); return t.Parent == null;`, "true"},
		{`var a = new JArray(); var o = new JObject(); a.Add(o); return o.Parent == a;`, "true"},
		{`var o = new JObject(); var p = new JProperty("k", o); return o.Parent == p;`, "true"},
		{`var o = JObject.Parse("{}"); var v = new JObject(); o["k"] = v; return v.Parent.ToString(Formatting.None);`, `"k":{}`},
		{`var a = JArray.Parse("[[1],[2]]"); var b = a.DeepClone(); return (b[0].Parent == b) + " " + (b[0].Parent == a);`, "True False"},
		// added elsewhere: a copy, as Json.NET's EnsureParentToken makes it
		{`var a = JArray.Parse("[{\"x\":1}]"); var b = new JArray(); b.Add(a[0]); b[0]["x"] = 2; return (a[0].Parent == a) + " " + (b[0].Parent == b) + " " + a.ToString(Formatting.None);`, `True True [{"x":1}]`},
		{`var o = JObject.Parse("{\"a\":{\"x\":1}}"); var c = new JObject(o); c["a"]["x"] = 2; return o.ToString(Formatting.None);`, `{"a":{"x":1}}`},
		// new JArray(other): the copy constructor (it gave an empty array)
		{`var a = JArray.Parse("[{\"x\":1},2]"); var c = new JArray(a); c[0]["x"] = 3; return c.Count + " " + a.ToString(Formatting.None) + " " + (c[0].Parent == c);`, `2 [{"x":1},2] True`},
		// Remove(): an array's item leaves it
		{`var a = JArray.Parse("[{\"id\":1},{\"id\":2},{\"id\":3}]"); var t = a[1]; t.Remove(); return a.ToString(Formatting.None) + " " + (t.Parent == null);`, `[{"id":1},{"id":3}] True`},
		{`var a = JArray.Parse("[{\"id\":1},{\"id\":2}]"); foreach (var t in a.Where(x => (int)x["id"] == 2).ToList()) t.Remove(); return a.ToString(Formatting.None);`, `[{"id":1}]`},
		// read by an indexer, a value leaves its array too
		{`var a = JArray.Parse("[1,\"two\",3]"); a[1].Remove(); return a.ToString(Formatting.None);`, `[1,3]`},
		{`var o = JObject.Parse("{\"a\":[1,2]}"); o["a"][0].Remove(); return o.ToString(Formatting.None);`, `{"a":[2]}`},
	} {
		t.Run(tc.stmts, func(t *testing.T) { csBothBlocks(t, tc.stmts, tc.want, nil) })
	}
	for _, tc := range []struct{ src, want string }{
		{`@{ var o = JObject.Parse("{\"a\":{}}"); o["a"].Remove(); return 1; }`, "Cannot add or remove items from Newtonsoft.Json.Linq.JProperty."},
		{`@{ var o = JObject.Parse("{}"); o.Remove(); return 1; }`, "The parent is missing."},
		{`@{ JToken t = null; return t.Parent; }`, "Object reference not set to an instance of an object."},
		// a value held in a variable has no identity here
		{`@{ var o = JObject.Parse("{\"k\":1}"); var t = o["k"]; return t.Parent == null; }`, "tollgate keeps no parent for a Integer value held in a variable"},
		{`@{ var a = JArray.Parse("[1]"); var v = a[0]; v.Remove(); return 1; }`, "tollgate keeps no parent for this Integer value"},
		{`@{ var o = JObject.Parse("{\"a\":1}"); o["a"].Remove(); return 1; }`, "Cannot add or remove items from Newtonsoft.Json.Linq.JProperty."},
		{`@{ var o = JObject.Parse("{}"); o["a"].Remove(); return 1; }`, "Object reference not set to an instance of an object."},
		{`@{ var a = JArray.Parse("[1]"); a[1].Remove(); return 1; }`, "Index was out of range"},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
}

// TestCSharpLinqEmptyMessages: First, Last and Single say what .NET's
// Enumerable says: "The source sequence is empty" (InvalidOperationException
// "Sequence contains no elements") without a predicate, "No element
// satisfies the condition in predicate" ("... no matching element") with
// one; Single's "more than one element" likewise. Lowered and interpreted.
func TestCSharpLinqEmptyMessages(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`new int[0].First()`, "Sequence contains no elements"},
		{`new byte[0].Last()`, "Sequence contains no elements"},
		{`new string[0].Single()`, "Sequence contains no elements"},
		{`new int[] { 1 }.First(x => x > 5)`, "Sequence contains no matching element"},
		{`new int[] { 1 }.Last(x => x > 5)`, "Sequence contains no matching element"},
		{`new int[] { 1, 2 }.Single()`, "Sequence contains more than one element"},
		{`new int[] { 1, 2 }.SingleOrDefault()`, "Sequence contains more than one element"},
		{`new int[] { 1, 2 }.Single(x => x > 0)`, "Sequence contains more than one matching element"},
	} {
		for _, src := range []string{"@(" + tc.text + ")", "@{ try { return " + tc.text + "; } finally { } }"} {
			_, err, _ := csRun(t, src, nil)
			if err == nil || !strings.HasSuffix(err.Error(), tc.want) {
				t.Errorf("%s: %v, want %q", src, err, tc.want)
			}
		}
	}
	csBothPaths(t, `new int[] { 3 }.Single() + new int[] { 1, 2 }.SingleOrDefault(x => x > 5) + new int[0].FirstOrDefault()`, "3", nil)
}
