package txtrec

import "testing"

func TestLooksVersioned(t *testing.T) {
	for txt, want := range map[string]bool{
		"v=STSv1; id=1": true, " V = stsv1;": true, "v=spf1 -all": false, "": false, "v=\tsts": true,
	} {
		if got := LooksVersioned(txt, "sts"); got != want {
			t.Errorf("LooksVersioned(%q) = %v", txt, got)
		}
	}
}

func TestExtGrammar(t *testing.T) {
	for s, want := range map[string]bool{"ext": true, "a_b-c.d": true, "_x": false, "": false, "x y": false, "x234567890123456789012345678901234": false} {
		if ValidExtName(s) != want {
			t.Errorf("ValidExtName(%q) != %v", s, want)
		}
	}
	for s, want := range map[string]bool{"value": true, "a=b": false, "a;b": false, "": false, "caf\xc3\xa9": false} {
		if ValidExtValue(s) != want {
			t.Errorf("ValidExtValue(%q) != %v", s, want)
		}
	}
	if Abbreviate("abcdefgh", 6) != "abc..." || Abbreviate("abc", 6) != "abc" {
		t.Error("Abbreviate")
	}
}
