// Package faultcheck checks a cordbank SQLite database after a fault
// injection run (cancelled requests, a killed server): the file is sound,
// the audit chain verifies, every unit has its creation event and every
// creation event its unit, a unit is reserved exactly when it has one open
// reservation, and every write a client saw acknowledged is
// there with the content it sent.
//
// It is support code for the fault-injection tests of server and
// cmd/cordbank, kept in one place so both hold the store to the same
// standard.
package faultcheck
