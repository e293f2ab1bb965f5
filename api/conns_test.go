package api

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// closed reports whether the far end of a pipe sees its peer closed.
func closed(t *testing.T, far net.Conn) bool {
	t.Helper()
	far.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err := far.Read(make([]byte, 1))
	return err == io.EOF || err == io.ErrClosedPipe
}

func TestShutdownClosesOnlyQuietConnections(t *testing.T) {
	var cs conns
	pipe := func() (net.Conn, net.Conn) {
		a, b := net.Pipe()
		t.Cleanup(func() { a.Close(); b.Close() })
		cs.track(a, fasthttp.StateNew)
		return a, b
	}
	_, silentFar := pipe()
	answering, answeringFar := pipe()
	cs.begin(answering)
	done, doneFar := pipe()
	cs.begin(done)
	cs.track(done, fasthttp.StateIdle) // answered: quiet again

	cs.closeQuiet()
	if !closed(t, silentFar) {
		t.Error("a connection that sent nothing stays open")
	}
	if !closed(t, doneFar) {
		t.Error("a connection whose answer was sent stays open")
	}
	if closed(t, answeringFar) {
		t.Error("a connection answering a request was closed")
	}
	late, lateFar := net.Pipe()
	defer late.Close()
	cs.track(late, fasthttp.StateNew)
	if !closed(t, lateFar) {
		t.Error("a connection accepted during the stop stays open")
	}
}
