//go:build linux

package wsproxy

var relayerNames = []string{"eventloop", "goroutines"}

// Default is the platform's relayer: on Linux the event loop (the goroutine
// relay if epoll cannot be set up).
func Default() Relayer {
	if eventLoopAvailable() != nil {
		return Goroutines{}
	}
	return EventLoop{}
}

func platformRelayer(name string) Relayer {
	if name == "eventloop" {
		if eventLoopAvailable() != nil {
			return nil
		}
		return EventLoop{}
	}
	return nil
}
