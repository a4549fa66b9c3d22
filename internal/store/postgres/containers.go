package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/inventory"
	"github.com/cordbank/cordbank/bank/unit"
	"github.com/cordbank/cordbank/internal/store/rowenc"
	"github.com/jackc/pgx/v5"
)

// Storage hierarchy, unit locations and tank temperatures.

func scanContainer(row pgx.Row) (*inventory.Container, error) {
	var r rowenc.ContainerRow
	if err := row.Scan(r.Dest()...); err != nil {
		return nil, err
	}
	return r.Container(), nil
}

// containerConflict translates a constraint violation of containers by
// the constraint's name.
func containerConflict(err error, c *inventory.Container, op string) error {
	code, constraint := constraintOf(err)
	switch {
	case code == uniqueViolation && constraint == "containers_label":
		return bank.NewError(bank.KindAlreadyExists, bank.ReasonLabelAlreadyExists,
			"another container of the bank has this label", "label", c.Label, "container", c.Name())
	case code == uniqueViolation && constraint == "containers_position":
		return bank.NewError(bank.KindFailedPrecondition, bank.ReasonPositionOccupied,
			"the position is taken", "container", inventory.ContainerName(c.Bank, c.Parent), "position", c.ParentPosition)
	case code == uniqueViolation:
		return bank.NewError(bank.KindAlreadyExists, bank.ReasonContainerAlreadyExists,
			"a container with this id exists", "name", c.Name())
	case code == foreignKeyViolation:
		return bank.NewError(bank.KindNotFound, bank.ReasonContainerNotFound, "parent container or bank not found",
			"name", c.Name(), "parent", c.Parent)
	}
	return translate(err, op)
}

// GetContainer implements bank.ReadTx.
func (t *txn) GetContainer(ctx context.Context, bankID, id string) (*inventory.Container, error) {
	c, err := scanContainer(t.tx.QueryRow(t.c(ctx), `SELECT `+rowenc.ContainerColumns+` FROM containers WHERE bank_id = $1 AND id = $2`, bankID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, rowenc.ContainerNotFound(bankID, id)
	}
	if err != nil {
		return nil, translate(err, "get container")
	}
	return c, nil
}

// ListContainers implements bank.ReadTx.
func (t *txn) ListContainers(ctx context.Context, q bank.ContainerQuery) ([]*inventory.Container, error) {
	var b query
	b.sql(`SELECT `, rowenc.ContainerColumns, ` FROM containers WHERE bank_id = `, b.arg(q.Bank), ` AND id > `, b.arg(q.AfterID))
	switch {
	case q.Parent != "":
		b.sql(` AND parent_id = `, b.arg(q.Parent))
	case q.TopLevel:
		b.sql(` AND parent_id IS NULL`)
	}
	b.sql(` ORDER BY id`)
	if q.Limit > 0 {
		b.sql(` LIMIT `, b.arg(q.Limit))
	}
	rows, err := t.tx.Query(t.c(ctx), b.b.String(), b.args...)
	return collect(rows, err, "list containers", func(r pgx.Rows) (*inventory.Container, error) { return scanContainer(r) })
}

// InsertContainer implements bank.Tx.
func (t *txn) InsertContainer(ctx context.Context, c *inventory.Container) error {
	_, err := t.guarded(ctx, `INSERT INTO containers (`+rowenc.ContainerColumns+`) VALUES (`+placeholders(1, 16)+`)`, rowenc.ContainerArgs(c)...)
	if err != nil {
		return containerConflict(err, c, "insert container")
	}
	return nil
}

// UpdateContainer implements bank.Tx.
func (t *txn) UpdateContainer(ctx context.Context, c *inventory.Container) error {
	args := rowenc.ContainerArgs(c)
	tag, err := t.guarded(ctx, `UPDATE containers SET kind = $1, parent_id = $2, parent_position = $3, label = $4, layout_kind = $5,
		grid_rows = $6, grid_columns = $7, slots = $8, capacity = $9, min_celsius = $10, max_celsius = $11, create_time = $12, update_time = $13, version = $14
		WHERE bank_id = $15 AND id = $16`, append(args[2:], c.Bank, c.ID)...)
	if err != nil {
		return containerConflict(err, c, "update container")
	}
	if tag.RowsAffected() == 0 {
		return rowenc.ContainerNotFound(c.Bank, c.ID)
	}
	return nil
}

const placementColumns = `bank_id, din, container_id, position, since`

func scanPlacement(rows pgx.Rows) (*bank.Placement, error) {
	var p bank.Placement
	var din string
	var pos sql.NullString
	var since int64
	if err := rows.Scan(&p.Bank, &din, &p.Container, &pos, &since); err != nil {
		return nil, err
	}
	p.DIN, p.Position, p.Since = unit.DIN(din), pos.String, time.Unix(0, since).UTC()
	return &p, nil
}

func (t *txn) placements(ctx context.Context, sql string, args ...any) ([]*bank.Placement, error) {
	rows, err := t.tx.Query(t.c(ctx), `SELECT `+placementColumns+` FROM unit_locations `+sql, args...)
	return collect(rows, err, "list placements", scanPlacement)
}

// GetPlacement implements bank.ReadTx.
func (t *txn) GetPlacement(ctx context.Context, bankID string, din unit.DIN) (*bank.Placement, error) {
	ps, err := t.placements(ctx, `WHERE din = $1 AND bank_id = $2`, string(din), bankID)
	if err != nil || len(ps) == 0 {
		return nil, err
	}
	return ps[0], nil
}

// ListPlacements implements bank.ReadTx; the containers go as one array
// parameter, however many.
func (t *txn) ListPlacements(ctx context.Context, bankID string, containers []string) ([]*bank.Placement, error) {
	if containers == nil {
		return t.placements(ctx, `WHERE bank_id = $1 ORDER BY container_id, position`, bankID)
	}
	return t.placements(ctx, `WHERE bank_id = $1 AND container_id = ANY($2) ORDER BY container_id, position`, bankID, containers)
}

// CountPlacements implements bank.ReadTx.
func (t *txn) CountPlacements(ctx context.Context, bankID string) (map[string]int, error) {
	rows, err := t.tx.Query(t.c(ctx), `SELECT container_id, count(*) FROM unit_locations WHERE bank_id = $1 GROUP BY container_id`, bankID)
	type count struct {
		id string
		n  int
	}
	cs, err := collect(rows, err, "count placements", func(r pgx.Rows) (c count, err error) { return c, r.Scan(&c.id, &c.n) })
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(cs))
	for _, c := range cs {
		out[c.id] = c.n
	}
	return out, nil
}

// PutPlacement implements bank.Tx.
func (t *txn) PutPlacement(ctx context.Context, p *bank.Placement) error {
	_, err := t.guarded(ctx, `INSERT INTO unit_locations (`+placementColumns+`) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (din) DO UPDATE SET bank_id = excluded.bank_id, container_id = excluded.container_id, position = excluded.position, since = excluded.since`,
		p.Bank, string(p.DIN), p.Container, rowenc.NullString(p.Position), p.Since.UnixNano())
	switch code, _ := constraintOf(err); {
	case err == nil:
		return nil
	case code == uniqueViolation:
		return bank.NewError(bank.KindFailedPrecondition, bank.ReasonPositionOccupied, "the position is taken by another unit",
			"container", inventory.ContainerName(p.Bank, p.Container), "position", p.Position)
	case code == foreignKeyViolation:
		return bank.NewError(bank.KindNotFound, bank.ReasonContainerNotFound, "container or unit not found",
			"container", inventory.ContainerName(p.Bank, p.Container), "din", string(p.DIN))
	}
	return translate(err, "put placement")
}

// DeletePlacement implements bank.Tx.
func (t *txn) DeletePlacement(ctx context.Context, bankID string, din unit.DIN) error {
	_, err := t.tx.Exec(t.c(ctx), `DELETE FROM unit_locations WHERE din = $1 AND bank_id = $2`, string(din), bankID)
	return translate(err, "delete placement")
}

// InsertReading implements bank.Tx.
func (t *txn) InsertReading(ctx context.Context, r *inventory.TemperatureReading) error {
	_, err := t.tx.Exec(t.c(ctx), `INSERT INTO temperature_readings (bank_id, container_id, time, celsius) VALUES ($1, $2, $3, $4)`,
		r.Bank, r.Container, r.Time.UnixNano(), r.Celsius)
	return translate(err, "insert reading")
}

const excursionColumns = `id, bank_id, container_id, start_time, end_time, min_celsius, max_celsius, lowest_celsius, highest_celsius, readings, units_exposed`

func scanExcursion(rows pgx.Rows) (*inventory.Excursion, error) {
	var e inventory.Excursion
	var start int64
	var end sql.NullInt64
	var minC, maxC sql.NullFloat64
	if err := rows.Scan(&e.ID, &e.Bank, &e.Container, &start, &end, &minC, &maxC, &e.LowestCelsius, &e.HighestCelsius, &e.Readings, &e.UnitsExposed); err != nil {
		return nil, err
	}
	e.StartTime, e.EndTime = time.Unix(0, start).UTC(), rowenc.TimeOf(end)
	e.MinCelsius, e.MaxCelsius = rowenc.Ptr(minC), rowenc.Ptr(maxC)
	return &e, nil
}

func (t *txn) excursions(ctx context.Context, sql string, args ...any) ([]*inventory.Excursion, error) {
	rows, err := t.tx.Query(t.c(ctx), `SELECT `+excursionColumns+` FROM excursions `+sql, args...)
	return collect(rows, err, "list excursions", scanExcursion)
}

// GetOpenExcursion implements bank.ReadTx.
func (t *txn) GetOpenExcursion(ctx context.Context, bankID, container string) (*inventory.Excursion, error) {
	es, err := t.excursions(ctx, `WHERE bank_id = $1 AND container_id = $2 AND end_time IS NULL`, bankID, container)
	if err != nil || len(es) == 0 {
		return nil, err
	}
	return es[0], nil
}

// ListExcursions implements bank.ReadTx.
func (t *txn) ListExcursions(ctx context.Context, q bank.ExcursionQuery) ([]*inventory.Excursion, error) {
	if q.Limit <= 0 {
		return nil, nil
	}
	var b query
	b.sql(`WHERE bank_id = `, b.arg(q.Bank), ` AND id > `, b.arg(q.AfterID))
	if q.Container != "" {
		b.sql(` AND container_id = `, b.arg(q.Container))
	}
	if q.Open != nil && *q.Open {
		b.sql(` AND end_time IS NULL`)
	} else if q.Open != nil {
		b.sql(` AND end_time IS NOT NULL`)
	}
	b.sql(` ORDER BY id LIMIT `, b.arg(q.Limit))
	return t.excursions(ctx, b.b.String(), b.args...)
}

// InsertExcursion implements bank.Tx and sets e.ID.
func (t *txn) InsertExcursion(ctx context.Context, e *inventory.Excursion) error {
	c := t.c(ctx)
	// RETURNING goes through guarded's savepoint as a query, so the
	// savepoint is taken by hand here.
	if _, err := t.tx.Exec(c, `SAVEPOINT guard`); err != nil {
		return translate(err, "insert excursion")
	}
	err := t.tx.QueryRow(c, `INSERT INTO excursions (bank_id, container_id, start_time, end_time, min_celsius, max_celsius, lowest_celsius, highest_celsius, readings, units_exposed)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`, e.Bank, e.Container, e.StartTime.UnixNano(), rowenc.NullTime(e.EndTime),
		rowenc.NullFloat(e.MinCelsius), rowenc.NullFloat(e.MaxCelsius), e.LowestCelsius, e.HighestCelsius, e.Readings, e.UnitsExposed).Scan(&e.ID)
	if err != nil {
		_, _ = t.tx.Exec(c, `ROLLBACK TO SAVEPOINT guard; RELEASE SAVEPOINT guard`)
		if code, _ := constraintOf(err); code == uniqueViolation {
			return bank.NewError(bank.KindFailedPrecondition, bank.ReasonFailedPrecondition, "the tank already has an open excursion",
				"container", inventory.ContainerName(e.Bank, e.Container))
		}
		return translate(err, "insert excursion")
	}
	_, err = t.tx.Exec(c, `RELEASE SAVEPOINT guard`)
	return translate(err, "insert excursion")
}

// UpdateExcursion implements bank.Tx.
func (t *txn) UpdateExcursion(ctx context.Context, e *inventory.Excursion) error {
	_, err := t.tx.Exec(t.c(ctx), `UPDATE excursions SET end_time = $1, lowest_celsius = $2, highest_celsius = $3, readings = $4, units_exposed = $5 WHERE id = $6`,
		rowenc.NullTime(e.EndTime), e.LowestCelsius, e.HighestCelsius, e.Readings, e.UnitsExposed, e.ID)
	return translate(err, "update excursion")
}
