// fga-transform reads an OpenFGA model in the DSL on stdin and writes the JSON the
// WriteAuthorizationModel API takes, with OpenFGA's own transformer
// (github.com/openfga/language). Built by scripts/bench-decision-servers.sh.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/openfga/language/pkg/go/transformer"
)

func main() {
	dsl, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, err := transformer.TransformDSLToJSON(string(dsl))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(out)
}
