package dkimkey

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseTagList(t *testing.T) {
	tests := []struct {
		in   string
		want string // name=value pairs joined by "|"
	}{
		{"v=DKIM1; k=rsa; p=abc", "v=DKIM1|k=rsa|p=abc"},
		{"v=DKIM1;k=rsa;p=abc;", "v=DKIM1|k=rsa|p=abc"},
		{"  v = DKIM1 ;  p =  ab c  ;  ", "v=DKIM1|p=ab c"},
		{"a=", "a="},
		{"a=;b=", "a=|b="},
		{"a=1;\r\n\tb=2", "a=1|b=2"},
		{"a=x\r\n y", "a=x\r\n y"},
		{"a=x\n\ty", "a=x\n\ty"},
		{"A_1=x", "A_1=x"},
		{"n=caf\u00e9", "n=caf\u00e9"},
		{"a=b=c", "a=b=c"},
		{"\tx=\t1\t", "x=1"},
	}
	for _, tt := range tests {
		l, err := ParseTagList(tt.in)
		if err != nil {
			t.Errorf("ParseTagList(%q): %v", tt.in, err)
			continue
		}
		var got []string
		for _, tag := range l {
			got = append(got, tag.Name+"="+tag.Value)
			if tt.in[tag.ValueStart:tag.ValueEnd] != tag.Value || !strings.HasPrefix(tt.in[tag.Offset:], tag.Name) {
				t.Errorf("ParseTagList(%q): offsets of %q are wrong", tt.in, tag.Name)
			}
		}
		if g := strings.Join(got, "|"); g != tt.want {
			t.Errorf("ParseTagList(%q) = %q, want %q", tt.in, g, tt.want)
		}
	}
}

func TestParseTagListErrors(t *testing.T) {
	tests := []struct {
		in, tag string
		off     int
		msg     string
	}{
		{"", "", 0, "empty"},
		{"   ", "", 3, "empty"},
		{";", "", 0, "starts with"},
		{"a=1;;b=2", "", 4, "empty tag-spec"},
		{"a=1; a=2", "a", 5, "twice (first at offset 0)"},
		{"1a=x", "", 0, "must start with a letter"},
		{"=x", "", 0, "no name"},
		{"a", "a", 0, "no \"=\""},
		{"a;b=1", "a", 0, "no \"=\""},
		{"a-b=1", "a", 1, "only letters"},
		{"a b=1", "a", 2, "expected \"=\""},
		{"a=1\x00", "a", 3, "control character"},
		{"a=1\r\nb=2", "a", 3, "not followed by a space"},
		{"a=1;\r\n", "", 4, "not followed by a space"},
		{"a=1\rb", "a", 3, "carriage return"},
		{"a=\xff", "a", 2, "invalid UTF-8"},
	}
	for _, tt := range tests {
		_, err := ParseTagList(tt.in)
		var se *SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseTagList(%q): err = %v, want a *SyntaxError", tt.in, err)
			continue
		}
		if se.Tag != tt.tag || se.Offset != tt.off || !strings.Contains(se.Msg, tt.msg) {
			t.Errorf("ParseTagList(%q): got tag %q offset %d %q; want tag %q offset %d containing %q", tt.in, se.Tag, se.Offset, se.Msg, tt.tag, tt.off, tt.msg)
		}
		if !strings.HasPrefix(err.Error(), "dkimkey: tag-list: ") {
			t.Errorf("error %q lacks the package prefix", err)
		}
	}
}

func TestTagListAccessors(t *testing.T) {
	l, err := ParseTagList("v=DKIM1; k=ed25519; p=x")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := l.Get("k"); !ok || v != "ed25519" {
		t.Errorf("Get(k) = %q, %v", v, ok)
	}
	if _, ok := l.Get("K"); ok {
		t.Error("tag names are case-sensitive")
	}
	if !reflect.DeepEqual(l.Names(), []string{"v", "k", "p"}) {
		t.Errorf("Names() = %v", l.Names())
	}
	if l.String() != "v=DKIM1; k=ed25519; p=x" {
		t.Errorf("String() = %q", l.String())
	}
	if RemoveFWS(" a\r\n\tb c ") != "abc" {
		t.Error("RemoveFWS")
	}
}

func TestParseTagListLongDuplicate(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 40; i++ {
		b.WriteString("t" + strings.Repeat("x", i) + "=1;")
	}
	if l, err := ParseTagList(b.String()); err != nil || len(l) != 40 {
		t.Fatalf("40 distinct tags: %v", err)
	}
	for _, dup := range []string{"t=2", "txxx=2", strings.Repeat("x", 39) + "=2"} {
		s := b.String() + "t" + dup
		if dup[0] == 't' {
			s = b.String() + dup
		}
		_, err := ParseTagList(s)
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(se.Msg, "twice") {
			t.Errorf("duplicate %q after 40 tags: %v", dup, err)
		}
	}
}
