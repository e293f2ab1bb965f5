package api

import (
	"net"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// conns tracks open connections and whether each is answering a request,
// so a shutdown can close the others at once. fasthttp (v1.51, the one
// Fiber v2 is built on) counts a connection that has not sent its first
// request as active, and waits for it until the read timeout: a browser's
// or a phone's connection opened ahead of need would hold every stop for
// 60 s. Closing a connection whose request was still arriving loses
// nothing stored: the client sees it drop and retries, and every write is
// idempotent.
type conns struct {
	mu      sync.Mutex
	busy    map[net.Conn]bool // open connections; true while answering
	closing bool
}

// track is fasthttp's ConnState hook.
func (cs *conns) track(c net.Conn, state fasthttp.ConnState) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	switch state {
	case fasthttp.StateNew:
		if cs.closing {
			c.Close()
			return
		}
		if cs.busy == nil {
			cs.busy = map[net.Conn]bool{}
		}
		cs.busy[c] = false
	case fasthttp.StateIdle: // the answer is sent
		cs.busy[c] = false
	case fasthttp.StateClosed, fasthttp.StateHijacked:
		delete(cs.busy, c)
	}
}

// answering is the first middleware: from here until its answer is sent,
// a shutdown waits for the connection.
func (cs *conns) answering(c *fiber.Ctx) error {
	cs.begin(c.Context().Conn())
	return c.Next()
}

func (cs *conns) begin(conn net.Conn) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if _, open := cs.busy[conn]; open {
		cs.busy[conn] = true
	}
}

// closeQuiet closes the connections not answering a request, and those
// accepted from now on.
func (cs *conns) closeQuiet() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.closing = true
	for c, busy := range cs.busy {
		if !busy {
			c.Close()
		}
	}
}

// Shutdown stops taking requests and waits up to timeout for the answers
// under way.
func (s *Server) Shutdown(timeout time.Duration) error {
	s.conns.closeQuiet()
	return s.app.ShutdownWithTimeout(timeout)
}
