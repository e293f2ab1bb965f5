package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/api"
	"github.com/cunjie/cunjie/store"
)

// The demo town: a township near Ji'an, Jiangxi, with villages named after
// those of the seed report, on a 4×4 grid of jittered cells of 2–4 km².
const (
	demoTown      = "长岭镇"
	demoCodeBase  = "360803101"
	demoOriginLon = 114.88
	demoOriginLat = 27.08
	demoCellLon   = 0.0185 // ≈ 1.83 km at 27°N
	demoCellLat   = 0.0155 // ≈ 1.72 km
	demoCols      = 4
)

var demoVillages = []struct{ name, pinyin string }{
	{"社上村", "sheshang"}, {"温家村", "wenjia"}, {"伍家村", "wujia"}, {"胡家村", "hujia"},
	{"淇塘村", "qitang"}, {"新民村", "xinmin"}, {"庙下村", "miaoxia"}, {"陈家村", "chenjia"},
	{"赵塘村", "zhaotang"}, {"荷洁村", "hejie"}, {"培模村", "peimo"}, {"毛山村", "maoshan"},
	{"官溪村", "guanxi"}, {"长旺村", "changwang"}, {"长胜村", "changsheng"}, {"长运村", "changyun"},
}

func demoCode(i int) string { return fmt.Sprintf("%s%03d", demoCodeBase, 201+i) }

// demoGeoJSON builds the villages as a GeoJSON FeatureCollection, so the
// demo goes through the same importer as a town office's own file.
func demoGeoJSON() []byte {
	names := make([]string, len(demoVillages))
	for i, v := range demoVillages {
		names[i] = v.name
	}
	return gridTownGeoJSON(names, demoCols, demoCode)
}

// gridTownGeoJSON lays villages out on a grid of jittered cells, row by
// row from the south-west; neighbours share their edges exactly.
func gridTownGeoJSON(names []string, cols int, code func(int) string) []byte {
	demoCols := cols
	rows := (len(names) + cols - 1) / cols
	rng := rand.New(rand.NewPCG(2021, 10))
	// Jitter interior grid vertices; the outer frame stays straight.
	vx := make([][][2]float64, rows+1)
	for r := 0; r <= rows; r++ {
		vx[r] = make([][2]float64, demoCols+1)
		for c := 0; c <= demoCols; c++ {
			lon := demoOriginLon + float64(c)*demoCellLon
			lat := demoOriginLat + float64(r)*demoCellLat
			if r > 0 && r < rows && c > 0 && c < demoCols {
				lon += (rng.Float64() - 0.5) * demoCellLon * 0.4
				lat += (rng.Float64() - 0.5) * demoCellLat * 0.4
			}
			vx[r][c] = [2]float64{lon, lat}
		}
	}
	// Each edge gets a bent midpoint shared by the two cells beside it.
	mid := func(a, b [2]float64, key int) [2]float64 {
		er := rand.New(rand.NewPCG(uint64(key), 7))
		t := 0.5 + (er.Float64()-0.5)*0.3
		off := (er.Float64() - 0.5) * 0.15
		dx, dy := b[0]-a[0], b[1]-a[1]
		return [2]float64{a[0] + dx*t - dy*off, a[1] + dy*t + dx*off}
	}
	hKey := func(r, c int) int { return 1000 + r*100 + c } // edge from (r,c) to (r,c+1)
	vKey := func(r, c int) int { return 5000 + r*100 + c } // edge from (r,c) to (r+1,c)
	type feature struct {
		Type       string            `json:"type"`
		Properties map[string]string `json:"properties"`
		Geometry   map[string]any    `json:"geometry"`
	}
	fc := struct {
		Type     string    `json:"type"`
		Features []feature `json:"features"`
	}{Type: "FeatureCollection"}
	for i, name := range names {
		r, c := i/demoCols, i%demoCols
		sw, se, ne, nw := vx[r][c], vx[r][c+1], vx[r+1][c+1], vx[r+1][c]
		edge := func(a, b [2]float64, key int, outer bool) [2]float64 {
			if outer {
				return [2]float64{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2}
			}
			return mid(a, b, key)
		}
		// Midpoints are computed from the lower-left end of each edge so
		// both neighbours get the same point.
		ring := [][2]float64{
			sw, edge(sw, se, hKey(r, c), r == 0),
			se, edge(se, ne, vKey(r, c+1), c+1 == demoCols),
			ne, edge(nw, ne, hKey(r+1, c), r+1 == rows),
			nw, edge(sw, nw, vKey(r, c), c == 0),
			sw,
		}
		// Counter-clockwise as GeoJSON asks: sw → se → ne → nw.
		coords := make([][]float64, len(ring))
		for j, p := range ring {
			coords[j] = []float64{math.Round(p[0]*1e6) / 1e6, math.Round(p[1]*1e6) / 1e6}
		}
		fc.Features = append(fc.Features, feature{
			Type:       "Feature",
			Properties: map[string]string{"code": code(i), "name": name, "town": demoTown},
			Geometry:   map[string]any{"type": "Polygon", "coordinates": [][][]float64{coords}},
		})
	}
	b, _ := json.Marshal(fc)
	return b
}

// loadDemo loads the demo town, adding only what is missing, so it can run
// on every start.
func loadDemo(ctx context.Context, st *store.Store, dataDir string, stdout io.Writer, log *slog.Logger) error {
	existing, err := st.Villages(ctx)
	if err != nil {
		return err
	}
	if len(existing) == 0 {
		n, err := api.ImportVillages(ctx, st, demoGeoJSON())
		if err != nil {
			return err
		}
		log.Info("demo town: villages imported", "count", n)
	}
	users, err := st.Users(ctx)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, u := range users {
		have[u.Username] = true
	}
	var logins []string
	for i, v := range demoVillages {
		for _, role := range []cunjie.Role{cunjie.RoleInspector, cunjie.RoleCleaner} {
			username := string(role) + "." + v.pinyin
			if have[username] {
				continue
			}
			u := &cunjie.User{Username: username, Name: demoPersonName(i, role), Role: role}
			if role == cunjie.RoleCleaner {
				u.Villages = []string{demoCode(i)}
			}
			pw := randomPassword()
			if err := st.CreateUser(ctx, u, pw); err != nil {
				return err
			}
			logins = append(logins, fmt.Sprintf("%-24s %s", username, pw))
		}
	}
	if len(logins) > 0 {
		text := "Demo logins (username, password):\n" + strings.Join(logins, "\n") + "\n"
		fmt.Fprint(stdout, text)
		if st.Embedded() {
			f := filepath.Join(dataDir, "demo-logins.txt")
			if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "(also kept in %s)\n", f)
		}
	}
	return nil
}

// demoPersonName is a demo user's name as the app shows it beside their
// records: the village, the role and a person, 社上村检查员 刘建国.
func demoPersonName(i int, role cunjie.Role) string {
	label := map[cunjie.Role]string{cunjie.RoleInspector: "检查员", cunjie.RoleCleaner: "保洁员"}[role]
	n := 2 * i
	if role == cunjie.RoleCleaner {
		n++
	}
	person := string(demoSurnames[n%len(demoSurnames)]) + demoGiven[(n*5)%len(demoGiven)]
	return demoVillages[i].name + label + " " + person
}

// loadDemoFeaturesAs records the demo features as the first demo inspector.
func loadDemoFeaturesAs(ctx context.Context, st *store.Store, srv *api.Server, log *slog.Logger) error {
	users, err := st.Users(ctx)
	if err != nil {
		return err
	}
	var inspector, cleaner *cunjie.User
	for _, u := range users {
		switch u.Username {
		case string(cunjie.RoleInspector) + "." + demoVillages[0].pinyin:
			inspector = u
		case string(cunjie.RoleCleaner) + "." + demoVillages[0].pinyin:
			cleaner = u
		}
	}
	if inspector == nil {
		return nil
	}
	n, err := loadDemoFeatures(ctx, srv, inspector)
	if n > 0 {
		log.Info("demo town: features recorded", "count", n)
	}
	if err != nil {
		return err
	}
	n, err = loadDemoHouseholds(ctx, srv, users)
	if n > 0 {
		log.Info("demo town: households recorded", "writes", n)
	}
	if err != nil {
		return err
	}
	return loadDemoAssessments(ctx, srv, inspector, cleaner)
}
