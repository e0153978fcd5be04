package csharp

import (
	"math"
)

// Small members of types APIM's table of allowed .NET types lists ("All"
// of System.Math, System.Char, System.Boolean, System.Uri, System.Decimal,
// System.TimeSpan, System.Random, X509ContentType; Match's Empty) that tollgate lacked: the constants and
// the functions that are Go's math ones.

// mathLog is Math.Log(a, newBase), .NET's special cases first.
func mathLog(a, b float64) float64 {
	switch {
	case math.IsNaN(a):
		return a
	case math.IsNaN(b):
		return b
	case b == 1:
		return math.NaN()
	case a != 1 && (b == 0 || math.IsInf(b, 1)):
		return math.NaN()
	}
	return math.Log(a) / math.Log(b)
}

func registerAllowedMore() {
	D, S := tDouble, tString
	constant := func(typ, name string, t *Type, v any) {
		staticProp(typ, name, t, func([]any) (any, error) { return v, nil }, nil)
	}
	// System.Math: the constants, the trigonometric and hyperbolic
	// functions, Log(a, newBase), IEEERemainder, BigMul
	constant("Math", "PI", D, math.Pi)
	constant("Math", "E", D, math.E)
	for name, f := range map[string]func(float64) float64{"Sin": math.Sin, "Cos": math.Cos, "Tan": math.Tan, "Asin": math.Asin,
		"Acos": math.Acos, "Atan": math.Atan, "Sinh": math.Sinh, "Cosh": math.Cosh, "Tanh": math.Tanh} {
		f := f
		static("Math", name, ts(D), D, func(a []any) (any, error) { return f(toFloat(a[0])), nil }, nil)
	}
	static("Math", "Atan2", ts(D, D), D, func(a []any) (any, error) { return math.Atan2(toFloat(a[0]), toFloat(a[1])), nil }, nil)
	static("Math", "Log", ts(D, D), D, func(a []any) (any, error) { return mathLog(toFloat(a[0]), toFloat(a[1])), nil }, nil)
	static("Math", "IEEERemainder", ts(D, D), D, func(a []any) (any, error) { return math.Remainder(toFloat(a[0]), toFloat(a[1])), nil }, nil)
	static("Math", "BigMul", ts(tInt, tInt), tLong, func(a []any) (any, error) { return toInt(a[0]) * toInt(a[1]), nil }, nil)

	// System.Char and System.Boolean's constants
	constant("char", "MinValue", tChar, "\x00")
	constant("char", "MaxValue", tChar, "\uffff")
	constant("bool", "TrueString", S, "True")
	constant("bool", "FalseString", S, "False")

	// System.Uri's scheme names
	for name, v := range map[string]string{"UriSchemeHttp": "http", "UriSchemeHttps": "https", "UriSchemeFtp": "ftp", "UriSchemeFile": "file",
		"UriSchemeMailto": "mailto", "UriSchemeNews": "news", "UriSchemeNntp": "nntp", "UriSchemeGopher": "gopher",
		"UriSchemeNetTcp": "net.tcp", "UriSchemeNetPipe": "net.pipe", "SchemeDelimiter": "://"} {
		constant("Uri", name, S, v)
	}

	// Random.NextBytes(buffer): the array filled in place
	method(KRandom, "NextBytes", ts(tBytes), tVoid, func(a []any) (any, error) {
		b, ok := a[1].([]byte)
		if !ok {
			return nil, argNull("buffer")
		}
		x, _ := a[0].(*randomT)
		for i := range b {
			b[i] = byte(x.intn(256))
		}
		return nil, nil
	}, nil)

	// System.Security.Cryptography.X509Certificates.X509ContentType, an
	// enum the table lists (tollgate has no member taking it)
	ct := newEnum("X509ContentType", "System.Security.Cryptography.X509Certificates", "Unknown", "Cert", "SerializedCert", "Pfx", "SerializedStore", "Pkcs7", "Authenticode")
	ct.aliases = map[string]int{"Pkcs12": 3}
	constant("X509ContentType", "Pkcs12", ct.t, enumVal{ct, 3})

}
