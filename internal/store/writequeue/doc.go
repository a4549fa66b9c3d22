// Package writequeue is the hand-off between a store's Write calls and the
// one goroutine that runs every write transaction of that store (its
// writer), shared by the SQLite and PostgreSQL stores so the rule that
// decides whether a cancelled call's work runs exists once.
//
// The rule: a caller and the writer race to move a job out of the queued
// state. If the caller's context ends first, the job is abandoned and the
// writer skips it; once the writer has taken it, the caller waits for the
// writer's answer, committed or not, because only the writer knows. So a
// Write that returned its context's error was never run, and one that
// returned nil was committed. What the writer does with the jobs it takes
// (one transaction, a savepoint each, one commit) is the store's.
package writequeue
