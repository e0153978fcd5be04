package policies

import (
	"context"

	"tollgate/engine"
)

// <send-message to="backend|client" type="text|binary">@(expression)</send-message>
// WebSocket APIs only (tollgate's own; APIM cannot do this): sends one
// message right after the backend connects and before any client frame is
// relayed. With to="backend", a SignalR client that skips the JSON hub
// handshake can be served by sending {"protocol":"json","version":1}\u001e for it.
type sendMessage struct {
	toClient bool
	binary   bool
	body     engine.Str
}

func (k *kit) parseSendMessage(p *engine.Parser) engine.Step {
	to := p.LitStr("to", "backend", "backend", "client")
	typ := p.LitStr("type", "text", "text", "binary")
	if !p.HasText() {
		p.Errorf("<send-message> needs the message as its text")
	}
	return &sendMessage{toClient: to == "client", binary: typ == "binary", body: p.TextStr()}
}

func (m *sendMessage) Run(_ context.Context, s *engine.State) error {
	v, err := m.body.Eval(s)
	if err != nil {
		return err
	}
	s.Connect = append(s.Connect, engine.ConnectMessage{ToClient: m.toClient, Binary: m.binary, Data: []byte(v)})
	return nil
}
