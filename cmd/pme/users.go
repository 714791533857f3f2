package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"pme"
)

func userFlags(fs *flag.FlagSet) {
	fs.String("name", "", "the user's name (user add)")
	fs.String("role", "", "viewer, officer, practitioner or admin (user add; user reset to change it)")
}

// cmdUser is `pme user add|disable|enable|reset|list` (web.md).
func cmdUser(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 {
		return usagef("user: want add, disable, enable, reset or list")
	}
	name := a.flags.Lookup("name").Value.String()
	role := a.flags.Lookup("role").Value.String()
	sub, args := args[0], args[1:]
	if sub == "list" {
		if len(args) > 0 {
			return usagef("user list takes no arguments")
		}
		return a.listUsers(ctx)
	}
	if len(args) != 1 {
		return usagef("user %s: want one e-mail address", sub)
	}
	email := args[0]
	var (
		u   pme.User
		err error
	)
	switch sub {
	case "add":
		if role == "" {
			return usagef("user add: give --role %s", strings.Join(pme.Roles, "|"))
		}
		pw, perr := a.readPassword()
		if perr != nil {
			return perr
		}
		u, err = a.env.AddUser(ctx, email, name, role, pw)
	case "disable", "enable":
		disabled := sub == "disable"
		u, err = a.env.ChangeUser(ctx, email, &disabled, "", "")
	case "reset":
		pw, perr := a.readPassword()
		if perr != nil {
			return perr
		}
		u, err = a.env.ChangeUser(ctx, email, nil, pw, role)
	default:
		return usagef("user: unknown subcommand %q: want add, disable, enable, reset or list", sub)
	}
	if err != nil {
		return err
	}
	if a.g.json {
		return a.printJSON(u)
	}
	state := map[string]string{"add": "added", "disable": "disabled (signed out everywhere)", "enable": "enabled",
		"reset": "has a new password (signed out everywhere)"}[sub]
	a.say("User %s (%s) %s.", u.Email, u.Role, state)
	return nil
}

func (a *app) listUsers(ctx context.Context) error {
	users, err := a.env.Users(ctx)
	if err != nil {
		return err
	}
	if a.g.json {
		if users == nil {
			users = []pme.User{}
		}
		return a.printJSON(map[string]any{"users": users})
	}
	if len(users) == 0 {
		a.say("No users yet: pme user add EMAIL --name NAME --role admin")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EMAIL\tNAME\tROLE\tSTATE\tADDED")
	for _, u := range users {
		state := "active"
		switch {
		case u.Disabled:
			state = "disabled"
		case a.env.Now().Before(u.LockedUntil):
			state = "locked until " + u.LockedUntil.Local().Format("15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Email, u.Name, u.Role, state, u.Created.Local().Format("2006-01-02"))
	}
	return tw.Flush()
}

// readPassword asks for the password twice on a terminal, without echo; otherwise it reads the
// first line of standard input (for scripts), so that a password is never a command-line argument.
func (a *app) readPassword() (string, error) {
	if f, ok := a.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(a.stderr, "Password (at least 12 characters): ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(a.stderr, "Again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(p1) != string(p2) {
			return "", usagef("the two passwords differ: nothing changed")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
	if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
		return "", usagef("give the password on the first line of standard input (or run on a terminal to be asked)")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
