package ops

import (
	"errors"
	"testing"

	"github.com/arcabackup/arca/internal/arca"
)

func TestSelftestParamsValidate(t *testing.T) {
	cases := []struct {
		name      string
		in        SelftestParams
		wantField string // "" = valid
		wantSteps int
	}{
		{"defaults", SelftestParams{}, "", 10},
		{"explicit", SelftestParams{DurationMS: 1000, Steps: 4}, "", 4},
		{"negative duration", SelftestParams{DurationMS: -1}, "duration_ms", 0},
		{"over an hour", SelftestParams{DurationMS: 3_600_001}, "duration_ms", 0},
		{"too many steps", SelftestParams{Steps: 10_001}, "steps", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := c.in
			err := p.Validate()
			if c.wantField == "" {
				if err != nil || p.Steps != c.wantSteps {
					t.Fatalf("Validate() = %v, steps %d; want nil, %d", err, p.Steps, c.wantSteps)
				}
				return
			}
			var ae *arca.Error
			if !errors.As(err, &ae) || ae.Code != arca.CodeInvalidArgument || len(ae.Fields) == 0 || ae.Fields[0].Field != c.wantField {
				t.Fatalf("Validate() = %v, want INVALID_ARGUMENT naming %s", err, c.wantField)
			}
		})
	}
}
