package main

import "github.com/cunjie/cunjie"

// withRequired returns attrs with a value for every field kind cannot do
// without (cunjie.CheckRequired) that attrs leaves out, for tests that
// create records about something else.
func withRequired(kind string, attrs map[string]any) map[string]any {
	out := map[string]any{}
	for _, s := range cunjie.AttrSpecs(cunjie.Kind(kind)) {
		if !s.Must {
			continue
		}
		switch {
		case len(s.Enum) > 0:
			out[s.Name] = s.Enum[0]
		case s.Type == cunjie.AttrString:
			out[s.Name] = "测试户"
		default:
			out[s.Name] = 10.0
		}
	}
	for k, v := range attrs {
		out[k] = v
	}
	return out
}

// createWithRequired fills the required fields of a create body (one
// without baseVersion) whose attrs leave them out; for a cleaner (staff
// false) not those only staff may set, which a cleaner may not send.
func createWithRequired(body map[string]any, staff bool) map[string]any {
	kind, _ := body["kind"].(string)
	if kind == "" || body["baseVersion"] != nil {
		return body
	}
	attrs, _ := body["attrs"].(map[string]any)
	filled := withRequired(kind, attrs)
	for _, s := range cunjie.AttrSpecs(cunjie.Kind(kind)) {
		if _, sent := attrs[s.Name]; s.StaffOnly && !staff && !sent {
			delete(filled, s.Name)
		}
	}
	body["attrs"] = filled
	return body
}
