package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/cunjie/cunjie"
)

const generated = "../../pwa/src/domain.gen.js"

// TestDomainModuleFresh fails when the web app's copy of the domain table
// is not what the Go table makes: someone changed a kind or a label and
// did not run `go generate ./pwa`.
func TestDomainModuleFresh(t *testing.T) {
	want, err := module()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(generated)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run `go generate ./pwa`", generated)
	}
}

// TestI18nLeavesDomainWordsToTheTable: the app's own word table must not
// write a word of the domain again (it would be overwritten by the table's,
// and two places would drift apart).
func TestI18nLeavesDomainWordsToTheTable(t *testing.T) {
	src, err := os.ReadFile("../../pwa/src/i18n.js")
	if err != nil {
		t.Fatal(err)
	}
	for key := range cunjie.Labels() {
		if bytes.Contains(src, []byte("'"+key+"':")) {
			t.Errorf("pwa/src/i18n.js writes %s, which labels.go names", key)
		}
	}
}
