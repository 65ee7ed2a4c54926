package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

const password = "bench-password"

// offline runs `arca repo` commands on one repository.
type offline struct {
	arca, repo, profiles string
}

// init creates the repository afresh.
func (o offline) init(ctx context.Context) error {
	if err := os.RemoveAll(o.repo); err != nil {
		return err
	}
	_, err := o.run(ctx, "init", "-q")
	return err
}

// backup times one `arca repo backup` of paths (the process's wall and
// CPU time).
func (o offline) backup(ctx context.Context, profile string, paths ...string) (sample, error) {
	args := []string{"backup", "-q"}
	if profile != "" {
		args = append(args, "--cpuprofile", filepath.Join(o.profiles, profile))
	}
	return o.run(ctx, append(args, paths...)...)
}

func (o offline) run(ctx context.Context, args ...string) (sample, error) {
	cmd := exec.CommandContext(ctx, o.arca, append([]string{"repo", "--repo", o.repo}, args...)...)
	cmd.Env = append(os.Environ(), "ARCA_PASSWORD="+password, "ARCA_REPOSITORY=", "ARCA_PASSWORD_FILE=")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if err != nil {
		return sample{}, fmt.Errorf("arca repo %v: %w: %s", args, err, out)
	}
	return sample{wall: took, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}, nil
}
