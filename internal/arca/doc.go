// Package arca is Arca's domain: the types every other package speaks
// (tenants, principals, tasks and their states, progress, operations) and the
// coded application error that crosses every boundary.
//
// It imports the standard library only. It knows nothing of SQL, S3 or HTTP:
// behaviour that needs only a value is a method on its type.
package arca
