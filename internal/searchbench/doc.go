// Package searchbench holds only benchmarks: they compare the paths a unit
// search can take over the same synthetic registry (internal/synth): the
// in-memory match index called in process, the same index behind the gRPC
// SearchService on loopback, and a straightforward SQL query over the
// SQLite store. It has no non-test code. Run:
//
//	go test -run '^$' -bench SearchPaths -benchtime 1x -benchmem -timeout 60m ./internal/searchbench
package searchbench
