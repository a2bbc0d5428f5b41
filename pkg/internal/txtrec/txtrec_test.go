package txtrec

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/finding"
)

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

func TestProblemJSON(t *testing.T) {
	spec := &finding.Spec{Code: "x.bad"}
	for _, tt := range []struct {
		p    Problem
		want string
	}{
		{Problem{Spec: spec, Message: `l="https://a.example/?a=1&b=<2>"`}, `{"code":"x.bad","message":"l=\"https://a.example/?a=1&b=<2>\""}`},
		{Problem{Spec: spec, Line: 3, Message: "m"}, `{"code":"x.bad","line":3,"message":"m"}`},
		{Problem{Spec: spec, Message: "m", URI: "mailto:a@b.example"}, `{"code":"x.bad","message":"m","uri":"mailto:a@b.example"}`},
		{Problem{Message: "m"}, `{"code":"","message":"m"}`},
	} {
		// An encoder that does not escape HTML writes the text as is.
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(tt.p); err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSuffix(b.String(), "\n"); got != tt.want {
			t.Errorf("json = %s, want %s", got, tt.want)
		}
		// json.Marshal escapes it, as it does for any struct.
		got, err := json.Marshal(tt.p)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(json.RawMessage(tt.want))
		if !bytes.Equal(got, want) {
			t.Errorf("json.Marshal = %s, want %s", got, want)
		}
		var back Problem
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatal(err)
		}
		if back.Code() != tt.p.Code() || back.Line != tt.p.Line || back.Message != tt.p.Message || back.URI != tt.p.URI {
			t.Errorf("decoded %+v, want %+v", back, tt.p)
		}
	}
}

func TestSyntaxError(t *testing.T) {
	p := func(line int, msg string) Problem { return Problem{Line: line, Message: msg} }
	for _, tt := range []struct {
		e    SyntaxError
		want string
	}{
		{SyntaxError{Package: "bimi", Problems: []Problem{p(0, "no l=")}}, "bimi: invalid record: no l="},
		{SyntaxError{Package: "mta-sts", What: "policy", Problems: []Problem{p(2, "bad mode"), p(0, "no mx")}}, "mta-sts: invalid policy: line 2: bad mode (and 1 more problem)"},
		{SyntaxError{Package: "tlsrpt", Problems: []Problem{p(0, "a"), p(0, "b"), p(0, "c")}}, "tlsrpt: invalid record: a (and 2 more problems)"},
		{SyntaxError{}, "invalid record"},
	} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
