package dns

import "strings"

// packQuery returns the wire form of a query for fqdn (a canonical name
// with its final dot) and qtype, with ID 0: RD and AD set and, with edns, an
// OPT record advertising udpSize with the DO bit, as clientPack builds it.
// It costs one allocation where miekg/dns's packer costs five; a name that
// needs more than splitting at dots (an escaped dot or backslash, an empty
// or over-long label) goes through clientPack, which also says what is
// wrong with it.
func packQuery(fqdn string, qtype uint16, udpSize uint16, edns bool) ([]byte, error) {
	if len(fqdn) > 254 || strings.IndexByte(fqdn, '\\') >= 0 {
		return clientPack(fqdn, qtype, udpSize, edns)
	}
	n := 12 + len(fqdn) + 1 + 4
	if edns {
		n += 11
	}
	b := make([]byte, 12, n)
	b[2] = 0x01 // RD
	b[3] = 0x20 // AD: RFC 6840 §5.7, asks for the AD bit in the reply
	b[5] = 1    // one question
	if edns {
		b[11] = 1 // one additional record: OPT
	}
	name := strings.TrimSuffix(fqdn, ".")
	for name != "" {
		label := name
		name = ""
		if dot := strings.IndexByte(label, '.'); dot >= 0 {
			label, name = label[:dot], label[dot+1:]
			if name == "" {
				return clientPack(fqdn, qtype, udpSize, edns) // "a..": an empty label
			}
		}
		if label == "" || len(label) > 63 {
			return clientPack(fqdn, qtype, udpSize, edns)
		}
		b = append(b, byte(len(label)))
		b = append(b, label...)
	}
	b = append(b, 0, byte(qtype>>8), byte(qtype), 0, 1) // class IN
	if edns {
		// The root name, type OPT (41), the class is the buffer size, the
		// TTL holds the DO bit, no data.
		b = append(b, 0, 0, 41, byte(udpSize>>8), byte(udpSize), 0, 0, 0x80, 0, 0, 0)
	}
	return b, nil
}
