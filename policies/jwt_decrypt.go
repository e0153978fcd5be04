package policies

import (
	"strings"

	"github.com/go-jose/go-jose/v4"

	"tollgate/engine"
)

// The JWE algorithms validate-jwt decrypts with its symmetric
// <decryption-keys>: the key used directly (dir) or AES key wrap, with AES
// GCM or AES-CBC + HMAC content encryption.
var (
	jweKeyAlgs = []jose.KeyAlgorithm{jose.DIRECT, jose.A128KW, jose.A192KW, jose.A256KW,
		jose.A128GCMKW, jose.A192GCMKW, jose.A256GCMKW}
	jweEncs = []jose.ContentEncryption{jose.A128GCM, jose.A192GCM, jose.A256GCM,
		jose.A128CBC_HS256, jose.A192CBC_HS384, jose.A256CBC_HS512}
)

// maxJWEBytes bounds an encrypted token (a header could not carry more).
const maxJWEBytes = 64 << 10

// decryptToken decrypts an encrypted token (JWE compact serialization) with
// the decryption keys, trying each in turn as APIM does, and returns the
// token inside (a signed JWT, validated as usual). The written-out keys are
// tried first, then those given by expressions.
func (v *validateJwt) decryptToken(s *engine.State, raw string) (string, error) {
	if len(v.decrypt)+len(v.exprDec) == 0 {
		return "", failf(ReasonJwtInvalid, "Invalid JWT: the token is encrypted and no <decryption-keys> are configured.")
	}
	if len(raw) > maxJWEBytes {
		return "", failf(ReasonJwtInvalid, "Invalid JWT: the encrypted token is larger than %d bytes.", maxJWEBytes)
	}
	jwe, err := jose.ParseEncryptedCompact(raw, jweKeyAlgs, jweEncs)
	if err != nil {
		return "", failf(ReasonJwtInvalid, "Invalid JWT: malformed encrypted token (%s).", joseErrText(err))
	}
	dyn, err := evalKeys(s, v.exprDec, "decryption-keys")
	if err != nil {
		return "", err
	}
	kid := jwe.Header.KeyID
	for _, keys := range [][]sigKey{v.decrypt, dyn} {
		for _, k := range keys {
			if kid != "" && k.kid != "" && k.kid != kid {
				continue
			}
			b, ok := k.key.([]byte)
			if !ok {
				continue
			}
			if plain, err := jwe.Decrypt(b); err == nil {
				return string(plain), nil
			}
		}
	}
	return "", failf(ReasonJwtInvalid, "Invalid JWT: no decryption key decrypts the token.")
}

// joseErrText is go-jose's error without its package prefix.
func joseErrText(err error) string {
	return strings.TrimPrefix(err.Error(), "go-jose/go-jose: ")
}
