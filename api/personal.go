package api

import (
	"errors"

	"github.com/cunjie/cunjie"
)

// shown is feature f as u may see it: without the personal attributes of
// a role that does not see them (cunjie.VisibleAttrs), f itself when
// nothing is hidden. Every answer that carries features passes them
// through here; exports have their own, stricter rule (admins only).
func shown(u *cunjie.User, f *cunjie.Feature) *cunjie.Feature {
	if f == nil || cunjie.SeesPersonal(u.Role) {
		return f
	}
	attrs := cunjie.VisibleAttrs(u.Role, f.Attrs)
	if len(attrs) == len(f.Attrs) {
		return f
	}
	c := *f
	c.Attrs = attrs
	return &c
}

// shownAll is shown over a list; fs itself when nothing is hidden.
func shownAll(u *cunjie.User, fs []*cunjie.Feature) []*cunjie.Feature {
	if cunjie.SeesPersonal(u.Role) {
		return fs
	}
	var out []*cunjie.Feature
	for i, f := range fs {
		g := shown(u, f)
		if g != f && out == nil {
			out = make([]*cunjie.Feature, len(fs))
			copy(out, fs[:i])
		}
		if out != nil {
			out[i] = g
		}
	}
	if out == nil {
		return fs
	}
	return out
}

// shownErr is err with the server's copy of a feature it carries (a
// conflict's) as u may see it.
func shownErr(u *cunjie.User, err error) error {
	var e *cunjie.Error
	if !errors.As(err, &e) {
		return err
	}
	f, ok := e.Current.(*cunjie.Feature)
	if !ok || shown(u, f) == f {
		return err
	}
	c := *e
	c.Current = shown(u, f)
	return &c
}
