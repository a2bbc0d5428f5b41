package message

import (
	"io"
	"sync"
)

// eachMessage reads every message of the inputs (files, directories,
// mbox files, "-"), runs fn on each with up to workers at once, and returns
// the results in input order, with the error of the first input that
// failed (for a lone input, which is then bad input). It is the one loop of
// verify and arc verify.
func eachMessage[R any](inputs []string, stdin io.Reader, workers int, fn func(*job) (R, error)) ([]R, error) {
	workers = max(workers, 1)
	jobs := make(chan *job, workers)
	go listInputs(inputs, stdin, jobs)
	var mu sync.Mutex
	byIndex := map[int]R{}
	var firstErr error
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				rep, err := fn(j)
				mu.Lock()
				byIndex[j.index] = rep
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	out := make([]R, 0, len(byIndex))
	for i := 0; len(out) < len(byIndex); i++ {
		if r, ok := byIndex[i]; ok {
			out = append(out, r)
		}
	}
	return out, firstErr
}
