package main

import (
	"testing"
	"time"

	"tollgate/samples/signalr-chat/chatsvc"
)

func TestParseFlags(t *testing.T) {
	t.Setenv("SIGNALR_ACCESS_KEY", "")
	o, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.appListen != "127.0.0.1:5000" || o.serviceListen != "127.0.0.1:5001" || o.hub != "chat" ||
		o.idTTL != 30*time.Second || o.accessKey != chatsvc.DevAccessKey || o.serviceURL != "" {
		t.Errorf("defaults: %+v", o)
	}

	o, err = parseFlags([]string{"--service-url", "https://x.example/", "--id-ttl", "5s", "--hub", "Chat"})
	if err != nil || o.serviceURL != "https://x.example/" || o.idTTL != 5*time.Second || o.hub != "Chat" {
		t.Errorf("flags: %+v %v", o, err)
	}

	t.Setenv("SIGNALR_ACCESS_KEY", "from-env-0123456789-0123456789-0123456789")
	if o, _ := parseFlags(nil); o.accessKey != "from-env-0123456789-0123456789-0123456789" {
		t.Errorf("env key not used")
	}
	if o, _ := parseFlags([]string{"--access-key", "from-flag-0123456789-0123456789-012345"}); o.accessKey != "from-flag-0123456789-0123456789-012345" {
		t.Errorf("flag must win over env")
	}
	if _, err := parseFlags([]string{"extra"}); err == nil {
		t.Error("extra arguments accepted")
	}
}

func TestRunRejectsShortKey(t *testing.T) {
	err := run([]string{"--access-key", "short", "--app-listen", "127.0.0.1:0", "--service-listen", "127.0.0.1:0", "--log-level", "error"})
	if err == nil {
		t.Fatal("short access key accepted")
	}
}
