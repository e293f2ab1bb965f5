package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSecurityHeadersEverywhere(t *testing.T) {
	m := MustRunMain(t, nil)
	c := adminClient(t, m)
	for _, path := range []string{"/", "/sw.js", "/api/v1/me", "/api/v1/nothing", "/healthz"} {
		r := c.do("GET", path, nil)
		h := r.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v", path, h)
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain HTTP", path)
		}
	}
	if cc := c.do("GET", "/sw.js", nil).Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("sw.js Cache-Control %q", cc)
	}
}

func TestTrustedProxyAddress(t *testing.T) {
	for _, trusted := range []bool{false, true} {
		var args []string
		if trusted {
			args = []string{"--trusted-proxies", "127.0.0.1,10.0.0.0/8"}
		}
		m, logs := runWithJSONLog(t, args...)
		newClient(t, m).do("GET", "/healthz", nil, "X-Forwarded-For", "203.0.113.7")
		m.Close()
		want := "127.0.0.1"
		if trusted {
			want = "203.0.113.7"
		}
		var seen string
		for _, line := range strings.Split(logs.String(), "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "request" {
				seen, _ = rec["ip"].(string)
			}
		}
		if seen != want {
			t.Errorf("trusted=%v: logged address %q, want %q", trusted, seen, want)
		}
	}
}

func TestDirectTLS(t *testing.T) {
	dir := testDir(t)
	cert, key := selfSigned(t, dir)
	m := MustRunMain(t, nil, "--tls-cert", cert, "--tls-key", key)
	if !strings.HasPrefix(m.URL(), "https://") {
		t.Fatalf("URL %s", m.URL())
	}
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := cl.Get(m.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Errorf("HTTPS: %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
	if _, err := parseConfig("serve", []string{"--tls-cert", cert}, func(string) string { return "" }); err == nil {
		t.Error("a certificate without a key was accepted")
	}
}

// selfSigned writes a certificate and key for 127.0.0.1 into dir.
func selfSigned(t *testing.T, dir string) (string, string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cunjie test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

func TestExportsAreAudited(t *testing.T) {
	tw := newTown(t)
	tw.insp.must(200, "GET", "/api/v1/export/features.csv?village="+tw.v1, nil)
	tw.admin.must(200, "GET", "/api/v1/export/features.geojson", nil)
	var log struct {
		Entries []struct{ User, Action, Detail string }
	}
	tw.admin.must(200, "GET", "/api/v1/audit/log", nil).JSON(&log)
	if len(log.Entries) != 2 {
		t.Fatalf("audit log: %+v", log.Entries)
	}
	newest, oldest := log.Entries[0], log.Entries[1]
	if newest.User != "admin" || !strings.Contains(newest.Detail, "with personal data") ||
		oldest.User != "insp" || oldest.Action != "export" || !strings.Contains(oldest.Detail, "features.csv") || strings.Contains(oldest.Detail, "personal") {
		t.Errorf("audit log entries: %+v", log.Entries)
	}
	if r := tw.insp.do("GET", "/api/v1/audit/log", nil); r.Status != 403 {
		t.Errorf("inspector reads the audit log: %d", r.Status)
	}
}
