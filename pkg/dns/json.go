package dns

import "encoding/json"

// MarshalJSON writes the answer with its type and RCODE as mnemonics.
func (a *Answer) MarshalJSON() ([]byte, error) {
	type plain Answer
	records := a.Records
	if records == nil {
		records = []Record{}
	}
	return json.Marshal(struct {
		Type  string `json:"type"`
		RCode string `json:"rcode"`
		*plain
		Records []Record `json:"records"`
	}{TypeString(a.Type), RcodeString(a.RCode), (*plain)(a), records})
}

// MarshalJSON writes the record with its type as a mnemonic and, for A and
// AAAA records, its address.
func (r Record) MarshalJSON() ([]byte, error) {
	type plain Record
	var ip string
	if r.IP.IsValid() {
		ip = r.IP.String()
	}
	return json.Marshal(struct {
		Type string `json:"type"`
		plain
		IP string `json:"ip,omitempty"`
	}{TypeString(r.Type), plain(r), ip})
}
