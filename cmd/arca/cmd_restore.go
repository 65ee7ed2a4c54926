package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/serverapi"
)

type serverRestoreFlags struct {
	target    string
	paths     []string
	overwrite string
	start     startFlags
}

func newRestoreCmd(m *Main) *cobra.Command {
	var f serverRestoreFlags
	cmd := &cobra.Command{
		Use:   "restore SNAPSHOT --target PATH",
		Short: "Restore a snapshot on the server's machine, as a task",
		Long: "Restore SNAPSHOT (its id, or a unique prefix of at least 8 hex digits, as arca snapshot ls shows it) into\n" +
			"the directory --target on the server's machine. The server restores only under its allowed restore roots\n" +
			"(arca server --restore-root) and never writes outside the target. --path restores only that path of the\n" +
			"snapshot (repeat for several). Existing files are kept unless --overwrite says otherwise (if-changed,\n" +
			"always; a bare --overwrite is always). With --wait, the exit code says how it ended.\n\n" +
			"To restore from a repository without a server, see arca repo restore.",
		Example: "  arca restore 1a2b3c4d --target /var/restores/www --path /www/index.html --wait",
		Args:    args(cobra.ExactArgs(1)),
		RunE:    func(cmd *cobra.Command, a []string) error { return m.serverRestore(cmd.Context(), a[0], f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.target, "target", "", "directory to restore into, on the server's machine (required)")
	fl.StringArrayVar(&f.paths, "path", nil, "only this path of the snapshot (repeat for several)")
	fl.StringVar(&f.overwrite, "overwrite", "", "files already at the target: never (default), if-changed, always")
	fl.Lookup("overwrite").NoOptDefVal = "always"
	f.start.register(fl)
	return cmd
}

func (m *Main) serverRestore(ctx context.Context, snapshot string, f serverRestoreFlags) error {
	if f.target == "" {
		return usageError{fmt.Errorf("give the directory to restore into with --target")}
	}
	switch f.overwrite {
	case "", "never", "if-changed", "always":
	default:
		return usageError{fmt.Errorf("--overwrite %q: use never, if-changed or always", f.overwrite)}
	}
	c, err := m.client()
	if err != nil {
		return err
	}
	req := serverapi.RestoreRequest{SnapshotID: snapshot, Paths: f.paths, Target: serverapi.RestoreTarget{Path: f.target}, Overwrite: f.overwrite}
	a, err := c.Restore(ctx, req, f.start.opts()...)
	if err != nil {
		return err
	}
	return m.started(ctx, c, a, "snapshot "+short(snapshot), f.start)
}
