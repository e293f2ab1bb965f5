package figures

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/cunjie/cunjie"
)

// Default sizes of the red and black lists (红榜, 黑榜).
const (
	DefaultRed   = 3
	DefaultBlack = 3
)

// Detail is what a village's month gives for its reasons: points lost per
// checklist item (by the item's description, averaged over the month's
// inspections) and its open problems' descriptions.
type Detail struct {
	Lost map[string]float64
	Open []string
}

// Listed is a village on the red or black list, with its reasons in Chinese.
type Listed struct {
	Rank    int      `json:"rank"`
	Village string   `json:"village"`
	Name    string   `json:"name"`
	Score   float64  `json:"score"`
	Reasons []string `json:"reasons"`
}

// RedBlack takes the red list from the top of a ranking (as
// cunjie.RankVillages orders it) and the black list from its bottom, among
// the villages with a score; a village is never on both, so with few
// villages the black list is shorter.
func RedBlack(rows []cunjie.VillageScore, red, black int, details map[string]Detail) (redList, blackList []Listed) {
	var scored []cunjie.VillageScore
	for _, r := range rows {
		if r.Score != nil {
			scored = append(scored, r)
		}
	}
	red = min(red, len(scored))
	black = min(black, len(scored)-red)
	redList, blackList = []Listed{}, []Listed{}
	for _, r := range scored[:red] {
		redList = append(redList, listed(r, details[r.Village], false))
	}
	for i := len(scored) - 1; i >= len(scored)-black; i-- { // the worst first
		blackList = append(blackList, listed(scored[i], details[scored[i].Village], true))
	}
	return redList, blackList
}

// reasonItems is how many of the items that lost most points are named.
const reasonItems = 2

func listed(r cunjie.VillageScore, d Detail, black bool) Listed {
	l := Listed{Rank: r.Rank, Village: r.Village, Name: r.Name, Score: *r.Score}
	l.Reasons = append(l.Reasons, fmt.Sprintf("月度得分%s分，全镇第%d名", num(*r.Score), r.Rank))
	items := make([]string, 0, len(d.Lost))
	for item, lost := range d.Lost {
		if lost > 0 {
			items = append(items, item)
		}
	}
	// Most points lost first; ties by description, so the text is stable.
	slices.SortFunc(items, func(a, b string) int {
		if d.Lost[a] != d.Lost[b] {
			if d.Lost[a] > d.Lost[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	var lost []string
	for _, item := range items[:min(reasonItems, len(items))] {
		lost = append(lost, fmt.Sprintf("%s（扣%s分）", item, num(d.Lost[item])))
	}
	switch {
	case len(lost) > 0:
		l.Reasons = append(l.Reasons, "扣分最多："+strings.Join(lost, "、"))
	case !black:
		l.Reasons = append(l.Reasons, "各项均未扣分")
	}
	if len(d.Open) > 0 {
		l.Reasons = append(l.Reasons, fmt.Sprintf("未整改问题%d个：%s", len(d.Open), strings.Join(d.Open, "；")))
	} else if !black {
		l.Reasons = append(l.Reasons, "本月问题均已整改")
	}
	return l
}

// num writes a score to one decimal, without trailing zeros: 92.5, 80.
func num(x float64) string { return strconv.FormatFloat(math.Round(x*10)/10, 'f', -1, 64) }
