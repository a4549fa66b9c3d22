package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/cordbank/cordbank/client"
)

// parseFlags parses args with fs, the way every cordbank command does:
// flags may come before or after the positional arguments (fs.Args()
// holds these afterwards); -h prints the command's help on stdout and
// exits 0; a bad flag prints the error and the help on stderr and exits 2,
// and so does an --output other than text or json where fs has one.
// ok is false when the command must return code.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	fs.SetOutput(io.Discard)
	var positional []string
	err := fs.Parse(args)
	for err == nil && fs.NArg() > 0 {
		positional = append(positional, fs.Arg(0))
		err = fs.Parse(fs.Args()[1:])
	}
	if err == nil {
		fs.SetOutput(stderr)
		_ = fs.Parse(append([]string{"--"}, positional...)) // fs.Args() = positional
		if o := fs.Lookup("output"); o != nil {
			if err := validOutput(o.Value.String()); err != nil {
				fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
				return 2, false
			}
		}
		return 0, true
	}
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fmt.Fprintf(stdout, "Usage of %s:\n", fs.Name())
		fs.PrintDefaults()
		return 0, false
	}
	fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
	fs.SetOutput(stderr)
	fs.PrintDefaults()
	return 2, false
}

// outputFlag adds --output text|json to fs.
func outputFlag(fs *flag.FlagSet) *string {
	return fs.String("output", env("CORDBANK_OUTPUT", "text"), "output format: text or json (CORDBANK_OUTPUT)")
}

func validOutput(o string) error {
	if o != "text" && o != "json" {
		return fmt.Errorf("--output %q: want text or json", o)
	}
	return nil
}

// printJSON writes v as one line of JSON, the form of every command's
// --output json: a protobuf message in its protojson form (the REST
// API's), anything else as encoding/json writes it.
func printJSON(w io.Writer, v any) {
	var b []byte
	var err error
	if m, ok := v.(proto.Message); ok {
		b, err = protojson.MarshalOptions{EmitUnpopulated: false}.Marshal(m)
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	fmt.Fprintln(w, string(b))
}

// serverFlags are the flags of the commands that talk to a running server.
type serverFlags struct {
	addr, token, ca, output string
	insecure                bool
}

func (f *serverFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "server", env("CORDBANK_SERVER", "127.0.0.1:50051"), "the server's gRPC address (CORDBANK_SERVER)")
	fs.StringVar(&f.token, "token", env("CORDBANK_TOKEN", ""), "API token (CORDBANK_TOKEN; prefer the variable: flags show in ps)")
	fs.StringVar(&f.ca, "ca", env("CORDBANK_CA", ""), "PEM file of the CA that signed the server's certificate; default: the system's roots (CORDBANK_CA)")
	fs.BoolVar(&f.insecure, "plaintext", false, "plain text even to a non-loopback server (the token is then refused)")
	fs.StringVar(&f.output, "output", env("CORDBANK_OUTPUT", "text"), "output format: text or json (CORDBANK_OUTPUT)")
}

// dial returns an SDK client for the flags: TLS by default off loopback.
// connect dials for client command name, reporting a failure on stderr
// as every client command does; false means exit with status 2.
func (f *serverFlags) connect(name string, stderr io.Writer) (*client.Client, bool) {
	c, err := f.dial()
	if err != nil {
		fmt.Fprintf(stderr, "cordbank client %s: %v\n", name, err)
		return nil, false
	}
	return c, true
}

// printer prints a client command's answers as --output asks.
func (f *serverFlags) printer(stdout io.Writer) *printer {
	return &printer{w: stdout, json: f.output == "json"}
}

func (f *serverFlags) dial() (*client.Client, error) {
	opts := []client.Option{client.WithUserAgent("cordbank-cli/" + version())}
	if f.token != "" {
		opts = append(opts, client.WithToken(f.token))
	}
	switch {
	case f.insecure:
		opts = append(opts, client.WithInsecure())
	case f.ca != "":
		pem, err := os.ReadFile(f.ca)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca %s: no PEM certificate in it", f.ca)
		}
		opts = append(opts, client.WithTransportCredentials(credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool})))
	}
	return client.New(f.addr, opts...)
}

// commands is the command table: the usage text and shell completion
// are made from it.
var commands = []struct{ name, sub, help string }{
	{"serve", "", "run the gRPC service and REST gateway"},
	{"migrate", "", "create or upgrade the database, then exit"},
	{"migrate-store", "", "copy a SQLite database into PostgreSQL and verify the copy"},
	{"hla", "reduce check diff release reread", "check and reduce HLA typings"},
	{"audit", "verify", "check the audit trail's hash chain (exit 1 when broken)"},
	{"token", "create list revoke", "create, list and revoke API tokens on the database"},
	{"client", "units search reserve verify-audit create-token", "talk to a running server with a token (SDK)"},
	{"completion", "bash zsh", "print a shell completion script"},
	{"version", "", "print the version"},
}

// runCompletion implements "cordbank completion bash|zsh".
func runCompletion(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || (args[0] != "bash" && args[0] != "zsh") {
		fmt.Fprintln(stderr, "usage: cordbank completion bash|zsh\n\n  bash: source <(cordbank completion bash)\n  zsh:  source <(cordbank completion zsh)")
		return 2
	}
	var top []string
	var cases strings.Builder
	for _, c := range commands {
		top = append(top, c.name)
		if c.sub != "" {
			fmt.Fprintf(&cases, "    %s) COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", c.name, c.sub)
		}
	}
	script := fmt.Sprintf(`# cordbank completion (bash)
_cordbank() {
  local cur="${COMP_WORDS[COMP_CWORD]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W %q -- "$cur")); return
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(cordbank "${COMP_WORDS[@]:1:COMP_CWORD-1}" -h 2>/dev/null | sed -n 's/^  \(-[a-z-]*\).*/-\1/p')" -- "$cur")); return
  fi
  if [ "$COMP_CWORD" -eq 2 ]; then
    case "${COMP_WORDS[1]}" in
%s    esac
  fi
}
complete -o default -F _cordbank cordbank
`, strings.Join(top, " "), cases.String())
	if args[0] == "zsh" {
		script = "autoload -U +X bashcompinit && bashcompinit\n" + script
	}
	fmt.Fprint(stdout, script)
	return 0
}
