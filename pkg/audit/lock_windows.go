//go:build windows

package audit

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// lockRange is the byte range locked. Windows locks byte ranges, and a
// locked range cannot be read through other handles: the range is one byte
// far past any real end of file, so that readers (audit verify) are never
// refused.
func lockRange() *windows.Overlapped {
	return &windows.Overlapped{Offset: 0xFFFFFFFE, OffsetHigh: 0x7FFFFFFF}
}

// lockFile takes an exclusive LockFileEx lock on f, waiting at most
// timeout. It polls so that a writer that never lets go
// gives an error instead of a hang.
func lockFile(f *os.File, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	wait := time.Millisecond
	for {
		err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, lockRange())
		if err == nil {
			return nil
		}
		if !errors.Is(err, windows.ERROR_LOCK_VIOLATION) && !errors.Is(err, windows.ERROR_IO_PENDING) {
			return fmt.Errorf("locking: %w", err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w for over %s", ErrLocked, timeout)
		}
		time.Sleep(wait)
		wait = min(wait*2, 20*time.Millisecond)
	}
}

func unlockFile(f *os.File) {
	_ = windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, lockRange())
}
