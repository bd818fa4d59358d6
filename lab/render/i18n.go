package render

// The renderer's own fixed words. Verdict texts come from the scenario
// (Verdict.Said/SaidZh, Why/WhyZh); Observed is computed by the runner and
// exists in English only.

var zh = map[string]string{
	"claims":                "论断",
	"time":                  "时间",
	"passed":                "通过",
	"FAILED":                "未通过",
	"error":                 "错误",
	"note":                  "注",
	"expectations":          "预期",
	"verdicts":              "结论",
	"skipped":               "跳过",
	"skipped: not recorded": "跳过：未记录",
	"got":                   "实际",
	"said":                  "原文",
	"observed":              "实测",
	"why":                   "原因",
	"agrees":                "一致",
	"agree":                 "一致",
	"differs":               "不符",
	"differ":                "不符",
	"partly":                "部分一致",
	"not observed":          "未观察到",
	"scenario":              "场景",
	"verdict":               "结论",
	"expects":               "预期",
	"scenarios":             "个场景",
	"failed":                "未通过",
	"errors":                "出错",
	"no verdict":            "无结论",
	"reset sent":            "发出 RST",
	"reset received":        "收到 RST",
	"inferred":              "~ 为推断：没有 tracepoint 报告进入 TIME-WAIT，由 sock_diag 确认",
	"no events recorded":    "没有记录到事件",
	"inconclusive":          "无定论",
	"interrupted":           "已中断",
}

// tr translates a fixed label into the options' language.
func (o Options) tr(s string) string {
	if o.Lang == "zh" {
		if t, ok := zh[s]; ok {
			return t
		}
	}
	return s
}

// legendInferred is the English text of the "inferred" legend.
const legendInferred = "~ = inferred: no tracepoint reports entering TIME-WAIT; sock_diag confirms it"

func (o Options) legend() string {
	if o.Lang == "zh" {
		return zh["inferred"]
	}
	return legendInferred
}
