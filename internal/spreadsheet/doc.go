// Package spreadsheet reads and writes cord blood units as the files banks
// keep them in: CSV and XLSX sheets with one unit a row, under a column
// mapping that says which unit field each column fills and in which unit
// its numbers are written. It converts rows to and from the API's wire
// unit (cordbank.v1.Unit) and reports every problem of a row in the file's
// own terms (row, column, the cell's text); it never validates a unit
// itself (the domain does, through the API's import path) and never
// rescales a number the mapping does not tell it to.
//
// The mapping language, the default mapping (columns named by the API's
// JSON field names) and the conversions are documented on Mapping. Tables
// (Writer) serve exports and reports alike: CSV, XLSX or JSON.
//
// It depends on the wire types and excelize, never on bank/ or server/:
// the server composes it with the import path.
package spreadsheet
