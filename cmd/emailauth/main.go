// Command emailauth checks and builds email-authentication DNS records and
// signs and verifies messages. See README.md.
package main

import (
	"os"

	"github.com/penguinmails/emailauth/internal/cli"
)

func main() {
	os.Exit(cli.Main())
}
