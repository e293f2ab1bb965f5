package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/cunjie/cunjie"
)

// decodeStrict decodes one JSON value, refusing unknown fields so a typo in
// a field name is an error rather than silently ignored data.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return cunjie.Invalid("body", "trailing data after the JSON value")
	}
	return nil
}

// jsonError names the field a decoding error is about.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := jsonFieldPath(te.Field)
		if field == "" {
			field = "body"
		}
		return cunjie.Invalid(field, "must be %s, not %s", jsonTypeName(te.Type.Kind().String()), te.Value)
	case errors.As(err, &se):
		return cunjie.Invalid("body", "not valid JSON at byte %d", se.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return cunjie.Invalid(f, "unknown field")
	}
	return cunjie.Invalid("body", "%s", strings.TrimPrefix(fmt.Sprint(err), "json: "))
}

func jsonTypeName(kind string) string {
	switch kind {
	case "float64", "float32", "int", "int64", "int32":
		return "a number"
	case "struct", "map":
		return "an object"
	case "slice":
		return "an array"
	}
	return "a " + kind
}

// jsonFieldPath drops from a decoding error's field path the names of
// embedded Go structs (DeviceReport.pendingOps is pendingOps on the wire):
// the API's JSON names all begin with a lower-case letter.
func jsonFieldPath(path string) string {
	parts := strings.Split(path, ".")
	kept := parts[:0]
	for _, p := range parts {
		if p == "" || p[0] < 'A' || p[0] > 'Z' {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, ".")
}
