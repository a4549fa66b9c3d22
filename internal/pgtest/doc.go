// Package pgtest starts a real PostgreSQL server for tests: Debian's
// postgresql package (binaries under /usr/lib/postgresql/<major>/bin),
// a cluster made by initdb in a temporary directory, and one postgres
// process listening on a unix socket in that directory and on a free
// loopback port, run as an unprivileged user (the `postgres` system user
// when the test runs as root, as CI does). There is no mock: tests of the
// PostgreSQL store talk to the same server a registry would run.
//
// One server per test binary: call Main from TestMain; the server starts
// when a test first asks for a database, and Main stops it and removes its
// directory after the tests.
// Each test asks for a fresh, empty database with NewDatabase. Where the
// server cannot be started (the package is not installed, no unprivileged
// user), tests skip with a message saying why and how to install it.
//
// It imports only the standard library: it drives the server with
// initdb, postgres and psql, the programs the package ships.
package pgtest
