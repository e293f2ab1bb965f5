package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as the real program in a child process
// (for signal and crash tests) without a separate build step.
func TestMain(m *testing.M) {
	if os.Getenv("CUNJIE_TEST_AS_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func TestErrorsAreJSON(t *testing.T) {
	m := MustRunMain(t, nil)
	admin := adminClient(t, m)
	cases := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"unknown api route", "GET", "/api/v1/nothing-here", nil, 404, "not_found"},
		{"unknown api route, no token", "GET", "/api/v2/x", nil, 404, "not_found"},
		{"body over the JSON limit", "POST", "/api/v1/users", strings.Repeat(" ", 2<<20) + "{}", 413, "too_large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := admin.do(tc.method, tc.path, tc.body)
			if r.Status != tc.status || r.ErrCode() != tc.code {
				t.Fatalf("%d %.200s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
			if r.Map()["error"].(map[string]any)["requestId"] == "" {
				t.Error("no request id in the error")
			}
		})
	}
	// A body over the global limit is refused from its Content-Length,
	// before it is sent (a client still writing would see a reset).
	conn, err := net.Dial("tcp", strings.TrimPrefix(m.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/villages/import HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n", admin.token, 40<<20)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 413 || !strings.Contains(string(b), `"too_large"`) {
		t.Errorf("40 MB body: %d %s", resp.StatusCode, b)
	}
	health := newClient(t, m)
	health.must(200, "GET", "/healthz", nil)
	waitReady(t, health)
}

func TestOpenAPIListsEveryRoute(t *testing.T) {
	m := MustRunMain(t, nil)
	doc := adminClient(t, m).must(200, "GET", "/api/v1/openapi.json", nil).Map()
	if doc["openapi"] != "3.0.3" {
		t.Fatalf("openapi version %v", doc["openapi"])
	}
	paths := doc["paths"].(map[string]any)
	param := regexp.MustCompile(`:([A-Za-z_]+)`)
	n := 0
	for _, r := range m.Server.App().GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == "HEAD" {
			continue
		}
		p := param.ReplaceAllString(r.Path, "{$1}")
		item, ok := paths[p].(map[string]any)
		if !ok || item[strings.ToLower(r.Method)] == nil {
			t.Errorf("%s %s is served but not in openapi.json", r.Method, p)
		}
		n++
	}
	if n < 10 {
		t.Fatalf("only %d routes seen", n)
	}
}

func TestConfigValidation(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--addr", "nonsense"}, nil, "--addr"},
		{[]string{"--addr", ":99999"}, nil, "port"},
		{nil, map[string]string{"MONGODB_URI": "http://x"}, "MONGODB_URI"},
		{[]string{"--db", "bad name"}, nil, "--db"},
		{nil, map[string]string{"CUNJIE_ADMIN_PASSWORD": "short"}, "CUNJIE_ADMIN_PASSWORD"},
		{[]string{"--log-format", "xml"}, nil, "log-format"},
		{[]string{"--data-dir", ""}, nil, "data-dir"},
		{[]string{"--snapshot-every", "10"}, nil, "snapshot-every"},
		{nil, map[string]string{"CUNJIE_SNAPSHOT_EVERY": "1ms"}, "CUNJIE_SNAPSHOT_EVERY"},
	}
	for _, tc := range cases {
		env := func(k string) string { return tc.env[k] }
		_, err := parseConfig("serve", tc.args, env)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: error %v, want one naming %s", tc.args, tc.env, err, tc.want)
		}
	}
	c, err := parseConfig("serve", nil, func(k string) string {
		return map[string]string{"MONGODB_URI": "mongodb://u:secret@h/", "CUNJIE_ADMIN_PASSWORD": "topsecret1"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := c.String(); strings.Contains(s, "secret") {
		t.Errorf("config string shows a secret: %s", s)
	}
}

// startChild runs the program as a child process on dir and returns it once
// it prints its URL.
func startChild(t testing.TB, dir string, extraEnv ...string) (*exec.Cmd, string, *bufio.Reader) {
	t.Helper()
	return spawn(t, os.Stderr, append([]string{"CUNJIE_DATA_DIR=" + dir}, extraEnv...)...)
}

// spawn runs the program as a child process serving with env, its stderr
// to stderr, and returns it once it prints its URL.
func spawn(t testing.TB, stderr io.Writer, env ...string) (*exec.Cmd, string, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = append(os.Environ(), "CUNJIE_TEST_AS_MAIN=1", "CUNJIE_ADDR=127.0.0.1:0",
		"CUNJIE_ADMIN_PASSWORD="+testAdminPassword, "CUNJIE_LOG_LEVEL=warn")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	rd := bufio.NewReader(out)
	urlRe := regexp.MustCompile(`serving at (http://\S+)`)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		line, err := rd.ReadString('\n')
		if m := urlRe.FindStringSubmatch(line); m != nil {
			go io.Copy(io.Discard, rd)
			return cmd, m[1], rd
		}
		if err != nil {
			t.Fatalf("child ended before serving: %v", err)
		}
	}
	t.Fatal("child did not start")
	return nil, "", nil
}

func TestShutdownOnSignalIsQuick(t *testing.T) {
	dir := testDir(t)
	cmd, url, _ := startChild(t, dir)
	c := &client{t: t, base: url}
	waitReady(t, c)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		start := time.Now()
		cmd.Process.Signal(sig)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%v: exit %v", sig, err)
			}
			t.Logf("%v: stopped in %v", sig, time.Since(start))
		case <-time.After(5 * time.Second):
			t.Fatalf("%v: still running after 5 s", sig)
		}
		if sig == syscall.SIGTERM {
			cmd, url, _ = startChild(t, dir)
			c.base = url
			waitReady(t, c)
		}
	}
}

// A connection that never sent a request, or sent part of one, does not
// hold a stop: fasthttp would wait for it until its read timeout, and
// browsers open connections ahead of need.
func TestCloseWithQuietConnections(t *testing.T) {
	m := MustRunMain(t, nil)
	adminClient(t, m)
	var quiet []net.Conn
	for _, sent := range []string{"", "GET /healthz HTTP/1.1\r\nHost: x\r\n"} {
		conn, err := net.Dial("tcp", m.ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.Write([]byte(sent))
		quiet = append(quiet, conn)
	}
	time.Sleep(100 * time.Millisecond) // both accepted
	if err := m.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	for i, conn := range quiet {
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := conn.Read(make([]byte, 512)); err != io.EOF {
			t.Errorf("connection %d: read %d bytes, %v; want it closed", i, n, err)
		}
	}
}

func TestKill9KeepsAcknowledgedWrites(t *testing.T) {
	dir := testDir(t)
	cmd, url, _ := startChild(t, dir)
	admin := &client{t: t, base: url}
	*admin = *loginURL(t, url, "admin", testAdminPassword)
	var acked []string
	for i := 0; i < 30; i++ {
		name := fmt.Sprintf("user%02d", i)
		admin.must(201, "POST", "/api/v1/users", map[string]any{"username": name, "password": "password-" + name, "role": "inspector"})
		acked = append(acked, name)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	_, url, _ = startChild(t, dir)
	admin = loginURL(t, url, "admin", testAdminPassword)
	body := string(admin.must(200, "GET", "/api/v1/users", nil).Body)
	for _, name := range acked {
		if !strings.Contains(body, `"`+name+`"`) {
			t.Errorf("acknowledged user %s lost after kill -9", name)
		}
	}
	loginURL(t, url, "user29", "password-user29")
}

func loginURL(t testing.TB, url, username, password string) *client {
	c := &client{t: t, base: url}
	var lr struct{ Token string }
	c.must(200, "POST", "/api/v1/auth/login", map[string]string{"username": username, "password": password}).JSON(&lr)
	c.token = lr.Token
	return c
}

// waitReady waits until /readyz answers 200 (the indexes are warm).
func waitReady(t testing.TB, c *client) {
	t.Helper()
	waitFor(t, 60*time.Second, "readyz", func() bool { return c.do("GET", "/readyz", nil).Status == 200 })
}
