// Package inventory is the freezer storage concern's domain logic: the
// containers a bank stores its units in (sites, rooms, tanks, racks,
// boxes) and their layouts and position names, the container tree, the
// rules for placing and moving things in it, and tanks' temperature
// readings and the excursions they open and close (domain.md §2.5, §2.6).
//
// It holds rules, not use cases: nothing here reads or writes a store,
// checks a caller or records an audit event. The use cases (CreateContainers,
// PlaceUnit, MoveContainer, Evacuate, RecordReading, ...) are bank.Service's,
// in bank/inventory_*.go, and run these rules inside their transactions over
// bank.InventoryReader and bank.InventoryWriter.
//
// A rule that refuses a change returns a *refusal.Refusal[Rule]; package
// bank maps each rule to its error Kind and Reason and blames the request
// field it came from. Field violations are added to a Violations the
// caller gives (*bank.Violations is one), under the caller's field names.
// Neither the placement of a unit (bank.Placement, keyed by a unit's DIN)
// nor the units themselves are here: what a rule needs to know of them it
// is given (Occupants, the per-container unit counts of Tree.Occupancy).
//
// # Dependencies
//
// It imports only the standard library, bank/refusal and bank/names, and
// nothing of package bank (which imports it): bank/purity_test.go checks.
package inventory
