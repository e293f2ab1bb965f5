package api

import (
	"io"
	"net"
	"sync"
	"time"
)

// A connection closed while the client is still sending (a request
// refused before it was read through: headers over MaxHeaderBytes, a body
// over its limit) has unread bytes, and a socket closed with unread bytes
// sends a reset, not an orderly end. A reset makes the client's kernel
// drop what it had received: the answer saying what was wrong is lost,
// and the phone sees "connection reset" instead of 431 or 413. So the
// server's connections close as web servers do (a "lingering close"):
// the sending half first, then the client's bytes are read and dropped
// until it closes its half, for at most lingerFor and lingerBytes.
const (
	lingerFor   = 2 * time.Second
	lingerBytes = 1 << 20
)

// LingerListener gives the TCP connections ln accepts a lingering close.
// Wrap the TCP listener itself, under any TLS.
func LingerListener(ln net.Listener) net.Listener { return lingerListener{ln} }

type lingerListener struct{ net.Listener }

func (l lingerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		return &lingerConn{TCPConn: tc}, nil
	}
	return c, err
}

type lingerConn struct {
	*net.TCPConn
	once sync.Once
}

// Close ends the sending half at once and the connection in the
// background, once the client has closed its half or lingerFor has passed.
func (c *lingerConn) Close() error {
	c.once.Do(func() {
		if c.CloseWrite() != nil {
			c.TCPConn.Close()
			return
		}
		go func() {
			c.SetReadDeadline(time.Now().Add(lingerFor))
			io.CopyN(io.Discard, c.TCPConn, lingerBytes)
			c.TCPConn.Close()
		}()
	})
	return nil
}
