package bank_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
)

// BenchmarkReservationsUnderContention: 32 centres race to reserve 8
// units; each winner releases its hold at once, so the units are fought
// over again and again. It reports committed reservations per second and
// how many attempts lost (FAILED_PRECONDITION: someone else holds the
// unit). Every reservation and release is a durable SQLite commit with its
// audit events.
//
//	go test -run '^$' -bench ReservationsUnderContention -benchtime 1x ./bank
func BenchmarkReservationsUnderContention(b *testing.B) {
	const units, workers, attempts = 8, 32, 150
	e := newResEnvB(b, units)
	b.ResetTimer()
	for range b.N {
		var won, lost atomic.Int64
		start := time.Now()
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for a := range attempts {
					i := 1 + (w+a)%units
					res, err := e.svc.ReserveUnit(b.Context(), bank.ReserveRequest{Bank: "bank-a", DIN: e.din(i),
						TransplantCenter: fmt.Sprintf("tc-%d", w), PatientID: fmt.Sprintf("P-%d-%d", w, a), ExpireTime: e.clock.now().Add(24 * time.Hour)})
					if err != nil {
						if bank.KindOf(err) != bank.KindFailedPrecondition {
							b.Error(err)
							return
						}
						lost.Add(1)
						continue
					}
					won.Add(1)
					if _, err := e.svc.ChangeReservation(b.Context(), bank.ReservationChange{Bank: "bank-a", DIN: res.DIN, ID: res.ID, Action: lifecycle.ReservationRelease}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		sec := time.Since(start).Seconds()
		b.ReportMetric(float64(won.Load())/sec, "reservations/s")
		b.ReportMetric(float64(won.Load()+lost.Load())/sec, "attempts/s")
		b.ReportMetric(float64(lost.Load())/float64(won.Load()+lost.Load())*100, "%lost")
	}
}
