// Package rowenc encodes domain values into the column values of the SQL
// stores' tables and decodes them back: internal/store/sqlite and
// internal/store/postgres keep the same schema (one column per field,
// dates as 'YYYY-MM-DD' text, enums as their names, timestamps as integer
// nanoseconds since 1970 UTC, HLA as the submitted text, readings and
// change lists as JSON), so one encoding serves both and a database moved
// from one to the other (cordbank migrate-store) keeps every value, to the
// nanosecond, exactly as the audit trail hashed it.
//
// Values go out as plain Go values (string, int64, float64, nil for NULL)
// and come back through database/sql's Null types, which both drivers
// accept. The searchable projection (the columns a search index reads,
// for a server's index build) also comes back from PostgreSQL's raw wire
// values (SearchableRow.SetRaw: text, float8 and int8, binary or text),
// into pages of units whose memory is reused (SearchablePages). It
// imports the domain (bank) and internal/jsonenc, never a driver.
package rowenc
