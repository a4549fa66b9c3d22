package match

import (
	"fmt"

	"github.com/cordbank/cordbank/bank"
)

// violations collects antibody problems for the stand-alone DSA function.
type violations struct{ v bank.Violations }

func (v *violations) add(i int, err error) {
	v.v.Add(fmt.Sprintf("antibodies[%d].specificity", i), "%v", err)
}

func (v *violations) addMFI(i int, problem string) {
	v.v.Add(fmt.Sprintf("antibodies[%d].mfi", i), "%s", problem)
}

func (v *violations) err() error { return v.v.Err("invalid antibodies") }
