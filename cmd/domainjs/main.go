// Command domainjs writes the web app's copy of the domain table,
// pwa/src/domain.gen.js: every kind's schema (GET /kinds' answer) and the
// Chinese and English labels of kinds, attributes, values and event types,
// from the Go table at the repo root (kinds.go, rules.go, labels.go). The
// app is bundled with it, so it has them offline from the first start.
// Run by `go generate ./pwa`; TestDomainModuleFresh fails when the file
// is stale.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log"
	"os"

	"github.com/cunjie/cunjie"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: domainjs OUTPUT.js")
	}
	b, err := module()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(os.Args[1], b, 0o644); err != nil {
		log.Fatal(err)
	}
}

// module is the text of domain.gen.js: one exported constant per part,
// as indented JSON so that a change of the table reads as a small diff.
func module() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("// Made by `go generate ./pwa` (cmd/domainjs) from the domain table at the\n" +
		"// repo root (kinds.go, rules.go, labels.go). Do not edit: change the Go\n" +
		"// table and generate again.\n")
	parts := []struct {
		name, comment string
		value         any
	}{
		{"KINDS", "What each kind records, in kind order, as GET /api/v1/kinds serves it.", cunjie.Schema()},
		{"STATUS_EVENTS", "Events that exist to set a status or stage, so the form asks for one.", cunjie.StatusEventTypes()},
		{"RESTORING_EVENTS", "Events that, without a status, set it to \"ok\".", cunjie.RestoringEventTypes()},
		{"LABELS", "The words for kinds, attributes, values and event types: key → {zh, en}.", cunjie.Labels()},
	}
	for _, p := range parts {
		var j bytes.Buffer
		enc := json.NewEncoder(&j)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(p.value); err != nil {
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
		fmt.Fprintf(&b, "\n// %s\nexport const %s = %s;\n", p.comment, p.name, bytes.TrimSpace(j.Bytes()))
	}
	return b.Bytes(), nil
}
