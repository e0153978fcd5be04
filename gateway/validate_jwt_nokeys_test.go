package gateway_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// A validate-jwt without signing keys loads and, over a real socket,
// refuses a signed token with 401 (the backend is not called) while an
// unsigned one passes when require-signed-tokens is false.
func TestValidateJwtWithoutKeysOverHTTP(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := restAPI(t, rb.url, "", `<policies><inbound>
  <validate-jwt header-name="Authorization" require-signed-tokens="false">
    <required-claims><claim name="roles" match="any"><value>admin</value></claim></required-claims>
  </validate-jwt>
</inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	g := startGateway(t, dir)
	claims := jwt.MapClaims{"sub": "alice", "roles": []string{"admin"}, "exp": time.Now().Add(time.Hour).Unix()}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	unsigned := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"alice","roles":["admin"],"exp":4102444800}`)) + "."
	for _, tc := range []struct {
		name, token string
		status      int
		message     string
		hits        int64
	}{
		{"signed", signed, 401, "Signature validation failed", 0},
		{"unsigned", unsigned, 200, "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := rb.calls.Load()
			resp, body := get(t, g.url+"/orders/1", http.Header{"Authorization": {"Bearer " + tc.token}})
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if got := rb.calls.Load() - before; got != tc.hits {
				t.Fatalf("backend called %d times, want %d", got, tc.hits)
			}
			if tc.status != 401 {
				return
			}
			if _, msg := jsonError(t, body); !strings.Contains(msg, tc.message) {
				t.Errorf("message %q, want %q", msg, tc.message)
			}
			if h := resp.Header.Get("WWW-Authenticate"); !strings.Contains(h, `error="invalid_token"`) {
				t.Errorf("WWW-Authenticate %q", h)
			}
		})
	}
}
