package main

import (
	"context"
)

// cmdLoadAttendance is `pme load attendance FILE...`: the files are taken as `pme ingest` takes
// returns, reading only attendance extracts, and summarised the same way.
func cmdLoadAttendance(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 {
		return usagef("load attendance takes one or more files: pme load attendance FILE...")
	}
	sum, err := a.env.LoadAttendance(ctx, args)
	if err != nil {
		return err
	}
	if a.g.json {
		return a.printJSON(sum)
	}
	a.printIngest(sum)
	return nil
}
