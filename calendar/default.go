package calendar

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"
)

// englandYAML is the built-in calendar: English academic years 2024/25 to 2027/28.
//
//go:embed england.yaml
var englandYAML []byte

var defaultCalendar = sync.OnceValue(func() *Calendar {
	terms, closures, err := Parse(bytes.NewReader(englandYAML), "england.yaml")
	if err == nil {
		var c *Calendar
		if c, err = New(terms, closures); err == nil {
			return c
		}
	}
	// The file is part of the build and tested: an error here is a broken build, not bad input.
	panic(fmt.Sprintf("built-in calendar: %v", err))
})

// Default returns the built-in calendar for England, academic years 2024/25 to 2027/28, used until
// the council loads its own. A Calendar is read-only, so the same one is shared.
func Default() *Calendar { return defaultCalendar() }

// DefaultFile returns the built-in calendar file, as an example of the YAML format.
func DefaultFile() []byte { return bytes.Clone(englandYAML) }
