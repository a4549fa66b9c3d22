package server

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/names"
	"github.com/cordbank/cordbank/bank/unit"
)

// Resource names are parsed only here (architecture.md); they are formatted
// by bank/names, which the domain names its errors and events with too.

func bankName(id string) string { return names.Bank(id) }

// parseBankName reads "banks/{bank}".
func parseBankName(name string) (string, error) {
	id, ok := strings.CutPrefix(name, "banks/")
	if !ok || id == "" || strings.Contains(id, "/") {
		return "", fmt.Errorf("%q is not a bank name of the form banks/{bank}", name)
	}
	if !bank.ValidBankID(id) {
		return "", fmt.Errorf("%q is not a valid bank id", id)
	}
	return id, nil
}

// parseUnitName reads "banks/{bank}/units/{din}". The DIN may be written as
// on a label (spaces, flags, check character; URL-escaped over REST) and
// is normalized.
func parseUnitName(name string) (string, unit.DIN, error) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 || parts[0] != "banks" || parts[2] != "units" {
		return "", "", fmt.Errorf("%q is not a unit name of the form banks/{bank}/units/{din}", name)
	}
	id, err := parseBankName("banks/" + parts[1])
	if err != nil {
		return "", "", err
	}
	din, err := parseDINSegment(parts[3])
	if err != nil {
		return "", "", err
	}
	return id, din, nil
}

// parseDINSegment reads the {din} of a unit name, URL-escaped or not.
func parseDINSegment(seg string) (unit.DIN, error) {
	raw, err := url.PathUnescape(seg)
	if err != nil {
		raw = seg
	}
	return unit.ParseDIN(raw)
}
