package e2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"

	"tollgate/gateway"
	"tollgate/internal/testutil"
	"tollgate/policies"
)

// A WebSocket API protected by validate-jwt with the token in the query
// string (browsers cannot set headers on a WebSocket), keys from an OpenID
// Connect discovery document. The backend echoes and first tells who the
// gateway says the caller is (X-User, set from the validated token).
func TestValidateJwtWebSocketQueryToken(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	idp := jwtIdentityProvider(t, "k1", key)

	var upgrades atomic.Int32
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upgrades.Add(1)
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		if err := c.Write(ctx, websocket.MessageText, []byte("hello "+r.Header.Get("X-User"))); err != nil {
			return
		}
		testutil.Echo(ctx, c)
	}))
	defer backend.Close()

	dir := t.TempDir()
	testutil.WriteFile(t, filepath.Join(dir, "chat", "api.xml"),
		`<api name="chat" type="websocket" path="/chat" service-url="ws://`+strings.TrimPrefix(backend.URL, "http://")+`/"/>`)
	testutil.WriteFile(t, filepath.Join(dir, "chat", "policy.xml"), `<policies>
  <inbound>
    <validate-jwt query-parameter-name="access_token" output-token-variable-name="jwt">
      <openid-config url="`+idp.URL+`/.well-known/openid-configuration" timeout="5"/>
      <audiences><audience>api://chat</audience></audiences>
      <issuers><issuer>https://idp.example/</issuer></issuers>
    </validate-jwt>
    <set-header name="X-User" exists-action="override"><value>@(context.Variables["jwt"].Subject)</value></set-header>
  </inbound>
  <backend><forward-request timeout="10"/></backend>
  <outbound/>
  <on-error/>
</policies>`)
	gwURL := serveGateway(t, gateway.Options{Dir: dir, Registry: policies.Registry(policies.Deps{})})
	wsURL := "ws://" + strings.TrimPrefix(gwURL, "http://") + "/chat"

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	claims := func() jwt.MapClaims {
		return jwt.MapClaims{"sub": "alice", "iss": "https://idp.example/", "aud": "api://chat", "exp": time.Now().Add(time.Hour).Unix()}
	}
	good := jwtSignRS(t, key, "k1", claims())
	badSig := jwtSignRS(t, other, "k1", claims())
	c := claims()
	c["aud"] = "api://elsewhere"
	wrongAud := jwtSignRS(t, key, "k1", c)

	for _, tc := range []struct {
		name, query, wantReason string
		wantWWW                 string
	}{
		{"no token", "", "JWT not present", "Bearer"},
		{"bad signature", "?access_token=" + badSig, "signature", `Bearer error="invalid_token"`},
		{"wrong audience", "?access_token=" + wrongAud, "audience", `Bearer error="invalid_token"`},
		{"token in a header only", "", "JWT not present", "Bearer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts *websocket.DialOptions
			if tc.name == "token in a header only" {
				opts = &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + good}}}
			}
			ws, resp, err := websocket.Dial(ctx, wsURL+tc.query, opts)
			if err == nil {
				ws.CloseNow()
				t.Fatal("upgraded; want 401 before the upgrade")
			}
			if resp == nil || resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("dial: %v (resp %v)", err, resp)
			}
			body, _ := io.ReadAll(resp.Body)
			if !strings.Contains(string(body), tc.wantReason) || resp.Header.Get("WWW-Authenticate") != tc.wantWWW {
				t.Errorf("body %s, WWW-Authenticate %q", body, resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	if n := upgrades.Load(); n != 0 {
		t.Fatalf("the backend was contacted %d times for refused handshakes", n)
	}

	ws, resp, err := websocket.Dial(ctx, wsURL+"?access_token="+good, nil)
	if err != nil {
		t.Fatalf("dial with a good token: %v (resp %v)", err, resp)
	}
	defer ws.CloseNow()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", resp.StatusCode)
	}
	_, hello, err := ws.Read(ctx)
	if err != nil || string(hello) != "hello alice" {
		t.Fatalf("first message %q, %v", hello, err)
	}
	for i := 0; i < 3; i++ {
		msg := fmt.Sprintf("ping %d", i)
		if err := ws.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		_, got, err := ws.Read(ctx)
		if err != nil || string(got) != msg {
			t.Fatalf("echo %q, %v", got, err)
		}
	}
	ws.Close(websocket.StatusNormalClosure, "")
	if n := idp.fetches.Load(); n != 1 {
		t.Errorf("the JWKS was fetched %d times, want 1", n)
	}
}

type jwtIDP struct {
	*httptest.Server
	fetches atomic.Int32
}

// jwtIdentityProvider serves a discovery document and a JWKS with one key.
func jwtIdentityProvider(t *testing.T, kid string, key *rsa.PrivateKey) *jwtIDP {
	idp := &jwtIDP{}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"issuer":"https://idp.example/","jwks_uri":%q}`, idp.URL+"/discovery/keys")
	})
	mux.HandleFunc("/discovery/keys", func(w http.ResponseWriter, r *http.Request) {
		idp.fetches.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "use": "sig", "kid": kid, "alg": "RS256",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	idp.Server = httptest.NewServer(mux)
	t.Cleanup(idp.Close)
	return idp
}

func jwtSignRS(t *testing.T, key *rsa.PrivateKey, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// cors and ip-filter on an HTTP API, through the gateway: the preflight is
// answered without the backend, and the CORS headers cors records in
// inbound reach the client on the backend's response. (Kept in this file:
// it is the security policies' end-to-end test file.)
func TestCorsAndIPFilterThroughGateway(t *testing.T) {
	var calls atomic.Int32
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("X-Request-Id", "r-1")
		_, _ = io.WriteString(w, "ok")
	}))
	defer backend.Close()
	dir := t.TempDir()
	testutil.WriteFile(t, filepath.Join(dir, "items", "api.xml"), `<api name="items" type="http" path="/items" service-url="`+backend.URL+`/"/>`)
	testutil.WriteFile(t, filepath.Join(dir, "items", "policy.xml"), `<policies>
  <inbound>
    <cors allow-credentials="true">
      <allowed-origins><origin>https://app.example.com</origin></allowed-origins>
      <allowed-methods preflight-result-max-age="600"><method>GET</method><method>PUT</method></allowed-methods>
      <allowed-headers><header>Content-Type</header></allowed-headers>
      <expose-headers><header>X-Request-Id</header></expose-headers>
    </cors>
    <ip-filter action="allow"><address>127.0.0.1</address><address>::1</address></ip-filter>
  </inbound>
  <backend><forward-request/></backend>
  <outbound/>
  <on-error/>
</policies>`)
	gwURL := serveGateway(t, gateway.Options{Dir: dir, Registry: policies.Registry(policies.Deps{})})

	do := func(method string, hdr ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, gwURL+"/items/1", nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	resp := do(http.MethodOptions, "Origin", "https://app.example.com", "Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "content-type")
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		resp.Header.Get("Access-Control-Allow-Methods") != "GET, PUT" || resp.Header.Get("Access-Control-Max-Age") != "600" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("the preflight reached the backend (%d calls)", n)
	}
	resp = do(http.MethodGet, "Origin", "https://app.example.com")
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		resp.Header.Get("Access-Control-Allow-Credentials") != "true" || resp.Header.Get("Access-Control-Expose-Headers") != "X-Request-Id" ||
		resp.Header.Get("X-Request-Id") != "r-1" {
		t.Errorf("actual request: %d %v", resp.StatusCode, resp.Header)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("backend calls = %d, want 1", n)
	}
	resp = do(http.MethodGet, "Origin", "https://evil.example.com")
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "" || calls.Load() != 1 {
		t.Errorf("unmatched GET: %d %v (backend calls %d)", resp.StatusCode, resp.Header, calls.Load())
	}
}
