package csharp

import (
	"crypto/rand"
)

// System.Security.Cryptography.RNGCryptoServiceProvider and
// RandomNumberGenerator, which APIM's policy expressions allow: the
// operating system's cryptographic generator (Go's crypto/rand), filling
// a byte[] in place as .NET does.

var tRNG = &Type{K: KRNG, Name: "RandomNumberGenerator"}

// rngObj is a generator instance; class is its .NET class's name.
type rngObj struct{ class string }

func (r *rngObj) String() string { return "System.Security.Cryptography." + r.class }

// rngFill fills b[off:off+n] with random bytes, none zero if nonZero.
func rngFill(b []byte, nonZero bool) {
	rand.Read(b)
	if !nonZero {
		return
	}
	for i := range b {
		for b[i] == 0 {
			var one [1]byte
			rand.Read(one[:])
			b[i] = one[0]
		}
	}
}

func registerRNG() {
	kindNames[KRNG] = "RandomNumberGenerator"
	mk := func(class string) func([]any) (any, error) {
		return func([]any) (any, error) { return &rngObj{class: class}, nil }
	}
	static("RNGCryptoServiceProvider", "new", ts(), tRNG, mk("RNGCryptoServiceProvider"), nil)
	static("RandomNumberGenerator", "Create", ts(), tRNG, mk("RNGCryptoServiceProvider"), nil)
	// Create(name): CryptoConfig's names of the generator (.NET
	// Framework's), else null
	static("RandomNumberGenerator", "Create", ts(tString), tRNG, func(a []any) (any, error) {
		name, ok := a[0].(string)
		if !ok {
			return nil, argNull("rngName")
		}
		switch name {
		case "RandomNumberGenerator", "System.Security.Cryptography.RandomNumberGenerator", "RNGCryptoServiceProvider", "System.Security.Cryptography.RNGCryptoServiceProvider":
			return &rngObj{class: "RNGCryptoServiceProvider"}, nil
		}
		return nil, nil
	}, nil)
	recv := func(v any) error {
		if r, ok := v.(*rngObj); !ok || r == nil {
			return errNull
		}
		return nil
	}
	buf := func(v any) ([]byte, error) {
		b, ok := v.([]byte)
		if !ok {
			return nil, argNull("data")
		}
		return b, nil
	}
	for _, name := range []string{"GetBytes", "GetNonZeroBytes"} {
		nonZero := name == "GetNonZeroBytes"
		method(KRNG, name, ts(tBytes), tVoid, func(a []any) (any, error) {
			if err := recv(a[0]); err != nil {
				return nil, err
			}
			b, err := buf(a[1])
			if err != nil {
				return nil, err
			}
			rngFill(b, nonZero)
			return nil, nil
		}, nil)
	}
	method(KRNG, "GetBytes", ts(tBytes, tInt, tInt), tVoid, func(a []any) (any, error) {
		if err := recv(a[0]); err != nil {
			return nil, err
		}
		b, err := buf(a[1])
		if err != nil {
			return nil, err
		}
		off, n := toInt(a[2]), toInt(a[3])
		switch {
		case off < 0:
			return nil, exc("ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'offset')")
		case n < 0:
			return nil, exc("ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'count')")
		case off > len(b)-n:
			return nil, exc("ArgumentException", "Offset and length were out of bounds for the array or count is greater than the number of elements from index to the end of the source collection.")
		}
		rngFill(b[off:off+n], false)
		return nil, nil
	}, nil)
	for _, name := range []string{"Dispose"} {
		method(KRNG, name, ts(), tVoid, func(a []any) (any, error) { return nil, recv(a[0]) }, nil)
	}
	method(KRNG, "ToString", ts(), tString, func(a []any) (any, error) { return callToString(a[0]) }, nil)
}
