package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"tollgate/gateway"
)

// subscription manages the subscriptions of a running gateway through its
// admin API (which writes them to its store: Redis when the replicas share
// one). Keys are made here and printed once; only their hashes are sent.
//
//	tollgate subscription create --scope /products/starter [--owner alice] [--name "Alice's app"] ID
//	tollgate subscription list
//	tollgate subscription regenerate [--key primary|secondary] ID
//	tollgate subscription suspend ID
//	tollgate subscription activate ID
func subscription(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: tollgate subscription create|list|regenerate|suspend|activate [flags] [ID] (see -h of each)")
		return 2
	}
	cmd := args[0]
	fs := flag.NewFlagSet("subscription "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	admin := fs.String("admin", envDefault("admin", "127.0.0.1:9090"), "the gateway's admin address (env TOLLGATE_ADMIN)")
	var scope, owner, name, which *string
	switch cmd {
	case "create":
		scope = fs.String("scope", "", "/apis, /apis/NAME or /products/NAME (required)")
		owner = fs.String("owner", "", "the owner's user id")
		name = fs.String("name", "", "display name")
	case "regenerate":
		which = fs.String("key", "primary", "primary or secondary")
	case "list", "suspend", "activate":
	default:
		fmt.Fprintf(stderr, "tollgate subscription: unknown command %q (create, list, regenerate, suspend, activate)\n", cmd)
		return 2
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	base := *admin
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	c := &adminClient{base: strings.TrimSuffix(base, "/")}
	id := fs.Arg(0)
	if (cmd == "list") != (id == "") || fs.NArg() > 1 {
		if cmd == "list" {
			fmt.Fprintln(stderr, "usage: tollgate subscription list")
		} else {
			fmt.Fprintf(stderr, "usage: tollgate subscription %s [flags] ID\n", cmd)
		}
		return 2
	}
	var err error
	switch cmd {
	case "list":
		err = c.list(stdout)
	case "create":
		if *scope == "" {
			fmt.Fprintln(stderr, "tollgate subscription create: --scope is required")
			return 2
		}
		primary, secondary := newKey(), newKey()
		body := map[string]any{"scope": *scope, "ownerId": *owner, "displayName": *name, "state": "active",
			"primaryKeySha256": gateway.HashKey(primary), "secondaryKeySha256": gateway.HashKey(secondary)}
		if err = c.send(http.MethodPut, id, body); err == nil {
			fmt.Fprintf(stdout, "subscription %s created; its keys are shown once, keep them safe:\nprimary   %s\nsecondary %s\n", id, primary, secondary)
		}
	case "regenerate":
		if *which != "primary" && *which != "secondary" {
			fmt.Fprintln(stderr, "tollgate subscription regenerate: --key is primary or secondary")
			return 2
		}
		key := newKey()
		if err = c.send(http.MethodPatch, id, map[string]any{*which + "KeySha256": gateway.HashKey(key)}); err == nil {
			fmt.Fprintf(stdout, "the %s key of %s is regenerated; the old one no longer works. New key (shown once):\n%s\n", *which, id, key)
		}
	case "suspend", "activate":
		state := map[string]string{"suspend": "suspended", "activate": "active"}[cmd]
		if err = c.send(http.MethodPatch, id, map[string]any{"state": state}); err == nil {
			fmt.Fprintf(stdout, "subscription %s is %s\n", id, state)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "tollgate subscription "+cmd+":", err)
		return 1
	}
	return 0
}

// newKey is a subscription key: 32 random bytes, URL-safe base64.
func newKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

type adminClient struct{ base string }

func (c *adminClient) do(method, path string, body any) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, nil, err
		}
		rd = bytes.NewReader(data)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("the admin API at %s does not answer: %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp, data, err
}

func (c *adminClient) send(method, id string, body any) error {
	resp, data, err := c.do(method, "/subscriptions/"+url.PathEscape(id), body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return errors.New(e.Error)
		}
		return fmt.Errorf("the admin API answered %s", resp.Status)
	}
	return nil
}

func (c *adminClient) list(w io.Writer) error {
	resp, data, err := c.do(http.MethodGet, "/subscriptions", nil)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the admin API answered %s", resp.Status)
	}
	var list []struct {
		ID, DisplayName, Scope, State, Source string
		Owner                                 string `json:"ownerId"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSCOPE\tSTATE\tOWNER\tNAME\tSOURCE")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Scope, s.State, s.Owner, s.DisplayName, s.Source)
	}
	return tw.Flush()
}
