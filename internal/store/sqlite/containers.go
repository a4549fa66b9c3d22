package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/inventory"
	"github.com/cordbank/cordbank/bank/unit"
	"github.com/cordbank/cordbank/internal/store/rowenc"
)

// Storage hierarchy, unit locations and tank temperatures (migration
// 0007). The statements run through the driver's per-connection statement
// cache (_stmt_cache_size) rather than the fixed set in txn.go.

const containerColumns = rowenc.ContainerColumns

type containerRow = rowenc.ContainerRow

var (
	containerArgs     = rowenc.ContainerArgs
	containerNotFound = rowenc.ContainerNotFound
)

// containerConflict translates a UNIQUE violation of the containers table.
func containerConflict(err error, c *inventory.Container, op string) error {
	msg, ok := isUnique(err)
	switch {
	case ok && strings.Contains(msg, "containers.label"):
		return bank.NewError(bank.KindAlreadyExists, bank.ReasonLabelAlreadyExists,
			"another container of the bank has this label", "label", c.Label, "container", c.Name())
	case ok && strings.Contains(msg, "containers.parent_position"):
		return bank.NewError(bank.KindFailedPrecondition, bank.ReasonPositionOccupied,
			"the position is taken", "container", inventory.ContainerName(c.Bank, c.Parent), "position", c.ParentPosition)
	case ok:
		return bank.NewError(bank.KindAlreadyExists, bank.ReasonContainerAlreadyExists,
			"a container with this id exists", "name", c.Name())
	case isForeignKey(err):
		return bank.NewError(bank.KindNotFound, bank.ReasonContainerNotFound, "parent container or bank not found",
			"name", c.Name(), "parent", c.Parent)
	}
	return translate(err, op)
}

// GetContainer implements bank.ReadTx.
func (t *txn) GetContainer(ctx context.Context, bankID, id string) (*inventory.Container, error) {
	var r containerRow
	err := t.tx.QueryRowContext(bounded(ctx), `SELECT `+containerColumns+` FROM containers WHERE bank_id = ? AND id = ?`, bankID, id).Scan(r.Dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, containerNotFound(bankID, id)
	}
	if err != nil {
		return nil, translate(err, "get container")
	}
	return r.Container(), nil
}

// ListContainers implements bank.ReadTx.
func (t *txn) ListContainers(ctx context.Context, q bank.ContainerQuery) ([]*inventory.Container, error) {
	var b strings.Builder
	b.WriteString(`SELECT ` + containerColumns + ` FROM containers WHERE bank_id = ? AND id > ?`)
	args := []any{q.Bank, q.AfterID}
	switch {
	case q.Parent != "":
		b.WriteString(` AND parent_id = ?`)
		args = append(args, q.Parent)
	case q.TopLevel:
		b.WriteString(` AND parent_id IS NULL`)
	}
	b.WriteString(` ORDER BY id`)
	if q.Limit > 0 {
		b.WriteString(` LIMIT ?`)
		args = append(args, q.Limit)
	}
	rows, err := t.tx.QueryContext(bounded(ctx), b.String(), args...)
	if err != nil {
		return nil, translate(err, "list containers")
	}
	defer rows.Close()
	var out []*inventory.Container
	for rows.Next() {
		var r containerRow
		if err := rows.Scan(r.Dest()...); err != nil {
			return nil, translate(err, "list containers")
		}
		out = append(out, r.Container())
	}
	return out, translate(rows.Err(), "list containers")
}

// InsertContainer implements bank.Tx.
func (t *txn) InsertContainer(ctx context.Context, c *inventory.Container) error {
	_, err := t.tx.ExecContext(bounded(ctx), `INSERT INTO containers (`+containerColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, containerArgs(c)...)
	if err != nil {
		return containerConflict(err, c, "insert container")
	}
	return nil
}

// UpdateContainer implements bank.Tx.
func (t *txn) UpdateContainer(ctx context.Context, c *inventory.Container) error {
	args := containerArgs(c)
	res, err := t.tx.ExecContext(bounded(ctx), `UPDATE containers SET kind = ?, parent_id = ?, parent_position = ?, label = ?, layout_kind = ?,
		grid_rows = ?, grid_columns = ?, slots = ?, capacity = ?, min_celsius = ?, max_celsius = ?, create_time = ?, update_time = ?, version = ?
		WHERE bank_id = ? AND id = ?`, append(args[2:], c.Bank, c.ID)...)
	if err != nil {
		return containerConflict(err, c, "update container")
	}
	if n, err := res.RowsAffected(); err != nil {
		return translate(err, "update container")
	} else if n == 0 {
		return containerNotFound(c.Bank, c.ID)
	}
	return nil
}

const placementColumns = `bank_id, din, container_id, position, since`

func scanPlacements(rows *sql.Rows, op string) ([]*bank.Placement, error) {
	defer rows.Close()
	var out []*bank.Placement
	for rows.Next() {
		var p bank.Placement
		var din string
		var pos sql.NullString
		var since int64
		if err := rows.Scan(&p.Bank, &din, &p.Container, &pos, &since); err != nil {
			return nil, translate(err, op)
		}
		p.DIN, p.Position, p.Since = unit.DIN(din), pos.String, time.Unix(0, since).UTC()
		out = append(out, &p)
	}
	return out, translate(rows.Err(), op)
}

// GetPlacement implements bank.ReadTx.
func (t *txn) GetPlacement(ctx context.Context, bankID string, din unit.DIN) (*bank.Placement, error) {
	rows, err := t.tx.QueryContext(bounded(ctx), `SELECT `+placementColumns+` FROM unit_locations WHERE din = ? AND bank_id = ?`, string(din), bankID)
	if err != nil {
		return nil, translate(err, "get placement")
	}
	ps, err := scanPlacements(rows, "get placement")
	if err != nil || len(ps) == 0 {
		return nil, err
	}
	return ps[0], nil
}

// ListPlacements implements bank.ReadTx. Large container lists are read
// in chunks to stay under SQLite's limit on bound parameters.
func (t *txn) ListPlacements(ctx context.Context, bankID string, containers []string) ([]*bank.Placement, error) {
	if containers == nil {
		rows, err := t.tx.QueryContext(bounded(ctx), `SELECT `+placementColumns+` FROM unit_locations WHERE bank_id = ? ORDER BY container_id, position`, bankID)
		if err != nil {
			return nil, translate(err, "list placements")
		}
		return scanPlacements(rows, "list placements")
	}
	var out []*bank.Placement
	for len(containers) > 0 {
		chunk := containers[:min(len(containers), 500)]
		containers = containers[len(chunk):]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, bankID)
		for _, c := range chunk {
			args = append(args, c)
		}
		q := `SELECT ` + placementColumns + ` FROM unit_locations WHERE bank_id = ? AND container_id IN (?` + strings.Repeat(", ?", len(chunk)-1) + `) ORDER BY container_id, position`
		rows, err := t.tx.QueryContext(bounded(ctx), q, args...)
		if err != nil {
			return nil, translate(err, "list placements")
		}
		ps, err := scanPlacements(rows, "list placements")
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
	}
	return out, nil
}

// CountPlacements implements bank.ReadTx.
func (t *txn) CountPlacements(ctx context.Context, bankID string) (map[string]int, error) {
	rows, err := t.tx.QueryContext(bounded(ctx), `SELECT container_id, count(*) FROM unit_locations WHERE bank_id = ? GROUP BY container_id`, bankID)
	if err != nil {
		return nil, translate(err, "count placements")
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, translate(err, "count placements")
		}
		out[id] = n
	}
	return out, translate(rows.Err(), "count placements")
}

// PutPlacement implements bank.Tx.
func (t *txn) PutPlacement(ctx context.Context, p *bank.Placement) error {
	_, err := t.tx.ExecContext(bounded(ctx), `INSERT INTO unit_locations (`+placementColumns+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (din) DO UPDATE SET bank_id = excluded.bank_id, container_id = excluded.container_id, position = excluded.position, since = excluded.since`,
		p.Bank, string(p.DIN), p.Container, nullString(p.Position), p.Since.UnixNano())
	if err == nil {
		return nil
	}
	if _, ok := isUnique(err); ok {
		return bank.NewError(bank.KindFailedPrecondition, bank.ReasonPositionOccupied, "the position is taken by another unit",
			"container", inventory.ContainerName(p.Bank, p.Container), "position", p.Position)
	}
	if isForeignKey(err) {
		return bank.NewError(bank.KindNotFound, bank.ReasonContainerNotFound, "container or unit not found",
			"container", inventory.ContainerName(p.Bank, p.Container), "din", string(p.DIN))
	}
	return translate(err, "put placement")
}

// DeletePlacement implements bank.Tx.
func (t *txn) DeletePlacement(ctx context.Context, bankID string, din unit.DIN) error {
	_, err := t.tx.ExecContext(bounded(ctx), `DELETE FROM unit_locations WHERE din = ? AND bank_id = ?`, string(din), bankID)
	return translate(err, "delete placement")
}

// InsertReading implements bank.Tx.
func (t *txn) InsertReading(ctx context.Context, r *inventory.TemperatureReading) error {
	_, err := t.tx.ExecContext(bounded(ctx), `INSERT INTO temperature_readings (bank_id, container_id, time, celsius) VALUES (?, ?, ?, ?)`,
		r.Bank, r.Container, r.Time.UnixNano(), r.Celsius)
	return translate(err, "insert reading")
}

const excursionColumns = `id, bank_id, container_id, start_time, end_time, min_celsius, max_celsius, lowest_celsius, highest_celsius, readings, units_exposed`

func scanExcursions(rows *sql.Rows) ([]*inventory.Excursion, error) {
	defer rows.Close()
	var out []*inventory.Excursion
	for rows.Next() {
		var e inventory.Excursion
		var start int64
		var end sql.NullInt64
		var minC, maxC sql.NullFloat64
		if err := rows.Scan(&e.ID, &e.Bank, &e.Container, &start, &end, &minC, &maxC, &e.LowestCelsius, &e.HighestCelsius, &e.Readings, &e.UnitsExposed); err != nil {
			return nil, translate(err, "scan excursion")
		}
		e.StartTime = time.Unix(0, start).UTC()
		if end.Valid {
			e.EndTime = time.Unix(0, end.Int64).UTC()
		}
		if minC.Valid {
			x := minC.Float64
			e.MinCelsius = &x
		}
		if maxC.Valid {
			x := maxC.Float64
			e.MaxCelsius = &x
		}
		out = append(out, &e)
	}
	return out, translate(rows.Err(), "list excursions")
}

// GetOpenExcursion implements bank.ReadTx.
func (t *txn) GetOpenExcursion(ctx context.Context, bankID, container string) (*inventory.Excursion, error) {
	rows, err := t.tx.QueryContext(bounded(ctx), `SELECT `+excursionColumns+` FROM excursions WHERE bank_id = ? AND container_id = ? AND end_time IS NULL`, bankID, container)
	if err != nil {
		return nil, translate(err, "get open excursion")
	}
	es, err := scanExcursions(rows)
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
	var b strings.Builder
	b.WriteString(`SELECT ` + excursionColumns + ` FROM excursions WHERE bank_id = ? AND id > ?`)
	args := []any{q.Bank, q.AfterID}
	if q.Container != "" {
		b.WriteString(` AND container_id = ?`)
		args = append(args, q.Container)
	}
	if q.Open != nil && *q.Open {
		b.WriteString(` AND end_time IS NULL`)
	} else if q.Open != nil {
		b.WriteString(` AND end_time IS NOT NULL`)
	}
	b.WriteString(` ORDER BY id LIMIT ?`)
	args = append(args, q.Limit)
	rows, err := t.tx.QueryContext(bounded(ctx), b.String(), args...)
	if err != nil {
		return nil, translate(err, "list excursions")
	}
	return scanExcursions(rows)
}

// InsertExcursion implements bank.Tx.
func (t *txn) InsertExcursion(ctx context.Context, e *inventory.Excursion) error {
	res, err := t.tx.ExecContext(bounded(ctx), `INSERT INTO excursions (bank_id, container_id, start_time, end_time, min_celsius, max_celsius, lowest_celsius, highest_celsius, readings, units_exposed)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.Bank, e.Container, e.StartTime.UnixNano(), nullTime(e.EndTime), nullFloat(e.MinCelsius), nullFloat(e.MaxCelsius),
		e.LowestCelsius, e.HighestCelsius, e.Readings, e.UnitsExposed)
	if err != nil {
		if _, ok := isUnique(err); ok {
			return bank.NewError(bank.KindFailedPrecondition, bank.ReasonFailedPrecondition, "the tank already has an open excursion",
				"container", inventory.ContainerName(e.Bank, e.Container))
		}
		return translate(err, "insert excursion")
	}
	id, err := res.LastInsertId()
	if err != nil {
		return translate(err, "insert excursion")
	}
	e.ID = id
	return nil
}

// UpdateExcursion implements bank.Tx.
func (t *txn) UpdateExcursion(ctx context.Context, e *inventory.Excursion) error {
	_, err := t.tx.ExecContext(bounded(ctx), `UPDATE excursions SET end_time = ?, lowest_celsius = ?, highest_celsius = ?, readings = ?, units_exposed = ? WHERE id = ?`,
		nullTime(e.EndTime), e.LowestCelsius, e.HighestCelsius, e.Readings, e.UnitsExposed, e.ID)
	return translate(err, "update excursion")
}
