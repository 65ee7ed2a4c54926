package archiver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// StreamSnapshot builds a snapshot out of streams (a database dump, a
// command's output): each stream becomes one file in the snapshot's root.
// Add streams one after the other, then Commit. Nothing is visible in the
// repository until Commit succeeds; an abandoned StreamSnapshot leaves only
// unreferenced blobs, which prune collects.
type StreamSnapshot struct {
	a       *Archiver
	tmpl    repo.Snapshot
	started time.Time
	before  repo.SaveStats

	mu    sync.Mutex
	nodes []tree.Node

	bytesRead  atomic.Uint64
	bytesAdded atomic.Uint64
	dataBlobs  atomic.Uint64
	files      atomic.Uint64
	phase      atomic.Value // string
}

// Streams starts a snapshot of streams; template gives its descriptive
// fields (as SnapshotOptions.Template).
func (a *Archiver) Streams(template repo.Snapshot) *StreamSnapshot {
	s := &StreamSnapshot{a: a, tmpl: template, started: a.opts.Now(), before: a.repo.Stats()}
	s.phase.Store(PhaseBackup)
	return s
}

// SetLabel records a label on the snapshot (before Commit).
func (s *StreamSnapshot) SetLabel(key, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tmpl.Labels == nil {
		s.tmpl.Labels = map[string]string{}
	}
	s.tmpl.Labels[key] = value
}

// Progress returns how far the snapshot is; safe to call at any time from
// any goroutine.
func (s *StreamSnapshot) Progress() Progress {
	phase, _ := s.phase.Load().(string)
	read := s.bytesRead.Load()
	return Progress{Phase: phase, FilesDone: s.files.Load(), BytesDone: read, BytesRead: read,
		BytesAdded: s.bytesAdded.Load(), Elapsed: s.a.opts.Now().Sub(s.started)}
}

// Add reads rd to EOF, saving its content chunk by chunk (chunks are saved
// in parallel, with bounded memory), and records it as the root file name.
// It returns when every chunk is saved (not yet flushed).
func (s *StreamSnapshot) Add(ctx context.Context, name string, rd io.Reader) error {
	if err := tree.ValidName(name); err != nil {
		return arca.Errorf(arca.CodeInvalidArgument, "A stream cannot be called %q: give a plain file name.", name)
	}
	s.mu.Lock()
	for _, n := range s.nodes {
		if n.Name == name {
			s.mu.Unlock()
			return arca.Errorf(arca.CodeInvalidArgument, "Two streams of one backup are called %q.", name)
		}
	}
	s.mu.Unlock()
	now := s.a.opts.Now()
	ids, size, err := s.save(ctx, rd)
	if err != nil {
		return fmt.Errorf("save stream %s: %w", name, err)
	}
	n := tree.Node{Name: name, Type: tree.TypeFile, Mode: 0o600, Size: size, ModTime: now, ChangeTime: now,
		UID: uint32(os.Getuid()), GID: uint32(os.Getgid()), Links: 1, Content: make([]tree.ID, len(ids))}
	for i, id := range ids {
		n.Content[i] = id
	}
	s.mu.Lock()
	s.nodes = append(s.nodes, n)
	s.mu.Unlock()
	s.files.Add(1)
	return nil
}

// save chunks rd in this goroutine and saves the chunks on the archiver's
// savers; it returns the chunk ids in order and the stream's size.
func (s *StreamSnapshot) save(ctx context.Context, rd io.Reader) ([]repo.ID, uint64, error) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.a.opts.Savers + 1)
	inFlight := semaphore.NewWeighted(s.a.opts.MaxInFlight)
	ch := s.a.repo.NewChunker(&ctxReader{ctx: gctx, r: rd})
	var (
		idsMu sync.Mutex
		ids   []repo.ID
		size  uint64
	)
	for {
		chunk, err := ch.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			_ = g.Wait()
			return nil, 0, err
		}
		w := int64(len(chunk))
		if err := inFlight.Acquire(gctx, min(w, s.a.opts.MaxInFlight)); err != nil {
			break // gctx ended: g.Wait returns the cause
		}
		data := append([]byte(nil), chunk...)
		size += uint64(len(data))
		s.bytesRead.Add(uint64(len(data)))
		idsMu.Lock()
		idx := len(ids)
		ids = append(ids, repo.ID{})
		idsMu.Unlock()
		g.Go(func() error {
			defer inFlight.Release(min(w, s.a.opts.MaxInFlight))
			id, added, err := s.a.repo.SaveBlob(gctx, repo.DataBlob, data)
			if err != nil {
				return err
			}
			if added {
				s.dataBlobs.Add(1)
				s.bytesAdded.Add(uint64(len(data)))
			}
			idsMu.Lock()
			ids[idx] = id
			idsMu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, 0, err
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	return ids, size, nil
}

// Commit flushes the repository, saves the root tree and the snapshot, and
// returns it. With no stream added it fails: an empty backup is a mistake.
func (s *StreamSnapshot) Commit(ctx context.Context) (*Result, error) {
	s.mu.Lock()
	nodes := append([]tree.Node(nil), s.nodes...)
	s.mu.Unlock()
	if len(nodes) == 0 {
		return nil, arca.Errorf(arca.CodeInvalidArgument, "The backup produced no content.")
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	data, err := tree.Encode(&tree.Tree{Nodes: nodes})
	if err != nil {
		return nil, err
	}
	rootID, added, err := s.a.repo.SaveBlob(ctx, repo.TreeBlob, data)
	if err != nil {
		return nil, fmt.Errorf("save root tree: %w", err)
	}
	s.phase.Store(PhaseFlush)
	if err := s.a.repo.Flush(ctx); err != nil {
		return nil, fmt.Errorf("flush: %w", err)
	}
	sn := s.snapshot(rootID, nodes, added, uint64(len(data)))
	s.phase.Store(PhaseSnapshot)
	id, err := s.a.repo.SaveSnapshot(ctx, sn)
	if err != nil {
		return nil, fmt.Errorf("save snapshot: %w", err)
	}
	s.phase.Store(PhaseDone)
	return &Result{ID: id, Snapshot: sn}, nil
}

func (s *StreamSnapshot) snapshot(rootID repo.ID, nodes []tree.Node, treeAdded bool, treeLen uint64) *repo.Snapshot {
	s.mu.Lock()
	sn := s.tmpl
	s.mu.Unlock()
	if sn.Time.IsZero() {
		sn.Time = s.started
	}
	sn.Tree = rootID
	sn.ContentDigest = "ARCA-TREE:" + rootID.String()
	st := &sn.Stats
	for _, n := range nodes {
		st.Files++
		st.FilesNew++
		st.TotalBytes += n.Size
		sn.Paths = append(sn.Paths, n.Name)
	}
	st.BytesRead = s.bytesRead.Load()
	st.DataBlobsAdded = s.dataBlobs.Load()
	st.BytesAdded = s.bytesAdded.Load()
	if treeAdded {
		st.TreeBlobsAdded = 1
		st.BytesAdded += treeLen
	}
	st.BytesStored = s.a.repo.Stats().BytesStored - s.before.BytesStored
	st.Started = s.started
	st.Finished = s.a.opts.Now()
	return &sn
}

// ctxReader stops reading once ctx ends, so that a chunker reading a
// stream that never ends (a hung child process) returns.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
