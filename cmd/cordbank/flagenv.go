package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
)

// envFlags gives flags their CORDBANK_* environment defaults: for each
// flag name in vars whose variable is set, it sets the flag from it, so
// the flag's own parser checks the value and a bad one is refused (not
// silently replaced by the default). Call it before fs.Parse: the command
// line still wins.
func envFlags(fs *flag.FlagSet, vars map[string]string) error {
	names := make([]string, 0, len(vars))
	for name := range vars {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v, ok := os.LookupEnv(vars[name])
		if !ok {
			continue
		}
		if err := fs.Set(name, v); err != nil {
			return fmt.Errorf("%s=%q (for --%s): %v", vars[name], v, name, err)
		}
	}
	return nil
}
