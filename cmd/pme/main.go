// Command pme finds the children who are not getting a full-time education in the returns schools
// send: it ingests reduced-timetable, alternative-provision and suspension returns, runs the risk
// rules into cases, and writes the flagged-case report and assurance letters. See README.md.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
