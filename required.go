package cunjie

// CheckRequired refuses attributes (as they will be stored: after the
// merge of an update) that leave empty a field marked Must for kind: a
// 户厕改造 without its 户主 or type says nothing anyone can act on. It
// names each missing field as "attrs.<name>". A field only staff may set
// is asked of staff alone: a cleaner may record a household toilet the
// inspector then completes.
func CheckRequired(role Role, kind Kind, attrs map[string]any) error {
	fe := FieldErrors{}
	for _, s := range kindAttrs(kind) {
		if !s.Must || (StaffOnlyAttr(kind, s.Name) && !staffRole(role)) {
			continue
		}
		if v, ok := attrs[s.Name]; !ok || v == nil || v == "" {
			fe.Add("attrs."+s.Name, "required")
		}
	}
	return fe.Err()
}
