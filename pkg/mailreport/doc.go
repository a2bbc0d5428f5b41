// Package mailreport holds what the three kinds of reports receivers send
// about a domain's mail have in common: DMARC aggregate reports (RFC 9990,
// RFC 7489 Appendix C), DMARC failure reports (ARF, RFC 5965/6591) and SMTP
// TLS reports (RFC 8460). They arrive as files, compressed files, zip
// archives, e-mail messages and mailboxes, all written by strangers.
//
// The package reads those containers with hard limits (Limits): the octets
// read from one input, the octets it may expand to once decompressed (a
// decompression bomb stops there), the members of a zip archive, the parts
// of a message. It recognizes formats from their content (Sniff), never
// from a file's name. Where receivers are sloppy in ways that are harmless
// (a gzip stream followed by a stray line break, a multipart message
// without its closing boundary) the input is read and a Warning names the
// quirk and the input: nothing is recovered silently.
//
// The parsers of each kind live in pkg/dmarc/aggregate, pkg/dmarc/failure
// and pkg/tlsrpt/tlsreport; pkg/mailreport/ingest walks files,
// directories, mbox files and Maildir folders and yields typed reports.
//
// Why the standard library and not a MIME library such as
// emersion/go-message: reports use a small part of MIME (multipart,
// base64, quoted-printable, message/rfc822 kept whole), and every read here
// must be bounded and must survive malformed input. mime/multipart and
// net/mail do that with limits we set ourselves; a general library would
// add charset decoding and header rewriting we do not want on data that is
// shown to users only on request.
package mailreport
