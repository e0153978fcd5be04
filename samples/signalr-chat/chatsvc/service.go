package chatsvc

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"
)

// Service emulates Azure SignalR Service (default mode) for one hub whose
// server-side code is the tutorial ChatHub:
//
//	SendMessage(user, message) => Clients.All.SendAsync("ReceiveMessage", user, message)
//
// Endpoints:
//
//	POST /client/negotiate?hub=<hub>&...   Authorization: Bearer <token>
//	GET  /client/?hub=<hub>&...[&id=<id>]  WebSocket; token in Authorization or access_token
//	GET  /healthz
//
// Tokens are HS256 JWTs signed with the UTF-8 bytes of the access key whose
// aud is ClientAudience(ServiceURL, hub) and whose exp is in the future.
type Service struct {
	cfg Config
	log *zap.Logger
	mux *http.ServeMux
	now func() time.Time

	mu      sync.Mutex
	pending map[string]pendingConn // negotiated, not yet connected; key: the id clients send
	conns   map[*conn]struct{}     // every live WebSocket connection
	closing bool
	wg      sync.WaitGroup // one per live WebSocket connection
}

type pendingConn struct {
	connectionID string
	expires      time.Time
}

// NewService returns the service emulation. It panics when cfg is invalid
// (see Config.Validate).
func NewService(cfg Config) *Service {
	cfg = mustConfig(cfg, false)
	s := &Service{
		cfg:     cfg,
		log:     cfg.Logger.Named("service"),
		mux:     http.NewServeMux(),
		now:     time.Now,
		pending: map[string]pendingConn{},
		conns:   map[*conn]struct{}{},
	}
	s.mux.HandleFunc("/client/negotiate", withCORS(s.negotiate))
	s.mux.HandleFunc("/client/{$}", s.connect)
	s.mux.HandleFunc("/client", s.connect)
	s.mux.HandleFunc("GET /healthz", healthz)
	return s
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Connections returns the number of live WebSocket connections.
func (s *Service) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// serviceURL is the configured public URL, or the one this request was sent
// to when none is configured.
func (s *Service) serviceURL(r *http.Request) string {
	if s.cfg.ServiceURL != "" {
		return s.cfg.ServiceURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// checkHub answers 400/404 and returns false when ?hub= is not this hub.
func (s *Service) checkHub(w http.ResponseWriter, r *http.Request) (string, bool) {
	hub := r.URL.Query().Get("hub")
	if hub == "" {
		writeError(w, http.StatusBadRequest, "The hub query parameter is required.")
		return "", false
	}
	if !strings.EqualFold(hub, s.cfg.Hub) {
		writeError(w, http.StatusNotFound, "Hub '"+hub+"' not found.")
		return "", false
	}
	return strings.ToLower(hub), true
}

func (s *Service) authenticate(w http.ResponseWriter, r *http.Request, hub, token string) (string, bool) {
	user, err := verifyClientToken(s.cfg.AccessKey, ClientAudience(s.serviceURL(r), hub), token, s.now())
	if err != nil {
		s.log.Info("unauthorized", zap.String("path", r.URL.Path), zap.String("remote", r.RemoteAddr), zap.String("reason", err.Error()))
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "Unauthorized: "+err.Error())
		return "", false
	}
	return user, true
}

type transport struct {
	Transport       string   `json:"transport"`
	TransferFormats []string `json:"transferFormats"`
}

type negotiateResponse struct {
	NegotiateVersion    int         `json:"negotiateVersion"`
	ConnectionID        string      `json:"connectionId"`
	ConnectionToken     string      `json:"connectionToken,omitempty"`
	AvailableTransports []transport `json:"availableTransports"`
}

func (s *Service) negotiate(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST, OPTIONS")
		writeError(w, http.StatusMethodNotAllowed, "Negotiate requires POST.")
		return
	}
	hub, ok := s.checkHub(w, r)
	if !ok {
		return
	}
	user, ok := s.authenticate(w, r, hub, bearerToken(r))
	if !ok {
		return
	}
	version := 0
	if v := r.URL.Query().Get("negotiateVersion"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "The negotiateVersion query parameter must be a non-negative integer.")
			return
		}
		version = min(n, 1)
	}
	resp := negotiateResponse{
		NegotiateVersion:    version,
		ConnectionID:        newConnectionID(),
		AvailableTransports: []transport{{"WebSockets", []string{"Text", "Binary"}}},
	}
	key := resp.ConnectionID
	if version >= 1 {
		resp.ConnectionToken = newConnectionID()
		key = resp.ConnectionToken
	}
	now := s.now()
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		writeError(w, http.StatusServiceUnavailable, "Server is shutting down.")
		return
	}
	for k, p := range s.pending {
		if now.After(p.expires) {
			delete(s.pending, k)
		}
	}
	s.pending[key] = pendingConn{connectionID: resp.ConnectionID, expires: now.Add(s.cfg.IDTTL)}
	s.mu.Unlock()
	s.log.Info("negotiated", zap.String("connectionId", resp.ConnectionID), zap.String("user", user), zap.Int("negotiateVersion", version))
	writeJSON(w, http.StatusOK, resp)
}

// takePending consumes a negotiated id: ids are single use and expire after
// IDTTL.
func (s *Service) takePending(id string) (pendingConn, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pending[id]
	if !ok {
		return p, false
	}
	delete(s.pending, id)
	return p, !s.now().After(p.expires)
}

func (s *Service) connect(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		writeError(w, http.StatusBadRequest, "This endpoint only accepts WebSocket connections.")
		return
	}
	hub, ok := s.checkHub(w, r)
	if !ok {
		return
	}
	// Authorization wins; browsers cannot set headers on a WebSocket and use
	// the access_token query parameter instead.
	token := bearerToken(r)
	if token == "" {
		token = r.URL.Query().Get("access_token")
	}
	user, ok := s.authenticate(w, r, hub, token)
	if !ok {
		return
	}
	var connectionID string
	if id := r.URL.Query().Get("id"); id != "" {
		p, ok := s.takePending(id)
		if !ok {
			s.log.Info("unknown or expired connection id", zap.String("remote", r.RemoteAddr))
			writeError(w, http.StatusNotFound, "No Connection with that ID")
			return
		}
		connectionID = p.connectionID
	} else {
		// skipNegotiation: the client connected straight to the hub URL, so
		// this is a new connection (as ASP.NET Core does without id).
		connectionID = newConnectionID()
	}

	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		writeError(w, http.StatusServiceUnavailable, "Server is shutting down.")
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()

	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		// Like Azure SignalR, any origin may connect; the token is the
		// credential.
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		s.log.Info("websocket accept failed", zap.Error(err))
		return
	}
	ws.SetReadLimit(maxMessageSize)
	c := newConn(s, ws, connectionID, user)
	if !s.add(c) {
		_ = ws.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	defer s.remove(c)
	c.serve(r.Context())
}

func (s *Service) add(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Service) remove(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// markJoined makes a handshaken connection a broadcast member; false while
// shutting down.
func (s *Service) markJoined(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	c.joined = true
	return true
}

// broadcast queues msg for every handshaken connection. It never blocks: a
// connection whose send queue is full is closed (see conn.enqueue).
func (s *Service) broadcast(msg []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.joined {
			c.enqueue(outFrame{data: msg})
		}
	}
}

// shutdownMessage is the Close message sent to every connection on Shutdown.
var shutdownMessage = []byte(`{"type":7,"error":"Server is shutting down.","allowReconnect":true}` + recordSeparator)

// Shutdown stops accepting negotiations and connections, sends every
// handshaken connection the SignalR Close message
// {"type":7,"error":"Server is shutting down.","allowReconnect":true} and
// closes it with 1001 (going away); connections still in their handshake are
// closed with 1001. It waits until all connections are gone or ctx ends,
// then drops whatever is left and returns ctx.Err().
// Shutdown does not close the listener: stop the http.Server too.
func (s *Service) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.pending = map[string]pendingConn{}
	s.mu.Unlock()
	s.log.Info("shutting down", zap.Int("connections", len(conns)))
	for _, c := range conns {
		c.shutdown()
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for c := range s.conns {
			c.kill("shutdown deadline")
		}
		s.mu.Unlock()
		return ctx.Err()
	}
}

func newConnectionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
