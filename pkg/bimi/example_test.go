package bimi_test

import (
	"context"
	"fmt"

	"github.com/penguinmails/emailauth/pkg/bimi"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

func ExampleCheck() {
	r := dnstest.NewFake(`default._bimi.example.com. 300 IN TXT "v=BIMI1; l=https://example.com/bimi/logo.svg; a=https://example.com/bimi/vmc.pem"`)
	res := bimi.Check(context.Background(), r, "example.com", "", bimi.DMARC{Checked: true, Found: true, P: "none"})
	fmt.Println(res.Status)
	for _, f := range res.Findings {
		fmt.Println(f.Code, "->", f.Fix)
	}
	// Output:
	// fail
	// bimi.dmarc-none -> in the TXT record at _dmarc.example.com, change p=none to p=quarantine (or p=reject), once your DMARC reports show all your mail passes
	// bimi.assets-not-checked ->
}
