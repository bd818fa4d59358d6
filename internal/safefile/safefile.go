package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// MaxTries bounds how many numbered names CreateIn tries before giving up.
const MaxTries = 1000

// Create opens path for writing, creating it with mode perm or replacing the
// contents of an existing regular file. It refuses a symbolic link at path
// and anything that is not a regular file (a FIFO, a device), so a root
// process cannot be made to write through a planted link.
func Create(path string, perm fs.FileMode) (*os.File, error) {
	// O_NONBLOCK: opening a planted FIFO must fail the check below, not hang.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, perm)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%s is a symbolic link: refusing to write through it (remove it or name another file)", path)
		}
		return nil, err
	}
	if err := checkRegular(f, path); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func checkRegular(f *os.File, path string) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file (%s): refusing to write to it", path, fi.Mode().Type())
	}
	return nil
}

// CreateIn creates a new file in dir named name, or, when that name is taken,
// base-2.ext, base-3.ext … (base and ext split at the last dot). It never
// overwrites or follows a link, and name must be a single path component
// (no "/", not "." or ".."). It returns the file and the path it has.
func CreateIn(dir, name string, perm fs.FileMode) (*os.File, string, error) {
	if err := ValidName(name); err != nil {
		return nil, "", err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, "", err
	}
	defer root.Close()
	for i := 1; i <= MaxTries; i++ {
		n := numbered(name, i)
		f, err := root.OpenFile(n, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if err == nil {
			return f, filepath.Join(dir, n), nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, "", err
		}
	}
	return nil, "", fmt.Errorf("%s: %d files named like %s already: clean it up or name another directory", dir, MaxTries, name)
}

// ValidName reports whether name can be used as one file name inside a
// directory: not empty, no "/", no NUL, not "." or "..".
func ValidName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("%q is not a file name", name)
	case strings.ContainsAny(name, "/\x00"):
		return fmt.Errorf("%q is not a single file name (it has a / or NUL)", name)
	}
	return nil
}

func numbered(name string, i int) string {
	if i == 1 {
		return name
	}
	ext := filepath.Ext(name)
	return strings.TrimSuffix(name, ext) + "-" + strconv.Itoa(i) + ext
}
