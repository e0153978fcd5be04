package chatsvc

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ClientAudience is the audience of a client access token for hub on the
// service at serviceURL: "<serviceURL>/client/?hub=<hub lowercased>", the
// base client URL without asrs.op, asrs_request_id or other extras (as the
// Azure SignalR SDK writes it).
func ClientAudience(serviceURL, hub string) string {
	return strings.TrimRight(serviceURL, "/") + "/client/?hub=" + strings.ToLower(hub)
}

// MintClientToken returns a client access token as the Azure SignalR SDK
// mints it: HS256 signed with the UTF-8 bytes of accessKey, with aud, exp,
// iat, nbf, and (when userID is not empty) nameid and asrs.s.uid.
func MintClientToken(accessKey, audience, userID string, lifetime time.Duration, now time.Time) (string, error) {
	claims := jwt.MapClaims{
		"aud": audience,
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(lifetime).Unix(),
	}
	if userID != "" {
		claims["nameid"] = userID
		claims["asrs.s.uid"] = userID
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(accessKey))
}

// Token verification errors.
var (
	ErrNoToken      = errors.New("no access token")
	ErrInvalidToken = errors.New("invalid access token")
)

// verifyClientToken checks the HS256 signature (UTF-8 bytes of accessKey),
// that aud equals audience and that exp is present and in the future. It
// returns the user id (nameid, else asrs.s.uid, else "").
func verifyClientToken(accessKey, audience, raw string, now time.Time) (string, error) {
	if raw == "" {
		return "", ErrNoToken
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims,
		func(*jwt.Token) (any, error) { return []byte(accessKey), nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	if err != nil {
		switch {
		case errors.Is(err, jwt.ErrTokenExpired):
			return "", fmt.Errorf("%w: token expired", ErrInvalidToken)
		case errors.Is(err, jwt.ErrTokenInvalidAudience):
			return "", fmt.Errorf("%w: audience mismatch", ErrInvalidToken)
		case errors.Is(err, jwt.ErrTokenSignatureInvalid):
			return "", fmt.Errorf("%w: bad signature", ErrInvalidToken)
		default:
			return "", fmt.Errorf("%w: malformed or unacceptable token", ErrInvalidToken)
		}
	}
	for _, k := range []string{"nameid", "asrs.s.uid"} {
		if s, ok := claims[k].(string); ok && s != "" {
			return s, nil
		}
	}
	return "", nil
}

// bearerToken returns the token of an "Authorization: Bearer" header, or "".
func bearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
