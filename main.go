// Command keyward administers API keys: in a local SQLite database or
// through a keyward server. See DESIGN.md.
package main

import (
	"os"

	"github.com/keyward/keyward/internal/commands"
)

func main() {
	os.Exit(commands.Main())
}
