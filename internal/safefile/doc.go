// Package safefile creates the files teardown's tools write — pcaps, reports,
// JSON — in a way that is safe when the tool runs as root and the place it
// writes to is shared with other users (/tmp, a team's capture directory).
//
// The danger is old and simple: a root process that opens "/tmp/run.pcap"
// with O_CREAT|O_TRUNC follows a symbolic link an unprivileged user planted
// at that name, and truncates whatever the link points to (/etc/shadow). So:
//
//   - Create opens a named output file with O_NOFOLLOW (a link at the last
//     component is refused with ELOOP, never followed) and truncates it only
//     after checking, on the open descriptor, that it is a regular file — as
//     tcpdump -w replaces an existing capture.
//   - CreateIn makes a new file inside a directory with O_EXCL through an
//     os.Root, so neither a link at the name nor ".." in it can lead out of the
//     directory, and an existing file is never overwritten: the second run of a
//     scenario with the same name gets "NAME-2.pcap".
//
// Hard links are the kernel's business: fs.protected_hardlinks (on by default)
// stops users from linking files they do not own.
package safefile
