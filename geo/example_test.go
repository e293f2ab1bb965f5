package geo_test

import (
	"fmt"

	"github.com/paulmach/orb"

	"github.com/cunjie/cunjie/geo"
)

func ExampleVillages_Locate() {
	// Two villages side by side; the second has a hole (a reservoir, say).
	vs, err := geo.ParseVillages([]byte(`{"type": "FeatureCollection", "features": [
	  {"type": "Feature", "properties": {"code": "360803101201", "name": "社上村"},
	   "geometry": {"type": "Polygon", "coordinates": [[[114.90,27.10],[114.92,27.10],[114.92,27.12],[114.90,27.12],[114.90,27.10]]]}},
	  {"type": "Feature", "properties": {"code": "360803101202", "name": "温家村"},
	   "geometry": {"type": "Polygon", "coordinates": [[[114.92,27.10],[114.94,27.10],[114.94,27.12],[114.92,27.12],[114.92,27.10]],
	                                                   [[114.93,27.11],[114.935,27.11],[114.935,27.115],[114.93,27.115],[114.93,27.11]]]}}
	]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	villages := geo.NewVillages(vs)

	for _, p := range []orb.Point{
		{114.91, 27.11},   // inside 社上村
		{114.92, 27.11},   // on the shared edge: goes to the village east of it
		{114.932, 27.112}, // in 温家村's hole
		{115.50, 27.50},   // far away
	} {
		code, ok := villages.Locate(p)
		if !ok {
			fmt.Println(p, "no village")
			continue
		}
		v, _ := villages.Get(code)
		fmt.Println(p, code, v.Name)
	}
	// Output:
	// [114.91 27.11] 360803101201 社上村
	// [114.92 27.11] 360803101202 温家村
	// [114.932 27.112] no village
	// [115.5 27.5] no village
}
