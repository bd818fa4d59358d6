// Package sockdiag: see the documentation in doc.go (written with the implementation).
package sockdiag
