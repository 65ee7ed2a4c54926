package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/apiclient"
)

type downloadFlags struct {
	output  string
	archive string
	resume  bool
	force   bool
}

func (m *Main) snapshotDownloadCmd() *cobra.Command {
	var f downloadFlags
	cmd := &cobra.Command{
		Use:   "download SNAPSHOT PATH",
		Short: "Download one file of a snapshot, or a directory as a tar or zip archive",
		Long: "Download the file at PATH in SNAPSHOT to --output (default: its name, in the current directory; - for\n" +
			"standard output). A broken transfer is resumed where it stopped; --resume continues a partial file\n" +
			"left by an earlier run. With --archive tar|zip, stream the directory at PATH (/ for all) as an archive\n" +
			"(default output: its name with .tar or .zip).",
		Example: "  arca snapshot download 1a2b3c4d /www/index.html -o index.html\n" +
			"  arca snapshot download 1a2b3c4d /www --archive tar -o - | tar -xf -",
		Args: args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, a []string) error { return m.snapshotDownload(cmd.Context(), a[0], a[1], f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "", "file to write (- for standard output)")
	fl.StringVar(&f.archive, "archive", "", "stream the directory at PATH as an archive: tar or zip")
	fl.BoolVar(&f.resume, "resume", false, "continue a partial file at --output instead of refusing to overwrite it")
	fl.BoolVar(&f.force, "force", false, "overwrite --output if it exists")
	return cmd
}

func (m *Main) snapshotDownload(ctx context.Context, snapshot, p string, f downloadFlags) error {
	switch {
	case f.archive != "" && f.archive != "tar" && f.archive != "zip":
		return usageError{fmt.Errorf("--archive %q: use tar or zip", f.archive)}
	case f.archive != "" && f.resume:
		return usageError{errors.New("an archive is made on the fly and cannot be resumed: drop --resume")}
	case f.resume && f.force:
		return usageError{errors.New("give --resume or --force, not both")}
	}
	out := downloadOutput(p, f)
	c, err := m.client()
	if err != nil {
		return err
	}
	w, offset, closeFn, err := m.openOutput(out, f)
	if err != nil {
		return err
	}
	var n, size int64
	if f.archive != "" {
		n, err = c.DownloadArchive(ctx, snapshot, p, f.archive, w)
		size = n
	} else {
		n, size, err = c.DownloadFile(ctx, snapshot, p, w, offset)
	}
	if cerr := closeFn(); err == nil {
		err = cerr
	}
	if err != nil {
		if out != "-" && n+offset == 0 {
			_ = os.Remove(out) // nothing came: leave no empty file behind
		}
		if out != "-" && n+offset > 0 && f.archive == "" {
			fmt.Fprintf(m.Stderr, "%s holds the first %d bytes: run again with --resume to continue.\n", out, n+offset)
		}
		return err
	}
	if out != "-" {
		fmt.Fprintf(m.Stdout, "Wrote %s to %s (%s transferred).\n", humanBytes(size), out, humanBytes(n))
	}
	return nil
}

// downloadOutput is the file a download writes: --output, or the last
// element of the path (with the archive's extension).
func downloadOutput(p string, f downloadFlags) string {
	if f.output != "" {
		return f.output
	}
	name := path.Base(path.Clean("/" + p))
	if name == "/" {
		name = "snapshot"
	}
	if f.archive != "" {
		name += "." + f.archive
	}
	return name
}

// openOutput opens the download's destination and returns where to write,
// the offset to resume at, and how to close it.
func (m *Main) openOutput(out string, f downloadFlags) (io.Writer, int64, func() error, error) {
	if out == "-" {
		return m.Stdout, 0, func() error { return nil }, nil
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	switch {
	case f.force:
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	case f.resume:
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	file, err := os.OpenFile(out, flags, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, 0, nil, usageError{fmt.Errorf("%s exists: give --resume to continue it, --force to overwrite it, or another --output", out)}
	}
	if err != nil {
		return nil, 0, nil, fmt.Errorf("open the output: %w", err)
	}
	var offset int64
	if f.resume {
		st, err := file.Stat()
		if err != nil {
			file.Close()
			return nil, 0, nil, fmt.Errorf("open the output: %w", err)
		}
		offset = st.Size()
	}
	return file, offset, func() error {
		if err := file.Sync(); err != nil {
			file.Close()
			return fmt.Errorf("write %s: %w", out, err)
		}
		return file.Close()
	}, nil
}

func (m *Main) snapshotRmCmd() *cobra.Command {
	var f startFlags
	cmd := &cobra.Command{
		Use:   "rm SNAPSHOT...",
		Short: "Forget snapshots (a task each; arca prune frees their data)",
		Args:  args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			return m.forgetSnapshots(cmd.Context(), c, a, f)
		},
	}
	f.register(cmd.Flags())
	return cmd
}

// forgetSnapshots starts a forget per snapshot, one after the other; with
// --wait each is followed to its end, and the first that does not succeed
// stops the rest.
func (m *Main) forgetSnapshots(ctx context.Context, c *apiclient.Client, ids []string, f startFlags) error {
	if f.key != "" && len(ids) > 1 {
		return usageError{errors.New("an --idempotency-key names one request: forget one snapshot at a time with it")}
	}
	for _, id := range ids {
		a, err := c.ForgetSnapshot(ctx, id, f.opts()...)
		if err != nil {
			return err
		}
		if err := m.started(ctx, c, a, "snapshot "+short(id), f); err != nil {
			return err
		}
	}
	return nil
}
