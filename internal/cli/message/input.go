package message

import (
	"bufio"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// job is one message to verify: bytes already read (a whole file, a
// message of an mbox), a file already open with its first bytes read, or
// stdin; or an error found while listing the inputs.
type job struct {
	index int
	name  string
	data  []byte
	file  *os.File  // the rest of a large file, after data
	r     io.Reader // stdin
	err   error
	// walked: found by walking a directory, not named by the user. What
	// such a file holds is never quoted: it may be anything (a key, a
	// .env file) that happens to sit beside the messages.
	walked bool
}

// open returns the message's reader.
func (j *job) open() (io.ReadCloser, error) {
	switch {
	case j.r != nil:
		return io.NopCloser(j.r), nil
	case j.file != nil:
		return struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(j.data), j.file), j.file}, nil
	default:
		return io.NopCloser(bytes.NewReader(j.data)), nil
	}
}

// headSize is how much of each file the lister reads: a message up to this
// size is read whole with one read and handed to a worker as bytes; a larger
// one is handed over open, its first part read. Either way each file is
// opened once, and mbox is recognised from the bytes already read.
const headSize = 64 << 10

// listInputs sends one job per message of the inputs to jobs, in order, and
// closes it: files as they are, directories walked (hidden files skipped,
// sorted), mbox files split into their messages, "-" as stdin.
func listInputs(inputs []string, stdin io.Reader, jobs chan<- *job) {
	defer close(jobs)
	scratch := make([]byte, headSize)
	n := 0
	send := func(j *job) {
		j.index = n
		n++
		jobs <- j
	}
	for _, in := range inputs {
		if in == "-" {
			send(&job{name: "stdin", r: stdin})
			continue
		}
		st, err := os.Stat(in)
		if err != nil {
			send(&job{name: in, err: err})
			continue
		}
		if !st.IsDir() {
			sendFile(in, scratch, send)
			continue
		}
		var files []string
		err = filepath.WalkDir(in, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				send(&job{name: p, err: err})
				return nil
			}
			if strings.HasPrefix(d.Name(), ".") && p != in {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			send(&job{name: in, err: err})
		}
		sort.Strings(files)
		walked := func(j *job) {
			j.walked = true
			send(j)
		}
		for _, p := range files {
			sendFile(p, scratch, walked)
		}
	}
}

// sendFile sends a file as one message, or as the messages of an mbox when
// it starts with a "From " line. scratch is the lister's read buffer, of
// headSize octets.
func sendFile(path string, scratch []byte, send func(*job)) {
	f, err := os.Open(path)
	if err != nil {
		send(&job{name: path, err: err})
		return
	}
	n, err := io.ReadFull(f, scratch)
	whole := err == io.EOF || err == io.ErrUnexpectedEOF
	if err != nil && !whole {
		f.Close()
		send(&job{name: path, err: err})
		return
	}
	head := scratch[:n]
	if !bytes.HasPrefix(head, []byte("From ")) {
		data := append([]byte{}, head...)
		if whole {
			f.Close()
			send(&job{name: path, data: data})
			return
		}
		send(&job{name: path, data: data, file: f}) // the worker closes it
		return
	}
	defer f.Close()
	var rest io.Reader = bytes.NewReader(head)
	if !whole {
		rest = io.MultiReader(bytes.NewReader(append([]byte{}, head...)), f)
	}
	sendMbox(path, bufio.NewReader(rest), send)
}

// sendMbox splits an mbox into its messages: a line starting with "From "
// begins each message; ">From " lines in bodies are unescaped once
// (mboxrd). The empty line that ends each message is the format's, not the
// message's.
func sendMbox(path string, br *bufio.Reader, send func(*job)) {
	var cur bytes.Buffer
	count := 0
	flush := func() {
		if count == 0 {
			return
		}
		b := bytes.TrimSuffix(cur.Bytes(), []byte("\n"))
		b = bytes.TrimSuffix(b, []byte("\r"))
		send(&job{name: path + "#" + strconv.Itoa(count), data: append([]byte{}, b...)})
		cur.Reset()
	}
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A long line: gather it.
			full := append([]byte{}, line...)
			for err == bufio.ErrBufferFull {
				line, err = br.ReadSlice('\n')
				full = append(full, line...)
			}
			line = full
		}
		if len(line) > 0 {
			switch {
			case bytes.HasPrefix(line, []byte("From ")):
				flush()
				count++
			case isEscapedFrom(line):
				cur.Write(line[1:])
			default:
				cur.Write(line)
			}
		}
		if err != nil {
			if err != io.EOF {
				send(&job{name: path, err: err})
			}
			break
		}
	}
	flush()
}

func isEscapedFrom(line []byte) bool {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	return i > 0 && bytes.HasPrefix(line[i:], []byte("From "))
}
