package mtasts_test

import (
	"context"
	"fmt"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/mtasts"
)

func ExampleParsePolicy() {
	p, err := mtasts.ParsePolicy([]byte("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Mode, p.MX, p.MaxAge)
	// Output: enforce [mail.example.com *.example.net] 604800
}

func ExampleParsePolicy_invalid() {
	_, err := mtasts.ParsePolicy([]byte("version: STSv1\nmode: doubt\nmx: mail.example.com\nmax_age: 86400\n"))
	fmt.Println(err)
	// Output: mta-sts: invalid policy: line 2: the mode is "doubt"; it must be enforce, testing or none
}

func ExampleMatchMX() {
	fmt.Println(mtasts.MatchMX("*.example.net", "mx1.example.net"))
	fmt.Println(mtasts.MatchMX("*.example.net", "a.mx1.example.net"))
	// Output:
	// true
	// false
}

// Check offline (no HTTP client): the DNS part is checked, the policy is
// reported as not checked.
func ExampleCheck() {
	r := dnstest.NewFake(`
example.com. 300 IN MX 10 mx1.example.com.
_mta-sts.example.com. 300 IN TXT "v=STSv1; id=20260101T000000"
mta-sts.example.com. 300 IN A 192.0.2.10
`)
	res := mtasts.Check(context.Background(), r, nil, "example.com", nil, mtasts.Options{Now: func() time.Time { return time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC) }})
	fmt.Println(res.Status, res.RecordValid, res.PolicyChecked)
	for _, f := range res.Findings {
		fmt.Println(f)
	}
	// Output:
	// warn true false
	// warning mta-sts.policy-not-checked: the policy at https://mta-sts.example.com/.well-known/mta-sts.txt was not checked (offline); only the DNS records were
}
