// Command herald is the Herald chat and offline-push server.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "herald: work in progress")
	os.Exit(2)
}
