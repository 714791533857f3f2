package main

import (
	"context"

	"pme"
	"pme/web"
)

// cmdServe is `pme serve` (web.md): the web application on web.addr until SIGINT/SIGTERM.
func cmdServe(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 {
		return usagef("serve takes no arguments (set web.addr in the configuration)")
	}
	var opt web.Options
	if first(a.g.today, a.getenv("PME_TODAY")) != "" {
		today := a.env.Today
		opt.Today = func() pme.Date { return today }
	}
	srv, err := web.New(a.env, opt)
	if err != nil {
		return err
	}
	if err := web.CheckListen(a.cfg.Web); err != nil {
		return usagef("%v", err)
	}
	scheme := "http"
	if a.cfg.Web.TLSCert != "" {
		scheme = "https"
	}
	a.say("Serving on %s://%s (stop with Ctrl-C). Add a user first with: pme user add EMAIL --name NAME --role ROLE", scheme, a.cfg.Web.Addr)
	return srv.Serve(ctx)
}
