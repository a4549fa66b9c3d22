package rowenc

// Tables are the tables of the shared schema in an order that satisfies
// every foreign key when rows are copied table by table (containers
// reference their parent: a copier orders those rows parents first).
// schema_migrations is each store's own and is not copied.
var Tables = []string{
	"banks", "bank_fins", "units", "requests", "events", "reservations",
	"containers", "unit_locations", "temperature_readings", "excursions", "tokens",
}
