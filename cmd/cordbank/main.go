// Command cordbank runs the cordbank service and its operator tools.
//
//	cordbank serve [flags]      run the gRPC service and REST gateway
//	cordbank migrate [flags]    create or upgrade the database, then exit
//	cordbank migrate-store      copy a SQLite database into PostgreSQL and verify the copy
//	cordbank hla ...            check and reduce HLA typings from the shell
//	cordbank audit verify       check the audit trail's hash chain (and --state: the tables)
//	cordbank backup --to FILE   an online, verified backup of a running database
//	cordbank restore --from F   put a verified backup in place
//	cordbank token ...          create, list and revoke API tokens
//	cordbank client ...         talk to a running server with a token
//	cordbank completion bash    print a shell completion script
//	cordbank version            print the version
//
// Every flag has a CORDBANK_* environment default; run a command with -h
// for its flags.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "serve":
		return runServe(args[1:], stdout, stderr)
	case "migrate":
		return runMigrate(args[1:], stdout, stderr)
	case "migrate-store":
		return runMigrateStore(args[1:], stdout, stderr)
	case "hla":
		return runHLA(args[1:], stdout, stderr)
	case "audit":
		return runAudit(args[1:], stdout, stderr)
	case "backup":
		return runBackup(args[1:], stdout, stderr)
	case "restore":
		return runRestore(args[1:], stdout, stderr)
	case "token":
		return runToken(args[1:], stdout, stderr)
	case "client":
		return runClient(args[1:], stdout, stderr)
	case "completion":
		return runCompletion(args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "cordbank", version())
		return 0
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "cordbank: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `cordbank: cord blood bank inventory and matching service

Usage:
  cordbank serve [flags]     run the gRPC service and REST gateway
  cordbank migrate [flags]   create or upgrade the database, then exit
  cordbank migrate-store     copy a SQLite database into PostgreSQL (--from sqlite:FILE --to postgres://...)
                             and verify the copy
  cordbank hla <command>     check and reduce HLA typings (reduce, check, diff, release)
  cordbank audit verify      check the audit trail's hash chain, against a signed checkpoint and
                             (--state) the tables against the trail (exit 1 when broken)
  cordbank backup --to FILE  an online, verified backup with a manifest, while the service runs
  cordbank restore --from F  check a backup and put it in place of the database (service stopped)
  cordbank token <command>   create, list and revoke API tokens (create, list, revoke)
  cordbank client <command>  talk to a running server with a token (units, search, reserve, verify-audit, create-token)
  cordbank completion bash   print a shell completion script (bash or zsh)
  cordbank version           print the version

Run 'cordbank <command> -h' for the flags of a command.
`)
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		v := bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " " + s.Value[:12]
			}
		}
		return v
	}
	return "(devel)"
}

// env returns the value of the environment variable key, or def.
func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}
