package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"

	"github.com/arcabackup/arca/internal/serverapi"
)

func TestPrunePolicy(t *testing.T) {
	tests := []struct {
		args  []string
		want  *serverapi.Policy
		usage bool
	}{
		{nil, nil, false},
		{[]string{"--dry-run"}, nil, false},
		{[]string{"--keep-last", "3", "--keep-daily", "7"}, &serverapi.Policy{Last: 3, Daily: 7}, false},
		{[]string{"--keep-last", "0"}, nil, true}, // a policy that keeps nothing is refused, not run
		{[]string{"--keep-within", "30d", "--keep-tag", "a,b", "--keep-tag", "gold"},
			&serverapi.Policy{Within: "30d", Tags: [][]string{{"a", "b"}, {"gold"}}}, false},
		{[]string{"--keep-weekly", "-1"}, nil, true},
		{[]string{"--keep-within", "a while"}, nil, true},
	}
	for _, tt := range tests {
		var f serverPruneFlags
		fl := pflag.NewFlagSet("prune", pflag.ContinueOnError)
		f.register(fl)
		if err := fl.Parse(tt.args); err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		got, err := prunePolicy(fl, f)
		if tt.usage {
			if ExitCode(err) != ExitUsage {
				t.Errorf("%v: %+v, %v; want a usage error", tt.args, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tt.args, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%v: policy (-want +got):\n%s", tt.args, diff)
		}
	}
}
