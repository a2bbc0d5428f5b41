package suggest

import (
	"strings"
	"testing"
)

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"resolvers", "resolver", 1},
		{"quarantine", "quarantine", 0}, {"reject", "rejcet", 2},
		{strings.Repeat("a", 65), "a", 1 << 20},
	} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestNearest(t *testing.T) {
	flags := []string{"selector", "fail-on", "file", "checks", "skip", "shard"}
	if got := Nearest("selectr", flags, 3); strings.Join(got, ",") != "selector" {
		t.Errorf("Nearest(selectr) = %v", got)
	}
	if got := Nearest("fil", flags, 3); strings.Join(got, ",") != "file,fail-on" && strings.Join(got, ",") != "file" {
		t.Errorf("Nearest(fil) = %v", got)
	}
	if got := Nearest("zzzzzzzz", flags, 3); len(got) != 0 {
		t.Errorf("Nearest(zzzzzzzz) = %v", got)
	}
}
