package engine

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// MaxConfigFileSize bounds one configuration file (api.xml, policy.xml,
// a fragment, named-values.xml).
const MaxConfigFileSize = 8 << 20

// ReadConfigFile reads a configuration file defensively: only a regular
// file (a symbolic link to one is fine) of at most MaxConfigFileSize bytes.
// It opens without blocking, so a FIFO (or a device) put in the apis folder
// is an error at once instead of a reload that never ends, and a link to
// /dev/zero is refused instead of read until memory runs out.
func ReadConfigFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("not a regular file (%s)", st.Mode().Type())}
	}
	if st.Size() > MaxConfigFileSize {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("larger than %d bytes", MaxConfigFileSize)}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxConfigFileSize {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("larger than %d bytes", MaxConfigFileSize)}
	}
	return data, nil
}
