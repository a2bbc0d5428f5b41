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

// job is one message to verify: a file to open, or bytes already read (a
// message of an mbox, stdin), or an error found while listing the inputs.
type job struct {
	index int
	name  string
	path  string
	data  []byte
	r     io.Reader // stdin
	err   error
}

// open returns the message's reader.
func (j *job) open() (io.ReadCloser, error) {
	if j.r != nil {
		return io.NopCloser(j.r), nil
	}
	if j.data != nil || j.path == "" {
		return io.NopCloser(bytes.NewReader(j.data)), nil
	}
	return os.Open(j.path)
}

// listInputs sends one job per message of the inputs to jobs, in order, and
// closes it: files as they are, directories walked (hidden files skipped,
// sorted), mbox files split into their messages, "-" as stdin.
func listInputs(inputs []string, stdin io.Reader, jobs chan<- *job) {
	defer close(jobs)
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
			sendFile(in, send)
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
		for _, p := range files {
			sendFile(p, send)
		}
	}
}

// sendFile sends a file as one message, or as the messages of an mbox when
// it starts with a "From " line.
func sendFile(path string, send func(*job)) {
	f, err := os.Open(path)
	if err != nil {
		send(&job{name: path, err: err})
		return
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64*1024)
	head, _ := br.Peek(5)
	if string(head) != "From " {
		send(&job{name: path, path: path})
		return
	}
	// mbox: a line starting with "From " begins each message; ">From "
	// lines in bodies are unescaped once (mboxrd). The empty line that ends
	// each message is the format's, not the message's.
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
		line, err := br.ReadBytes('\n')
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
