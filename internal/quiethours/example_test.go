package quiethours_test

import (
	"fmt"
	"time"

	"github.com/convene/convene/internal/quiethours"
)

func ExampleWindow_Next() {
	w := quiethours.Window{Start: "22:00", End: "07:00", Timezone: "Asia/Kolkata"}

	// 17:00 UTC is 22:30 in Kolkata: inside, so delivery waits for 07:00 IST.
	next, err := w.Next(time.Date(2024, 6, 3, 17, 0, 0, 0, time.UTC))
	if err != nil {
		panic(err)
	}
	fmt.Println(next)
	// Output: 2024-06-04 01:30:00 +0000 UTC
}
