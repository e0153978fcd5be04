// Package chatsvc is the backend of tollgate's SignalR chat sample. It plays
// the two Azure parts of the article "Azure API Management in front of a
// SignalR chat app backed by Azure SignalR Service":
//
//   - the Chat App (NewApp): the ASP.NET Core web app whose /chat/negotiate
//     answers with Azure SignalR's redirect ({"url","accessToken"}) and which
//     serves the chat web page;
//   - the Azure SignalR Service (NewService): /client/negotiate and the
//     /client/ WebSocket endpoint speaking the SignalR JSON hub protocol for a
//     ChatHub with SendMessage(user, message) → ReceiveMessage(user, message).
//
// Both are plain http.Handlers so other packages' tests can start them on
// httptest servers.
package chatsvc

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"
)

// DevAccessKey is the development access key used when none is configured.
// It is the fixed key of Microsoft's open-source SignalR emulator; never use
// it outside local development.
const DevAccessKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"

// MinAccessKeyLength is the shortest access key accepted (in bytes).
const MinAccessKeyLength = 32

// Defaults, matching ASP.NET Core SignalR and Azure SignalR.
const (
	DefaultHub               = "chat"
	DefaultIDTTL             = 30 * time.Second
	DefaultKeepAliveInterval = 15 * time.Second
	DefaultClientTimeout     = 30 * time.Second
	DefaultHandshakeTimeout  = 15 * time.Second
	DefaultTokenLifetime     = time.Hour
	DefaultSendQueue         = 256
	DefaultWriteTimeout      = 10 * time.Second
	DefaultPageHubURL        = "http://127.0.0.1:8080/chat"
)

// Config configures both the App and the Service. Zero values take the
// defaults above; see each field.
type Config struct {
	// AccessKey signs (App) and verifies (Service) the client access tokens:
	// HS256 with the UTF-8 bytes of this string. Default DevAccessKey; at least
	// MinAccessKeyLength bytes.
	AccessKey string
	// ServiceURL is the service's public base URL as clients see it, e.g.
	// "http://127.0.0.1:5001". The App needs it (it builds the redirect url and
	// the token audience from it). For the Service it may be left empty: the
	// expected audience is then derived from each request
	// ("http(s)://" + Host).
	ServiceURL string
	// Hub is the hub name (default "chat"). The App serves /<Hub>/negotiate;
	// the Service accepts ?hub=<Hub> (case-insensitive) only.
	Hub string
	// IDTTL is how long a connection id issued by the Service's negotiate stays
	// valid for the WebSocket connect (default 30s). Ids are single use.
	IDTTL time.Duration
	// KeepAliveInterval: the Service sends a Ping after this much send-idle
	// time (default 15s).
	KeepAliveInterval time.Duration
	// ClientTimeout: the Service drops a connection it has received nothing
	// from for this long (default 30s).
	ClientTimeout time.Duration
	// HandshakeTimeout: the Service closes a connection that sent no handshake
	// within this time (default 15s).
	HandshakeTimeout time.Duration
	// TokenLifetime is the lifetime of access tokens minted by the App
	// (default 1h).
	TokenLifetime time.Duration
	// SendQueue is the per-connection outgoing queue length (default 256). A
	// connection whose queue is full when a message is queued for it is a
	// slow consumer and is closed, so it cannot stall the broadcast.
	SendQueue int
	// WriteTimeout bounds one WebSocket write (default 10s).
	WriteTimeout time.Duration
	// NodeModulesDir is the node_modules folder the App serves
	// /lib/signalr.min.js from (@microsoft/signalr/dist/browser/). Empty:
	// /lib/signalr.min.js answers 404 with a hint.
	NodeModulesDir string
	// PageHubURL is the hub URL the chat page connects to unless the page URL
	// has ?hub= (default http://127.0.0.1:8080/chat, the gateway).
	PageHubURL string
	// Logger receives logs (default zap.NewNop()). Tokens and keys are never
	// logged.
	Logger *zap.Logger
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	c.AccessKey = cmp.Or(c.AccessKey, DevAccessKey)
	c.ServiceURL = strings.TrimRight(c.ServiceURL, "/")
	c.Hub = cmp.Or(c.Hub, DefaultHub)
	c.IDTTL = positiveOr(c.IDTTL, DefaultIDTTL)
	c.KeepAliveInterval = positiveOr(c.KeepAliveInterval, DefaultKeepAliveInterval)
	c.ClientTimeout = positiveOr(c.ClientTimeout, DefaultClientTimeout)
	c.HandshakeTimeout = positiveOr(c.HandshakeTimeout, DefaultHandshakeTimeout)
	c.TokenLifetime = positiveOr(c.TokenLifetime, DefaultTokenLifetime)
	c.SendQueue = positiveOr(c.SendQueue, DefaultSendQueue)
	c.WriteTimeout = positiveOr(c.WriteTimeout, DefaultWriteTimeout)
	c.PageHubURL = cmp.Or(c.PageHubURL, DefaultPageHubURL)
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

// positiveOr is v, or def when v is zero or negative.
func positiveOr[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Validate reports a configuration error (after defaults are applied).
func (c Config) Validate() error {
	c = c.WithDefaults()
	if len(c.AccessKey) < MinAccessKeyLength {
		return fmt.Errorf("access key too short: %d bytes, need at least %d", len(c.AccessKey), MinAccessKeyLength)
	}
	if strings.ContainsAny(c.Hub, "/?#&= ") {
		return fmt.Errorf("invalid hub name %q", c.Hub)
	}
	if c.ServiceURL != "" {
		u, err := url.Parse(c.ServiceURL)
		if err != nil {
			return fmt.Errorf("service url: %w", err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			return errors.New("service url must be http(s)://host[:port][/path] without a query")
		}
	}
	return nil
}

func mustConfig(c Config, needServiceURL bool) Config {
	if err := c.Validate(); err != nil {
		panic("chatsvc: " + err.Error())
	}
	c = c.WithDefaults()
	if needServiceURL && c.ServiceURL == "" {
		panic("chatsvc: the App needs Config.ServiceURL")
	}
	return c
}
