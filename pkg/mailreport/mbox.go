package mailreport

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sync"
)

// MboxMessage is one message of a mailbox file.
type MboxMessage struct {
	// Number counts messages from 1.
	Number int
	// Data is the message without its "From " line, with ">From " lines
	// unescaped by one level (mboxrd).
	Data []byte
	// Err is set when the message could not be read whole (it is larger
	// than the limit); Data is then nil.
	Err error
}

// envelopeLine matches an mbox envelope line: "From", the sender, a weekday.
var envelopeLine = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^From \S+ +(Mon|Tue|Wed|Thu|Fri|Sat|Sun) `)
})

// ReadMbox reads an mbox file one message at a time, so that a mailbox of
// any size is read in the memory of its largest message (at most max
// octets), and calls fn with each message. A message begins with a line
// starting "From " at the start of the file or after an empty line, or
// with an envelope line ("From sender Thu Jan  1 00:00:00 2026") anywhere:
// some writers leave out the empty line. fn returns false to stop.
// ReadMbox returns the first read error.
func ReadMbox(r io.Reader, max int64, fn func(MboxMessage) bool) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		cur       bytes.Buffer
		number    int
		over      bool
		prevBlank = true
		started   bool
	)
	flush := func() bool {
		if !started {
			return true
		}
		m := MboxMessage{Number: number}
		if over {
			m.Err = fmt.Errorf("message %d is larger than %s: %w", number, Human(max), ErrTooLarge)
		} else {
			m.Data = bytes.Clone(cur.Bytes())
		}
		cur.Reset()
		over = false
		return fn(m)
	}
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line[:0], chunk...)
		for errors.Is(err, bufio.ErrBufferFull) {
			chunk, err = br.ReadSlice('\n')
			if !over && int64(len(line)) <= max {
				line = append(line, chunk...)
			}
		}
		if len(line) > 0 {
			if bytes.HasPrefix(line, []byte("From ")) && (prevBlank || envelopeLine().Match(line)) {
				if !flush() {
					return nil
				}
				started = true
				number++
			} else if started {
				if unescaped, ok := unescapeFrom(line); ok {
					line = unescaped
				}
				if !over {
					if int64(cur.Len()+len(line)) > max {
						over = true
						cur.Reset()
					} else {
						cur.Write(line)
					}
				}
			} else if len(bytes.TrimSpace(line)) > 0 {
				return fmt.Errorf("not an mbox file: it does not begin with a \"From \" line")
			}
			prevBlank = len(bytes.TrimRight(line, "\r\n")) == 0
		}
		if err == io.EOF {
			flush()
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// unescapeFrom removes one ">" from a line matching ^>+From .
func unescapeFrom(line []byte) ([]byte, bool) {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	if i == 0 || !bytes.HasPrefix(line[i:], []byte("From ")) {
		return nil, false
	}
	return line[1:], true
}
