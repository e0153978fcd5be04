package policies

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// KeyVault reads Azure Key Vault secrets: the values of APIM named values
// that are Key Vault references (namedValueInformation.json's keyVault
// secretIdentifier), with a managed identity's token for
// https://vault.azure.net (Identities, as authentication-managed-identity
// gets its tokens). A secret read is kept for KeyVaultRefresh, as APIM
// fetches Key Vault named values every four hours.
type KeyVault struct {
	client *http.Client
	tokens map[string]*tokenProvider // by client-id ("" the system-assigned identity)
	now    func() time.Time

	mu    sync.Mutex
	cache map[string]keyVaultEntry // by client-id + "\x00" + secret identifier
}

type keyVaultEntry struct {
	value string
	until time.Time
}

// KeyVaultRefresh is how long a secret read from Key Vault is used before
// it is read again (APIM: every four hours).
const KeyVaultRefresh = 4 * time.Hour

// keyVaultResource is the audience of Key Vault's Entra ID tokens.
const keyVaultResource = "https://vault.azure.net"

// NewKeyVault returns a reader that gets tokens from ids over client (nil:
// DefaultHTTPClient's).
func NewKeyVault(ids map[string]Identity, client *http.Client, log *zap.Logger) *KeyVault {
	if client == nil {
		client = DefaultHTTPClient()
	}
	if log == nil {
		log = zap.NewNop()
	}
	kv := &KeyVault{client: client, tokens: map[string]*tokenProvider{}, now: time.Now, cache: map[string]keyVaultEntry{}}
	for id, ident := range ids {
		kv.tokens[id] = newTokenProvider(ident, client, log)
	}
	return kv
}

// CheckSecretIdentifier says whether id is a Key Vault secret identifier:
// https://VAULT.vault.azure.net/secrets/NAME, optionally /VERSION.
func CheckSecretIdentifier(id string) error {
	u, err := url.Parse(id)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("the secret identifier %q is not an https:// Key Vault secret URL such as https://VAULT.vault.azure.net/secrets/NAME", id)
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] != "secrets" || parts[1] == "" {
		return fmt.Errorf("the secret identifier %q does not name a secret (https://VAULT.vault.azure.net/secrets/NAME[/VERSION])", id)
	}
	return nil
}

// Secret returns the value of the secret id, read with the identity
// clientID ("" or "SystemAssigned": the system-assigned one). Errors
// never hold the value or the token.
func (kv *KeyVault) Secret(ctx context.Context, id, clientID string) (string, error) {
	if strings.EqualFold(clientID, "SystemAssigned") {
		clientID = ""
	}
	if err := CheckSecretIdentifier(id); err != nil {
		return "", err
	}
	key := clientID + "\x00" + id
	kv.mu.Lock()
	e, ok := kv.cache[key]
	kv.mu.Unlock()
	if ok && kv.now().Before(e.until) {
		return e.value, nil
	}
	tp := kv.tokens[clientID]
	if tp == nil {
		if clientID == "" {
			return "", errors.New("no identity is configured for the system-assigned identity: set TOLLGATE_IDENTITY_TOKEN_URL, _CLIENT_ID and _CLIENT_SECRET, or give the value in the environment or the named values file")
		}
		return "", fmt.Errorf("no identity is configured for client-id %q: give the client in the --identities file, or the value in the environment or the named values file", clientID)
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	tok, err := tp.token(ctx, keyVaultResource)
	if err != nil {
		return "", fmt.Errorf("no token for the vault: %s", err.Error())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(id, "/")+"?api-version=7.4", nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := kv.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("reading the secret: %s", errWithoutURL(err))
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("reading the secret: %s", errWithoutURL(err))
	}
	switch {
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		return "", fmt.Errorf("the vault refused the identity (%d): it needs the Key Vault Secrets User role or a get-secret access policy", res.StatusCode)
	case res.StatusCode == http.StatusNotFound:
		return "", errors.New("the vault has no such secret (404)")
	case res.StatusCode != http.StatusOK:
		return "", fmt.Errorf("the vault answered %d", res.StatusCode)
	}
	var sb struct {
		Value *string `json:"value"`
	}
	if json.Unmarshal(body, &sb) != nil || sb.Value == nil {
		return "", errors.New("the vault's answer has no secret value")
	}
	kv.mu.Lock()
	kv.cache[key] = keyVaultEntry{value: *sb.Value, until: kv.now().Add(KeyVaultRefresh)}
	kv.mu.Unlock()
	return *sb.Value, nil
}
