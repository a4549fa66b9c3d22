package server

import (
	"context"
	"net/http"
	"sync"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cordbank/cordbank/bank"
)

// Metrics are the server's Prometheus metrics, on a registry of their own
// (so two servers in one test process do not collide). Serve them with
// Handler on an admin listener, not the public one: counts of the search
// index and the writer move with private units too.
//
// What is measured:
//   - grpc_server_* (the gRPC ecosystem's interceptors): calls started and
//     handled by method and code, and handling latency histograms;
//   - cordbank_auth_failures_total, cordbank_rate_limited_total;
//   - cordbank_writer_*: the writes queued for SQLite's single writer,
//     commit latency, and writes per commit (group commit);
//   - cordbank_search_index_units, cordbank_search_index_build_seconds;
//   - cordbank_backup_last_success_timestamp_seconds and
//     cordbank_backup_failures_total, with scheduled backups;
//   - domain gauges: cordbank_units{bank,status,unit_type},
//     cordbank_reservations_open, cordbank_reservations_expiring_within_day,
//     cordbank_temperature_excursions_open (by bank);
//   - the Go runtime and process collectors.
type Metrics struct {
	Registry *prometheus.Registry

	grpc          *grpcprom.ServerMetrics
	authFailures  prometheus.Counter
	rateLimited   prometheus.Counter
	commitSeconds prometheus.Histogram
	commitWrites  prometheus.Histogram
	commitErrors  prometheus.Counter
	indexBuild    prometheus.Gauge
	backupOK      prometheus.Gauge
	backupFailed  prometheus.Counter
}

// NewMetrics returns the server's metrics, registered.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		grpc: grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram(
			grpcprom.WithHistogramBuckets([]float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}))),
		authFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "cordbank_auth_failures_total",
			Help: "Calls refused because their credentials were missing, unknown, revoked or expired."}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{Name: "cordbank_rate_limited_total",
			Help: "Calls refused by the per-principal rate limit."}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "cordbank_writer_commit_seconds",
			Help:    "Time from BEGIN to the end of COMMIT (fsync included) of the writer's transactions.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2}}),
		commitWrites: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "cordbank_writer_writes_per_commit",
			Help:    "Write calls committed together in one transaction (group commit).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256}}),
		commitErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "cordbank_writer_commit_errors_total",
			Help: "Transactions whose COMMIT failed (every write in them was answered with an error)."}),
		indexBuild: prometheus.NewGauge(prometheus.GaugeOpts{Name: "cordbank_search_index_build_seconds",
			Help: "How long building the search index from the store took at start."}),
		backupOK: prometheus.NewGauge(prometheus.GaugeOpts{Name: "cordbank_backup_last_success_timestamp_seconds",
			Help: "When the last scheduled backup was verified and kept (Unix time); absent without --backup-dir."}),
		backupFailed: prometheus.NewCounter(prometheus.CounterOpts{Name: "cordbank_backup_failures_total",
			Help: "Scheduled backups that failed (the log says why)."}),
	}
	m.Registry.MustRegister(m.grpc, m.authFailures, m.rateLimited, m.commitSeconds, m.commitWrites, m.commitErrors, m.indexBuild,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveCommit records one transaction of the writer; it is a
// sqlite.CommitObserver.
func (m *Metrics) ObserveCommit(writes int, took time.Duration, err error) {
	if err != nil {
		m.commitErrors.Inc()
		return
	}
	m.commitSeconds.Observe(took.Seconds())
	m.commitWrites.Observe(float64(writes))
}

// IndexBuilt records how long the search index took to build.
func (m *Metrics) IndexBuilt(d time.Duration) { m.indexBuild.Set(d.Seconds()) }

// WatchBackups registers the backup metrics (only a server that takes
// scheduled backups exports them, so "absent" means "not configured").
func (m *Metrics) WatchBackups() { m.Registry.MustRegister(m.backupOK, m.backupFailed) }

// BackupDone records a scheduled backup's outcome.
func (m *Metrics) BackupDone(at time.Time, err error) {
	if err != nil {
		m.backupFailed.Inc()
		return
	}
	m.backupOK.Set(float64(at.Unix()))
}

// WatchWriterQueue exports queued() as the writer's queue length.
func (m *Metrics) WatchWriterQueue(queued func() int64) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cordbank_writer_queued_writes",
		Help: "Write calls waiting for SQLite's single writer or running on it."}, func() float64 { return float64(queued()) }))
}

// WatchSearchIndex exports size() as the search index's size.
func (m *Metrics) WatchSearchIndex(size func() int) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cordbank_search_index_units",
		Help: "Units held by the in-memory search index."}, func() float64 { return float64(size()) }))
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

func (m *Metrics) authFailed() {
	if m != nil {
		m.authFailures.Inc()
	}
}

func (m *Metrics) limited() {
	if m != nil {
		m.rateLimited.Inc()
	}
}

// inventoryCollector exports the domain gauges (bank.InventoryCounts):
// units by bank, status and type, open reservations and those lapsing
// within a day, open temperature excursions. A scrape counts the
// registry; the counts are kept for inventoryTTL so frequent scrapes do
// not each scan a large registry.
type inventoryCollector struct {
	svc *bank.Service

	mu      sync.Mutex
	at      time.Time
	counts  *bank.InventoryCounts
	units   *prometheus.Desc
	open    *prometheus.Desc
	lapsing *prometheus.Desc
	excurs  *prometheus.Desc
	failed  *prometheus.Desc
}

const inventoryTTL = 15 * time.Second

// WatchInventory exports svc's inventory counts as gauges.
func (m *Metrics) WatchInventory(svc *bank.Service) {
	m.Registry.MustRegister(&inventoryCollector{svc: svc,
		units: prometheus.NewDesc("cordbank_units", "Units by bank, status and unit type.", []string{"bank", "status", "unit_type"}, nil),
		open: prometheus.NewDesc("cordbank_reservations_open", "Open reservations (active or shipment requested) by bank.",
			[]string{"bank"}, nil),
		lapsing: prometheus.NewDesc("cordbank_reservations_expiring_within_day", "Active reservations that lapse within 24 hours, by bank.",
			[]string{"bank"}, nil),
		excurs: prometheus.NewDesc("cordbank_temperature_excursions_open", "Open temperature excursions by bank.", []string{"bank"}, nil),
		failed: prometheus.NewDesc("cordbank_inventory_count_failed", "1 when the last inventory count failed (the gauges are then stale or absent).", nil, nil),
	})
}

func (c *inventoryCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.units, c.open, c.lapsing, c.excurs, c.failed} {
		ch <- d
	}
}

func (c *inventoryCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	failed := 0.0
	if c.counts == nil || time.Since(c.at) > inventoryTTL {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		counts, err := c.svc.InventoryCounts(ctx, 24*time.Hour)
		cancel()
		if err != nil {
			failed = 1
		} else {
			c.counts, c.at = counts, time.Now()
		}
	}
	ch <- prometheus.MustNewConstMetric(c.failed, prometheus.GaugeValue, failed)
	if c.counts == nil {
		return
	}
	// Every bank that holds units gets each gauge, zero included, so an
	// alert can tell "none" from "not measured".
	open, lapsing := map[string]int{}, map[string]int{}
	for _, u := range c.counts.Units {
		ch <- prometheus.MustNewConstMetric(c.units, prometheus.GaugeValue, float64(u.N), u.Bank, string(u.Status), string(u.Type))
		open[u.Bank], lapsing[u.Bank] = 0, 0
	}
	for _, r := range c.counts.Reservations {
		open[r.Bank], lapsing[r.Bank] = r.Open, r.ExpiringSoon
	}
	for b := range c.counts.OpenExcursions { // a tank of a bank with no units yet
		open[b], lapsing[b] = open[b], lapsing[b]
	}
	for b := range open {
		ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(open[b]), b)
		ch <- prometheus.MustNewConstMetric(c.lapsing, prometheus.GaugeValue, float64(lapsing[b]), b)
		ch <- prometheus.MustNewConstMetric(c.excurs, prometheus.GaugeValue, float64(c.counts.OpenExcursions[b]), b)
	}
}
