package main

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func TestLogin(t *testing.T) {
	m := MustRunMain(t, nil)
	c := newClient(t, m)
	cases := []struct {
		name     string
		body     any
		status   int
		errCode  string
		errField string
	}{
		{"ok", map[string]string{"username": "admin", "password": testAdminPassword}, 200, "", ""},
		{"wrong password", map[string]string{"username": "admin", "password": "nope-nope"}, 401, "unauthorized", ""},
		{"unknown user", map[string]string{"username": "ghost", "password": testAdminPassword}, 401, "unauthorized", ""},
		{"not json", "{", 400, "invalid", "body"},
		{"unknown field", map[string]string{"user": "admin"}, 400, "invalid", "user"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do("POST", "/api/v1/auth/login", tc.body)
			if r.Status != tc.status || r.ErrCode() != tc.errCode {
				t.Fatalf("status %d code %q, want %d %q: %s", r.Status, r.ErrCode(), tc.status, tc.errCode, r.Body)
			}
			if tc.errField != "" {
				if _, ok := r.ErrFields()[tc.errField]; !ok {
					t.Errorf("fields %v lack %q", r.ErrFields(), tc.errField)
				}
			}
			if tc.status == 200 {
				var lr struct {
					Token string
					User  struct{ Username, Role string }
				}
				r.JSON(&lr)
				if len(lr.Token) < 40 || lr.User.Username != "admin" || lr.User.Role != "admin" {
					t.Errorf("login answer %s", r.Body)
				}
			}
		})
	}
}

func TestEveryRouteButLoginNeedsToken(t *testing.T) {
	m := MustRunMain(t, nil)
	c := newClient(t, m)
	for _, r := range m.Server.App().GetRoutes(true) {
		if len(r.Path) < 8 || r.Path[:8] != "/api/v1/" || r.Method == "HEAD" {
			continue
		}
		if r.Path == "/api/v1/auth/login" {
			continue
		}
		resp := c.do(r.Method, r.Path, nil)
		if resp.Status != 401 || resp.ErrCode() != "unauthorized" {
			t.Errorf("%s %s without token: %d %s", r.Method, r.Path, resp.Status, resp.Body)
		}
	}
	c.token = "made-up-token"
	if r := c.do("GET", "/api/v1/me", nil); r.Status != 401 {
		t.Errorf("made-up token: %d", r.Status)
	}
}

func TestSessionLifecycle(t *testing.T) {
	m := MustRunMain(t, nil)
	admin := adminClient(t, m)
	admin.must(201, "POST", "/api/v1/users", map[string]any{"username": "li.si", "password": "li-si-password", "name": "李四", "role": "inspector"})
	li := login(t, m, "li.si", "li-si-password")
	me := li.must(200, "GET", "/api/v1/me", nil).Map()
	if me["username"] != "li.si" || me["role"] != "inspector" {
		t.Fatalf("me: %v", me)
	}

	t.Run("logout revokes", func(t *testing.T) {
		c := login(t, m, "li.si", "li-si-password")
		c.must(204, "POST", "/api/v1/auth/logout", nil)
		if r := c.do("GET", "/api/v1/me", nil); r.Status != 401 {
			t.Fatalf("after logout: %d", r.Status)
		}
		li.must(200, "GET", "/api/v1/me", nil) // other sessions live on
	})

	t.Run("expired", func(t *testing.T) {
		c := login(t, m, "li.si", "li-si-password")
		if err := m.Store.SetSessionExpiry(context.Background(), c.token, time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if r := c.do("GET", "/api/v1/me", nil); r.Status != 401 {
			t.Fatalf("expired token: %d", r.Status)
		}
	})

	t.Run("disabled user", func(t *testing.T) {
		id := me["id"].(string)
		admin.must(200, "PATCH", "/api/v1/users/"+id, map[string]any{"disabled": true})
		if r := li.do("GET", "/api/v1/me", nil); r.Status != 401 {
			t.Fatalf("disabled user's token: %d", r.Status)
		}
		if r := newClient(t, m).do("POST", "/api/v1/auth/login", map[string]string{"username": "li.si", "password": "li-si-password"}); r.Status != 401 {
			t.Fatalf("disabled user's login: %d", r.Status)
		}
		admin.must(200, "PATCH", "/api/v1/users/"+id, map[string]any{"disabled": false})
		login(t, m, "li.si", "li-si-password")
	})
}

func TestLoginRateLimit(t *testing.T) {
	m := MustRunMain(t, nil)
	c := newClient(t, m)
	bad := map[string]string{"username": "admin", "password": "wrong-password"}
	for i := 0; i < 5; i++ {
		if r := c.do("POST", "/api/v1/auth/login", bad); r.Status != 401 {
			t.Fatalf("failure %d: %d", i, r.Status)
		}
	}
	r := c.do("POST", "/api/v1/auth/login", bad)
	if r.Status != http.StatusTooManyRequests || r.ErrCode() != "rate_limited" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("6th failure: %d %s (Retry-After %q)", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	// Even the right password waits now: the lockout is per username.
	if r := c.do("POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": testAdminPassword}); r.Status != 429 {
		t.Fatalf("right password during lockout: %d", r.Status)
	}
}

func TestUsersAdminOnly(t *testing.T) {
	m := MustRunMain(t, nil)
	admin := adminClient(t, m)
	admin.must(201, "POST", "/api/v1/users", map[string]any{"username": "wang", "password": "wang-password", "role": "inspector"})
	w := login(t, m, "wang", "wang-password")
	if r := w.do("GET", "/api/v1/users", nil); r.Status != 403 || r.ErrCode() != "forbidden" {
		t.Fatalf("inspector lists users: %d %s", r.Status, r.Body)
	}
	bad := []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"username": "x", "password": "long-enough", "role": "inspector"}, "username"},
		{map[string]any{"username": "zhao", "password": "short", "role": "inspector"}, "password"},
		{map[string]any{"username": "zhao", "password": "long-enough", "role": "boss"}, "role"},
		{map[string]any{"username": "zhao", "password": "long-enough", "role": "cleaner"}, "villages"},
		{map[string]any{"username": "zhao", "password": "long-enough", "role": "cleaner", "villages": []string{"999999999999"}}, "villages"},
	}
	for _, b := range bad {
		r := admin.do("POST", "/api/v1/users", b.body)
		if r.Status != 400 || r.ErrFields()[b.field] == "" {
			t.Errorf("%v: %d %s, want 400 naming %s", b.body, r.Status, r.Body, b.field)
		}
	}
	if r := admin.do("POST", "/api/v1/users", map[string]any{"username": "wang", "password": "wang-password", "role": "inspector"}); r.Status != 409 {
		t.Errorf("duplicate username: %d", r.Status)
	}
	list := admin.must(200, "GET", "/api/v1/users", nil).Map()["users"].([]any)
	if len(list) != 2 {
		t.Errorf("users: %v", list)
	}
	for _, u := range list {
		if _, leaked := u.(map[string]any)["passwordHash"]; leaked {
			t.Error("password hash in user list")
		}
	}
}
