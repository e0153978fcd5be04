package upstream_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"

	"tollgate/gateway/upstream"
)

// BenchmarkRoundTrip is one keep-alive GET and its 3-byte body against a
// raw backend, with upstream and with net/http's Transport: the client's
// own cost, without a proxy around it.
func BenchmarkRoundTrip(b *testing.B) {
	for _, tc := range []struct {
		name string
		rt   func() interface {
			http.RoundTripper
			CloseIdleConnections()
		}
	}{
		{"upstream", func() interface {
			http.RoundTripper
			CloseIdleConnections()
		} {
			return &upstream.Transport{MaxIdleConnsPerHost: 64}
		}},
		{"nethttp", func() interface {
			http.RoundTripper
			CloseIdleConnections()
		} {
			return &http.Transport{MaxIdleConnsPerHost: 64}
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					go func() {
						defer c.Close()
						br := bufio.NewReader(c)
						for {
							for {
								line, err := br.ReadSlice('\n')
								if err != nil {
									return
								}
								if len(line) <= 2 {
									break
								}
							}
							if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n"); err != nil {
								return
							}
						}
					}()
				}
			}()
			rt := tc.rt()
			defer rt.CloseIdleConnections()
			url := "http://" + ln.Addr().String() + "/x"
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				buf := make([]byte, 64)
				for pb.Next() {
					req, _ := http.NewRequest("GET", url, nil)
					resp, err := rt.RoundTrip(req)
					if err != nil {
						b.Error(err)
						return
					}
					for {
						if _, err := resp.Body.Read(buf); err != nil {
							break
						}
					}
					resp.Body.Close()
				}
			})
		})
	}
}
