package policies

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// An Event Hubs logger sends log-to-eventhub's messages to an Azure event
// hub over its HTTPS API (Event Hubs' "send batch events"): what APIM's
// azureEventHub loggers do, from a gateway that is not in Azure. Batches
// are POSTed as application/vnd.microsoft.servicebus.json, one request per
// partition-id and at most eventHubMaxBody bytes; each message carries its
// partition-key as the PartitionKey broker property.
//
// The credentials are a connection string (a shared access key, or a
// ready-made SharedAccessSignature) or a managed identity (a token for
// https://eventhubs.azure.net from the identities tollgate knows).

// eventHubMaxMessage is APIM's bound on one log-to-eventhub message: a
// longer one is truncated to it (APIM: "200 KB ... automatically
// truncated").
const eventHubMaxMessage = 200 << 10

// eventHubMaxBody bounds one POST (the Basic tier's 256 KB message and
// batch limit, less room for the JSON framing).
const eventHubMaxBody = 250 << 10

// eventHubResource is the audience of Event Hubs' Entra ID tokens.
const eventHubResource = "https://eventhubs.azure.net"

// sasLifetime is how long a signature tollgate makes is valid; it is made
// again when less than a fifth is left.
const sasLifetime = time.Hour

// EventHubCredentials are what an azureEventHub logger is built from: its
// credentials object, as APIM's logger entity has it.
type EventHubCredentials struct {
	// Name is the event hub (credentials.name); a connection string's
	// EntityPath, when it has one, must name the same hub.
	Name string
	// ConnectionString is the namespace's or the hub's connection string
	// (named values already substituted). Secret.
	ConnectionString string
	// EndpointAddress and IdentityClientID: the managed identity form
	// (credentials.endpointAddress, credentials.identityClientId;
	// "SystemAssigned" is the gateway's default identity).
	EndpointAddress, IdentityClientID string
}

// eventHubTarget is a parsed EventHubCredentials.
type eventHubTarget struct {
	base     string // https://HOST/HUB, where batches go (+ /messages)
	audience string // what a signature is for: the hub's URI
	keyName  string
	key      string // shared access key (secret)
	sas      string // a ready-made SharedAccessSignature (secret)
	identity *string
}

// parseEventHub checks c and returns where and how to send.
func parseEventHub(c EventHubCredentials) (*eventHubTarget, error) {
	t := &eventHubTarget{}
	hub := c.Name
	// The Azure portal writes credentials.name as NAMESPACE/HUB (an APIOps
	// extract of a live instance has "evhns-…/evh-…"); the hub is its
	// last part, and the namespace must be the one the credentials reach.
	var namespace string
	if ns, h, ok := strings.Cut(hub, "/"); ok && ns != "" && h != "" && !strings.Contains(h, "/") {
		namespace, hub = ns, h
	}
	var host string
	switch {
	case c.ConnectionString != "" && (c.EndpointAddress != "" || c.IdentityClientID != ""):
		return nil, errors.New("credentials take a connectionString, or an endpointAddress with an identityClientId, not both")
	case c.ConnectionString != "":
		fields := map[string]string{}
		for _, part := range strings.Split(c.ConnectionString, ";") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			k, v, ok := strings.Cut(part, "=")
			if !ok {
				return nil, errors.New("the connection string is not KEY=VALUE;KEY=VALUE (as the Azure portal shows it)")
			}
			fields[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
		ep := fields["endpoint"]
		u, err := url.Parse(ep)
		if ep == "" || err != nil || u.Host == "" || (u.Scheme != "sb" && u.Scheme != "https") {
			return nil, errors.New("the connection string needs Endpoint=sb://NAMESPACE.servicebus.windows.net/")
		}
		host = u.Host
		if p := fields["entitypath"]; p != "" {
			if hub != "" && !strings.EqualFold(hub, p) {
				return nil, fmt.Errorf("the connection string is for the event hub %q, not %q (credentials.name)", p, hub)
			}
			hub = p
		}
		t.keyName, t.key, t.sas = fields["sharedaccesskeyname"], fields["sharedaccesskey"], fields["sharedaccesssignature"]
		switch {
		case t.sas != "":
			if !strings.HasPrefix(t.sas, "SharedAccessSignature ") {
				return nil, errors.New("the connection string's SharedAccessSignature must start with \"SharedAccessSignature \"")
			}
		case t.keyName == "" || t.key == "":
			return nil, errors.New("the connection string needs SharedAccessKeyName and SharedAccessKey (or a SharedAccessSignature)")
		}
	case c.EndpointAddress != "" || c.IdentityClientID != "":
		if c.EndpointAddress == "" {
			return nil, errors.New("a managed identity logger needs credentials.endpointAddress (NAMESPACE.servicebus.windows.net)")
		}
		ep := c.EndpointAddress
		if !strings.Contains(ep, "://") {
			ep = "sb://" + ep
		}
		u, err := url.Parse(ep)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("credentials.endpointAddress %q is not a host name such as NAMESPACE.servicebus.windows.net", c.EndpointAddress)
		}
		host = u.Host
		id := c.IdentityClientID
		if strings.EqualFold(id, "SystemAssigned") {
			id = ""
		}
		t.identity = &id
	default:
		return nil, errors.New("credentials need a connectionString, or an endpointAddress and an identityClientId")
	}
	if hub == "" {
		return nil, errors.New("the event hub's name is missing: credentials.name (or EntityPath in the connection string)")
	}
	if strings.ContainsAny(hub, "/?#%") {
		return nil, fmt.Errorf("%q is not an event hub name", hub)
	}
	if label, _, _ := strings.Cut(host, "."); namespace != "" && !strings.EqualFold(namespace, label) {
		return nil, fmt.Errorf("credentials.name %q names the namespace %q, but the credentials are for %q", c.Name, namespace, host)
	}
	t.audience = "https://" + host + "/" + hub
	t.base = t.audience
	return t, nil
}

// sasToken signs audience with key until expiry, as Event Hubs' "Generate
// a shared access signature token" describes: HMAC-SHA256 over the
// URL-encoded resource URI, a newline and the expiry in Unix seconds.
func sasToken(audience, keyName, key string, expiry time.Time) string {
	sr := url.QueryEscape(audience)
	se := strconv.FormatInt(expiry.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(sr + "\n" + se))
	sig := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return "SharedAccessSignature sr=" + sr + "&sig=" + url.QueryEscape(sig) + "&se=" + se + "&skn=" + url.QueryEscape(keyName)
}

// eventHubSender writes batches to one event hub.
type eventHubSender struct {
	t      *eventHubTarget
	client func() *http.Client
	token  func(ctx context.Context, resource string) (string, error) // a managed identity's
	now    func() time.Time

	mu      sync.Mutex
	sas     string
	sasTill time.Time
}

// authorization returns the Authorization header's value.
func (e *eventHubSender) authorization(ctx context.Context) (string, error) {
	switch {
	case e.t.sas != "":
		return e.t.sas, nil
	case e.token != nil:
		tok, err := e.token(ctx, eventHubResource)
		if err != nil {
			return "", err
		}
		return "Bearer " + tok, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	if e.sas == "" || now.After(e.sasTill) {
		e.sas = sasToken(e.t.audience, e.t.keyName, e.t.key, now.Add(sasLifetime))
		e.sasTill = now.Add(sasLifetime - sasLifetime/5)
	}
	return e.sas, nil
}

// brokered is one message of a batch (Event Hubs' HTTP message shape).
type brokered struct {
	Body             string            `json:"Body"`
	BrokerProperties map[string]string `json:"BrokerProperties,omitempty"`
}

// write sends batch: consecutive messages for the same partition-id go in
// one request, split where a request would pass eventHubMaxBody. The
// first failure stops the rest of the batch (its messages count as
// dropped with the failed ones).
func (e *eventHubSender) write(batch []logEntry) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var buf bytes.Buffer
	var part []brokered
	pid, size := "", 0
	flush := func() error {
		if len(part) == 0 {
			return nil
		}
		buf.Reset()
		if err := json.NewEncoder(&buf).Encode(part); err != nil {
			return err
		}
		part, size = part[:0], 0
		return e.post(ctx, pid, buf.Bytes())
	}
	for _, m := range batch {
		msg := truncateUTF8(m.msg, eventHubMaxMessage)
		b := brokered{Body: msg}
		if m.partitionKey != "" {
			b.BrokerProperties = map[string]string{"PartitionKey": m.partitionKey}
		}
		n := len(msg) + len(m.partitionKey) + 64
		if len(part) > 0 && (m.partitionID != pid || size+n > eventHubMaxBody) {
			if err := flush(); err != nil {
				return err
			}
		}
		pid = m.partitionID
		part = append(part, b)
		size += n
	}
	return flush()
}

// eventHubAttempts is how many times a batch is sent when the hub fails
// in a way that may pass (no answer, 408, 429, 5xx), waiting
// eventHubBackoff, then twice that, in between. APIM retries failed sends
// too; a refusal of the credentials is not retried.
const eventHubAttempts = 3

var eventHubBackoff = 500 * time.Millisecond

// post sends one request, again on a transient failure.
func (e *eventHubSender) post(ctx context.Context, pid string, body []byte) error {
	wait := eventHubBackoff
	for attempt := 1; ; attempt++ {
		transient, err := e.postOnce(ctx, pid, body)
		if err == nil || !transient || attempt == eventHubAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// postOnce sends one request; transient says whether trying again may
// help.
func (e *eventHubSender) postOnce(ctx context.Context, pid string, body []byte) (transient bool, err error) {
	u := e.t.base
	if pid != "" {
		u += "/partitions/" + url.PathEscape(pid)
	}
	u += "/messages?timeout=60&api-version=2014-01"
	auth, err := e.authorization(ctx)
	if err != nil {
		return false, fmt.Errorf("no credentials for the event hub: %s", err.Error())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/vnd.microsoft.servicebus.json")
	req.Header.Set("Authorization", auth)
	res, err := e.client().Do(req)
	if err != nil {
		return true, fmt.Errorf("%s", errWithoutURL(err))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	switch c := res.StatusCode; {
	case c == http.StatusUnauthorized || c == http.StatusForbidden:
		return false, fmt.Errorf("the event hub refused the logger's credentials (%d)", c)
	case c/100 != 2:
		return c == http.StatusRequestTimeout || c == http.StatusTooManyRequests || c/100 == 5, fmt.Errorf("the event hub answered %d", c)
	}
	return false, nil
}

// truncateUTF8 cuts s to at most n bytes, not inside a UTF-8 sequence.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
