package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// rest drives the REST scenario: each of -conns keep-alive HTTP/1.1
// connections sends a request (-method, with a -body byte body when > 0)
// and reads the whole response before sending the next. It reports
// requests/s (as Msgs/MsgsPerS), round-trip percentiles and the proxy's
// CPU. The client is a deliberately small HTTP/1.1 client (one net.Conn,
// one bufio.Reader, one write per request, no allocation per request) so
// that its own CPU takes little of the shared cores; it is the same client
// for every target.
func rest(c *config) Result {
	var e errs
	req := restRequest(c)
	type conn struct {
		nc net.Conn
		br *bufio.Reader
	}
	conns := make([]*conn, 0, c.conns)
	for i := range c.conns {
		d := net.Dialer{Timeout: 10 * time.Second}
		if ip := c.srcIP(i); ip != nil {
			d.LocalAddr = &net.TCPAddr{IP: ip}
		}
		nc, err := d.Dial("tcp", c.addr)
		if err != nil {
			e.add(err)
			continue
		}
		conns = append(conns, &conn{nc: nc, br: bufio.NewReaderSize(nc, 64<<10)})
	}
	// One warm-up request per connection: backend pools fill outside the
	// measurement window, as the WebSocket scenarios' handshakes are.
	for _, cn := range conns {
		if _, err := roundTrip(cn.nc, cn.br, req); err != nil {
			e.add(fmt.Errorf("warm-up: %w", err))
		}
	}
	perConn := c.max / int64(max(len(conns), 1))
	lat := make([][]int64, len(conns))
	var total, bytesIn atomic.Int64
	var start, wg sync.WaitGroup
	start.Add(1)
	cpu0 := cpuSeconds(c)
	deadline := time.Now().Add(c.duration)
	for i, cn := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			samples := make([]int64, 0, 1<<16)
			var got int64
			start.Wait()
			for n := int64(0); n < perConn; n++ {
				s := time.Now()
				if s.After(deadline) {
					break
				}
				m, err := roundTrip(cn.nc, cn.br, req)
				if err != nil {
					e.add(err)
					break
				}
				got += int64(m)
				samples = append(samples, int64(time.Since(s)))
			}
			total.Add(int64(len(samples)))
			bytesIn.Add(got)
			lat[i] = samples
		}()
	}
	t0 := time.Now()
	start.Done()
	wg.Wait()
	secs := time.Since(t0).Seconds()
	cpu := cpuSeconds(c) - cpu0
	for _, cn := range conns {
		cn.nc.Close()
	}
	var all []int64
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r := Result{Size: c.size, Seconds: secs, Msgs: total.Load(), CPUs: cpu}
	r.MsgsPerS = float64(r.Msgs) / secs
	r.MBPerS = float64(bytesIn.Load()) / secs / 1e6
	r.P50us, r.P99us = pct(all, 0.50), pct(all, 0.99)
	if len(conns) != c.conns {
		e.add(fmt.Errorf("only %d of %d connections opened", len(conns), c.conns))
	}
	e.fill(&r)
	return r
}

// restRequest builds the one request every round trip sends.
func restRequest(c *config) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n%s", c.method, c.path, c.addr, c.hdr)
	if c.body > 0 {
		fmt.Fprintf(&b, "Content-Type: application/octet-stream\r\nContent-Length: %d\r\n", c.body)
	}
	b.WriteString("\r\n")
	b.Write(bytes.Repeat([]byte{'x'}, c.body))
	return b.Bytes()
}

var errStatus = errors.New("status not 200")

// roundTrip writes req and reads one response: status line, headers, and a
// Content-Length or chunked body. It returns the body size.
func roundTrip(nc net.Conn, br *bufio.Reader, req []byte) (int, error) {
	if _, err := nc.Write(req); err != nil {
		return 0, err
	}
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || string(line[9:12]) != "200" {
		return 0, fmt.Errorf("%w: %q", errStatus, bytes.TrimSpace(line))
	}
	length, chunked := -1, false
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(h) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(h, []byte{':'}); ok {
			v = bytes.TrimSpace(v)
			switch {
			case bytes.EqualFold(k, []byte("Content-Length")):
				length, _ = strconv.Atoi(string(v))
			case bytes.EqualFold(k, []byte("Transfer-Encoding")) && bytes.EqualFold(v, []byte("chunked")):
				chunked = true
			}
		}
	}
	if !chunked {
		if length < 0 {
			return 0, errors.New("response without Content-Length or chunked body")
		}
		_, err := br.Discard(length)
		return length, err
	}
	n := 0
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return n, err
		}
		size, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.SplitN(h, []byte{';'}, 2)[0])), 16, 64)
		if err != nil {
			return n, fmt.Errorf("chunk size: %w", err)
		}
		if size == 0 {
			for { // trailers
				t, err := br.ReadSlice('\n')
				if err != nil {
					return n, err
				}
				if len(t) <= 2 {
					return n, nil
				}
			}
		}
		if _, err := br.Discard(int(size)); err != nil {
			return n, err
		}
		if _, err := io.ReadFull(br, make([]byte, 2)); err != nil {
			return n, err
		}
		n += int(size)
	}
}
