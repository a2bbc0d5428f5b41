package arc_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"strings"
	"time"

	"github.com/penguinmails/emailauth/pkg/arc"
	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

// A mailing list seals a message, and the final receiver validates the
// chain and writes its arc= result.
func Example() {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize))
	rec, _ := dkimkey.NewRecord(key.Public())
	resolver := dnstest.NewFake()
	resolver.AddTXT("arc._domainkey.lists.example", rec.String())
	clock := func() time.Time { return time.Unix(1795000000, 0) }

	msg := "From: alice@sender.example\r\nTo: list@lists.example\r\nSubject: hi\r\n\r\nHello.\r\n"
	sealer, err := arc.NewSealer(arc.NewValidator(resolver, arc.ValidateOptions{Now: clock}), arc.SealOptions{
		Domain: "lists.example", Selector: "arc", Signer: key, AuthServID: "mx.lists.example",
		AuthResults: "spf=pass smtp.mailfrom=alice@sender.example", Now: clock,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var sealed bytes.Buffer
	if _, err := sealer.Seal(context.Background(), &sealed, strings.NewReader(msg), nil); err != nil {
		fmt.Println(err)
		return
	}

	res, err := arc.Validate(context.Background(), &sealed, resolver, arc.ValidateOptions{Now: clock})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.AuthResultsProperty(arc.AuthResultsOptions{Chain: true}))
	fmt.Println(res.Sets[0].AuthResults)
	// Output:
	// arc=pass arc.chain=lists.example
	// arc=none; spf=pass smtp.mailfrom=alice@sender.example
}
