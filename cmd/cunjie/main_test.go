package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

const testAdminPassword = "admin-test-pw-1"

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testDir returns a short temporary directory: the embedded store's Unix
// socket path must stay under ~100 characters.
func testDir(t testing.TB) string {
	d, err := os.MkdirTemp("", "cj")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// MustRunMain boots the whole program on port 0 with a fresh embedded store
// and closes it when the test ends.
func MustRunMain(t testing.TB, env map[string]string, args ...string) *Main {
	t.Helper()
	return mustRunIn(t, testDir(t), env, args...)
}

func mustRunIn(t testing.TB, dir string, env map[string]string, args ...string) *Main {
	t.Helper()
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		switch k {
		case "CUNJIE_ADDR":
			return "127.0.0.1:0"
		case "CUNJIE_DATA_DIR":
			return dir
		case "CUNJIE_ADMIN_PASSWORD":
			return testAdminPassword
		case "CUNJIE_LOG_LEVEL":
			return "warn"
		}
		return ""
	}
	cfg, err := parseConfig("serve", args, getenv)
	if err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	m := NewMain(cfg, &out, io.Discard)
	if testing.Verbose() {
		m = NewMain(cfg, &out, os.Stderr)
	}
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m
}

// client talks JSON to a running server.
type client struct {
	t     testing.TB
	base  string
	token string
}

func newClient(t testing.TB, m *Main) *client { return &client{t: t, base: m.URL()} }

// response is an answer with its decoded JSON body.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *response) JSON(v any) {
	if err := json.Unmarshal(r.Body, v); err != nil {
		panic(fmt.Sprintf("decode %q: %v", r.Body, err))
	}
}

// Map decodes the body as a JSON object.
func (r *response) Map() map[string]any {
	var m map[string]any
	r.JSON(&m)
	return m
}

// ErrCode returns error.code of an error answer.
func (r *response) ErrCode() string {
	var b struct {
		Error struct{ Code string }
	}
	json.Unmarshal(r.Body, &b)
	return b.Error.Code
}

// ErrFields returns error.fields of an error answer.
func (r *response) ErrFields() map[string]string {
	var b struct {
		Error struct{ Fields map[string]string }
	}
	json.Unmarshal(r.Body, &b)
	return b.Error.Fields
}

func (c *client) do(method, path string, body any, headers ...string) *response {
	c.t.Helper()
	r, err := c.tryDo(method, path, body, headers...)
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// tryDo is do for goroutines and servers that may be gone: it returns the
// network error instead of failing the test.
func (c *client) tryDo(method, path string, body any, headers ...string) (*response, error) {
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
		ctype = "application/octet-stream"
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// must fails the test unless the answer has status want.
func (c *client) must(want int, method, path string, body any) *response {
	c.t.Helper()
	r := c.do(method, path, body)
	if r.Status != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	return r
}

// login returns a client logged in as username.
func login(t testing.TB, m *Main, username, password string) *client {
	t.Helper()
	c := newClient(t, m)
	r := c.must(200, "POST", "/api/v1/auth/login", map[string]string{"username": username, "password": password})
	var lr struct{ Token string }
	r.JSON(&lr)
	c.token = lr.Token
	return c
}

func adminClient(t testing.TB, m *Main) *client { return login(t, m, "admin", testAdminPassword) }

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
