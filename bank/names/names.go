// Package names formats the domain's resource names (AIP-122): the one
// place that knows "banks/{bank}/units/{din}" and its kin. The domain's
// errors, audit events and request records name resources with it, and so
// do the concern packages (which cannot import bank); the server parses
// names (server/names.go) and formats what it sends with it too.
//
// Its functions take plain strings, so every package can call them; bank's
// typed helpers (bank.UnitName, Reservation.Name, inventory.ContainerName)
// delegate here.
//
// It imports only the standard library: bank/purity_test.go checks.
package names

import "strconv"

// Bank is the name of bank id: banks/{bank}.
func Bank(id string) string { return "banks/" + id }

// Unit is the name of a bank's unit by its DIN: banks/{bank}/units/{din}.
func Unit(bank, din string) string { return "banks/" + bank + "/units/" + din }

// Reservation is the name of a hold on a unit:
// banks/{bank}/units/{din}/reservations/{id}.
func Reservation(bank, din, id string) string { return Unit(bank, din) + "/reservations/" + id }

// Container is the name of a bank's freezer container:
// banks/{bank}/containers/{id}.
func Container(bank, id string) string { return "banks/" + bank + "/containers/" + id }

// Excursion is the name of a tank's temperature excursion:
// banks/{bank}/excursions/{id}.
func Excursion(bank string, id int64) string {
	return "banks/" + bank + "/excursions/" + strconv.FormatInt(id, 10)
}
