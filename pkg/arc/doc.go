// Package arc validates and seals Authenticated Received Chains (RFC 8617).
//
// An ARC set is three header fields an intermediary (a forwarder, a mailing
// list) adds: ARC-Authentication-Results (what it found when the message
// arrived), ARC-Message-Signature (a DKIM signature of the message as it
// passed on) and ARC-Seal (a signature over the ARC header fields of every
// set so far). Validator.Validate runs RFC 8617 §5.2: the limit of 50 sets,
// a newest cv=fail, the structure (one of each field per instance, 1..N
// without gaps), the cv= progression, the newest message signature, the
// older ones (for header.oldest-pass), and every seal. The Result says none,
// pass or fail (temperror when a key could not be fetched), which set
// decided it and why, per set and per signature, with a stable Code as
// pkg/dkim's results have; Result.Findings gives the same as findings of
// this package's catalogue (Findings), to be judged with finding.Judge.
//
// Sealer adds the next set, computing cv= from the chain it finds, or from
// the validation made when the message was received (a mailing list
// validates, changes the message, then seals). It signs with RSA or
// Ed25519; a set sealed with cv=fail covers only itself (RFC 8617 §5.1.2).
//
// Result.AuthResultsProperty writes the arc= result of an
// Authentication-Results header field with the properties the IANA registry
// holds for it (header.oldest-pass, smtp.remote-ip), and
// Result.TrustedResults returns what the newest set of a trusted sealer
// recorded, parsed with emersion/go-msgauth's authres, and DMARCInput turns
// it into dmarc.Evaluate's input.
//
// What is reused from pkg/dkim, and why: an ARC-Message-Signature is a DKIM
// signature under another name (RFC 8617 §4.1.2), and an ARC-Seal a
// DKIM-style signature over header fields only, so both go through the
// same code paths as pkg/dkim's Verify and Sign: its header reader (bare LF
// read as CRLF, the header size bound), header and body canonicalization,
// the bottom-up selection of h= fields, the key lookup through dns.Resolver
// and its parsing by pkg/dkimkey, and the spooling that lets a message be
// read once and written with new fields on top. pkg/dkim exports them for
// this (ReadMessage, AppendCanonicalHeader, HashHeaders, BodyHasher,
// LookupKey, Prepend); the tag-list parser is pkg/dkimkey's.
//
// Why there is no external ARC dependency: emersion/go-msgauth, already a
// dependency, has no ARC (only the authres parser, used here). The Go ARC
// packages that exist are small single-purpose projects that take a
// function for DNS instead of our dns.Resolver (so no in-process DNS server,
// no cache, no typed temporary errors), cannot take a clock, report a
// boolean or an error string rather than which set failed and why, and
// carry their own canonicalization, which would differ from pkg/dkim's in
// the corners the conformance suites test. ARC is a thin layer over DKIM;
// with pkg/dkim's pieces it is a few hundred lines, and it passes the
// ValiMail validation and signing suites (see conformance_test.go).
package arc
