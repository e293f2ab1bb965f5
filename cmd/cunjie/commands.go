package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/api"
)

// openForCommand opens the store for a one-shot command.
func openForCommand(ctx context.Context, name string, args []string, getenv func(string) string, stderr io.Writer) (*Main, error) {
	cfg, err := parseConfig(name, args, getenv)
	if err != nil {
		return nil, err
	}
	m := NewMain(cfg, io.Discard, stderr)
	m.Store, err = m.openStore(ctx)
	return m, err
}

func cmdDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	m, err := openForCommand(ctx, "demo", args, getenv, stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	m.stdout = stdout
	if err := m.ensureAdmin(ctx); err != nil {
		return err
	}
	if err := loadDemo(ctx, m.Store, m.Config.DataDir, stdout, m.log); err != nil {
		return err
	}
	srv, err := api.New(ctx, api.Options{Store: m.Store, Logger: m.log})
	if err != nil {
		return err
	}
	defer srv.Close()
	return loadDemoFeaturesAs(ctx, m.Store, srv, m.log)
}

func cmdImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	flags, files := splitArgs(args)
	if len(files) != 1 {
		return fmt.Errorf("import needs one FILE (GeoJSON or KML)\n%s", usage)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		return err
	}
	m, err := openForCommand(ctx, "import", flags, getenv, stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	n, err := api.ImportVillages(ctx, m.Store, data)
	if err != nil {
		if de, ok := err.(*cunjie.Error); ok && len(de.Fields) > 0 {
			var lines []string
			for k, v := range de.Fields {
				lines = append(lines, "  "+k+": "+v)
			}
			return fmt.Errorf("import refused, nothing stored:\n%s", strings.Join(lines, "\n"))
		}
		return err
	}
	fmt.Fprintf(stdout, "imported %d villages from %s\n", n, files[0])
	return nil
}

func cmdUser(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return fmt.Errorf("user: only 'user add' is known\n%s", usage)
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	username := fs.String("username", "", "login name")
	name := fs.String("name", "", "the person's name")
	role := fs.String("role", "", "admin, inspector or cleaner")
	villages := fs.String("villages", "", "comma-separated village codes (cleaners)")
	password := fs.String("password", "", "password; empty generates one ($CUNJIE_USER_PASSWORD)")
	// The store's own flags go to parseConfig.
	var storeArgs, own []string
	flags, rest := splitArgs(args[1:])
	if len(rest) > 0 {
		return fmt.Errorf("user add: unexpected argument %q", rest[0])
	}
	for i := 0; i < len(flags); i++ {
		name := strings.TrimLeft(strings.SplitN(flags[i], "=", 2)[0], "-")
		target := &own
		if fs.Lookup(name) == nil {
			target = &storeArgs
		}
		*target = append(*target, flags[i])
		if !strings.Contains(flags[i], "=") && i+1 < len(flags) && !strings.HasPrefix(flags[i+1], "-") {
			*target = append(*target, flags[i+1])
			i++
		}
	}
	if err := fs.Parse(own); err != nil {
		return err
	}
	pw := *password
	if pw == "" {
		pw = getenv("CUNJIE_USER_PASSWORD")
	}
	generated := pw == ""
	if generated {
		pw = randomPassword()
	}
	u := &cunjie.User{Username: *username, Name: *name, Role: cunjie.Role(*role)}
	if *villages != "" {
		u.Villages = strings.Split(*villages, ",")
	}
	m, err := openForCommand(ctx, "user", storeArgs, getenv, stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.Store.CreateUser(ctx, u, pw); err != nil {
		return err
	}
	if generated {
		fmt.Fprintf(stdout, "created %s (%s), password: %s\n", u.Username, u.Role, pw)
	} else {
		fmt.Fprintf(stdout, "created %s (%s)\n", u.Username, u.Role)
	}
	return nil
}
