package main

import (
	"net/url"
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://cordbank:s3cret@db.example:5432/cordbank", "postgres://cordbank:xxxxx@db.example:5432/cordbank"},
		{"postgres://cordbank:p@ss@db/x?sslmode=verify-full", "postgres://cordbank:xxxxx@db/x?sslmode=verify-full"},
		{"postgresql://cordbank@db/x", "postgresql://cordbank@db/x"},
		{"postgres:///x?host=/run/postgresql", "postgres:///x?host=/run/postgresql"},
		{"cordbank.db", "cordbank.db"},
	} {
		if got := redactURL(c.in); got != c.want {
			t.Errorf("redactURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := dbLabel("sqlite:/var/lib/cordbank.db"); got != "/var/lib/cordbank.db" {
		t.Errorf("dbLabel of a sqlite: URL = %q", got)
	}
}

// FuzzRedactURL: whatever --db holds, the label never shows the
// password of a URL that has one.
func FuzzRedactURL(f *testing.F) {
	for _, s := range []string{"postgres://u:pw@h:5432/d", "postgres://u:p@w@h/d?x=1", "postgresql://u@h/d", "postgres://:pw@/d", "a.db"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := redactURL(s)
		u, err := url.Parse(s)
		if err != nil || u.User == nil {
			return
		}
		pw, ok := u.User.Password()
		if ok && len(pw) >= 4 && strings.Contains(got, ":"+pw+"@") {
			t.Errorf("redactURL(%q) = %q shows the password %q", s, got, pw)
		}
	})
}
