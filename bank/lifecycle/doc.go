// Package lifecycle is the rules of a cord blood unit's life in the bank
// (domain.md §2.2, §2.3): the unit statuses and the state machine between
// them (which action is legal from which status, which reason codes it
// takes and whether one is required, whether it needs an end date, the
// status it leaves the unit in), and the reservation holds on a unit (their
// statuses, when a hold may expire and when it is due, which changes an
// open hold allows, what a unit leaving a hold does to it).
//
// It holds rules, not use cases: nothing here reads or writes a store,
// checks a caller or records an audit event. The use cases (Transition,
// ReserveUnit, ChangeReservation, ExpireReservations, ...) are
// bank.Service's, in bank/lifecycle.go and bank/reservation_service.go,
// and run these rules inside their transactions over bank.RegistryReader,
// bank.RegistryWriter, bank.ReservationReader and bank.ReservationWriter.
//
// The unit's status (Status) lives here because the state machine is
// defined over it; bank.Unit carries it. The unit itself, the reservation
// record (bank.Reservation, keyed by a unit's DIN and carrying its HLA
// typing) and the requests stay in bank: what a rule needs to know of them
// it is given (Candidate, a status and an expiry time, a unit.Date as a
// Day).
//
// A rule that refuses a change returns a *refusal.Refusal[Rule]; package
// bank maps each rule to its error Kind and Reason and adds the resource
// name. Field violations are added to a Violations the caller gives
// (*bank.Violations is one), under the request's field names.
//
// # Dependencies
//
// It imports only the standard library and bank/refusal, and nothing of
// package bank (which imports it): bank/purity_test.go checks.
package lifecycle
