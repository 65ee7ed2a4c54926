package server

import (
	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
)

// wireTask converts a domain task to its wire form. Params are left out:
// they may hold secrets.
func wireTask(t arca.Task) serverapi.Task {
	w := serverapi.Task{
		ID: t.ID, Tenant: t.Tenant, Operation: string(t.Operation),
		Target: serverapi.Target{Type: t.Target.Type, ID: t.Target.ID}, Parent: t.Parent,
		State: string(t.State), BlockedReason: t.BlockedReason, Progress: wireProgress(t.Progress),
		Cancelable: t.Cancelable && !t.State.IsFinal(), CancelRequested: t.CancelRequested,
		CreatedBy: t.CreatedBy, RequestID: t.RequestID, Attempt: t.Attempt,
		CreatedAt: t.CreatedAt, StartedAt: t.StartedAt, EndedAt: t.EndedAt, UpdatedAt: t.UpdatedAt,
		Result: t.Result, ResultType: t.ResultType, Warnings: t.Warnings,
	}
	if t.Error != nil {
		w.Error = &serverapi.TaskError{Code: string(t.Error.Code), Message: t.Error.Message, Details: t.Error.Details}
	}
	return w
}

func wireProgress(p arca.Progress) serverapi.Progress {
	return serverapi.Progress{Percent: p.Percent, Phase: p.Phase, BytesDone: p.BytesDone, BytesTotal: p.BytesTotal,
		ItemsDone: p.ItemsDone, ItemsTotal: p.ItemsTotal, ETASeconds: p.ETA}
}

func wireTasks(ts []arca.Task) []serverapi.Task {
	out := make([]serverapi.Task, len(ts))
	for i, t := range ts {
		out[i] = wireTask(t)
	}
	return out
}

func wirePrincipal(p arca.Principal) serverapi.Principal {
	roles := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		roles[i] = string(r)
	}
	return serverapi.Principal{ID: p.ID, Kind: p.Kind, Name: p.Name, Tenant: p.Tenant, Roles: roles}
}
