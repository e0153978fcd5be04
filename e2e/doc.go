// Package e2e holds tollgate's end-to-end tests across the gateway, the
// policies and the SignalR chat sample (samples/signalr-chat/chatsvc):
// gateways in-process (or as processes) serving real apis folders, driven
// over real sockets.
//
//	go test -race ./e2e/
package e2e
