package tlsrpt_test

import (
	"fmt"

	"github.com/penguinmails/emailauth/pkg/tlsrpt"
)

func ExampleParseRecord() {
	rec, err := tlsrpt.ParseRecord("v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://tlsrpt.example.net/v1")
	fmt.Println(rec.RUA, err)
	_, err = tlsrpt.ParseRecord("v=TLSRPTv1; rua=http://tlsrpt.example.net/v1")
	fmt.Println(err)
	// Output:
	// [mailto:tlsrpt@example.com https://tlsrpt.example.net/v1] <nil>
	// tlsrpt: invalid record: the rua URI "http://tlsrpt.example.net/v1" uses http:; RFC 8460 allows only https: (and mailto:)
}
