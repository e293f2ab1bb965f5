// Made by `go generate ./pwa` (cmd/domainjs) from the domain table at the
// repo root (kinds.go, rules.go, labels.go). Do not edit: change the Go
// table and generate again.

// What each kind records, in kind order, as GET /api/v1/kinds serves it.
export const KINDS = [
  {
    "kind": "bin",
    "statusAttr": "status",
    "attrs": [
      {
        "name": "capacity_l",
        "type": "int",
        "min": 1,
        "max": 10000,
        "default": 240,
        "required": true
      },
      {
        "name": "status",
        "type": "enum",
        "enum": [
          "ok",
          "full",
          "overflowing",
          "damaged",
          "missing"
        ],
        "default": "ok",
        "required": true
      },
      {
        "name": "name",
        "type": "string",
        "maxLen": 64,
        "required": false
      },
      {
        "name": "note",
        "type": "string",
        "maxLen": 500,
        "required": false
      }
    ],
    "events": [
      "emptied",
      "status_reported",
      "repaired",
      "replaced",
      "inspected"
    ]
  },
  {
    "kind": "garbage_pool",
    "statusAttr": "status",
    "attrs": [
      {
        "name": "volume_m3",
        "type": "number",
        "min": 0,
        "exclusiveMin": true,
        "max": 1000,
        "required": false,
        "must": true
      },
      {
        "name": "status",
        "type": "enum",
        "enum": [
          "ok",
          "full",
          "overflowing",
          "damaged"
        ],
        "default": "ok",
        "required": true
      },
      {
        "name": "built_year",
        "type": "int",
        "min": 1950,
        "max": 2100,
        "required": false
      },
      {
        "name": "name",
        "type": "string",
        "maxLen": 64,
        "required": false
      },
      {
        "name": "note",
        "type": "string",
        "maxLen": 500,
        "required": false
      }
    ],
    "events": [
      "cleared",
      "status_reported",
      "repaired",
      "inspected"
    ]
  },
  {
    "kind": "collection_point",
    "statusAttr": "status",
    "attrs": [
      {
        "name": "bin_count",
        "type": "int",
        "min": 0,
        "max": 200,
        "required": false
      },
      {
        "name": "status",
        "type": "enum",
        "enum": [
          "ok",
          "full",
          "overflowing",
          "damaged"
        ],
        "default": "ok",
        "required": true
      },
      {
        "name": "name",
        "type": "string",
        "maxLen": 64,
        "required": false
      },
      {
        "name": "note",
        "type": "string",
        "maxLen": 500,
        "required": false
      }
    ],
    "events": [
      "cleared",
      "status_reported",
      "repaired",
      "inspected"
    ]
  },
  {
    "kind": "transfer_station",
    "statusAttr": "status",
    "attrs": [
      {
        "name": "capacity_tpd",
        "type": "number",
        "min": 0,
        "exclusiveMin": true,
        "max": 5000,
        "required": false
      },
      {
        "name": "status",
        "type": "enum",
        "enum": [
          "ok",
          "damaged",
          "closed"
        ],
        "default": "ok",
        "required": true
      },
      {
        "name": "name",
        "type": "string",
        "maxLen": 64,
        "required": false
      },
      {
        "name": "note",
        "type": "string",
        "maxLen": 500,
        "required": false
      }
    ],
    "events": [
      "inspected",
      "status_reported"
    ]
  },
  {
    "kind": "public_toilet",
    "statusAttr": "status",
    "attrs": [
      {
        "name": "type",
        "type": "enum",
        "enum": [
          "flush",
          "dry",
          "eco",
          "other"
        ],
        "default": "flush",
        "required": true
      },
      {
        "name": "stalls",
        "type": "int",
        "min": 1,
        "max": 200,
        "required": false
      },
      {
        "name": "status",
        "type": "enum",
        "enum": [
          "ok",
          "dirty",
          "damaged",
          "closed"
        ],
        "default": "ok",
        "required": true
      },
      {
        "name": "built_year",
        "type": "int",
        "min": 1950,
        "max": 2100,
        "required": false
      },
      {
        "name": "name",
        "type": "string",
        "maxLen": 64,
        "required": false
      },
      {
        "name": "note",
        "type": "string",
        "maxLen": 500,
        "required": false
      }
    ],
    "events": [
      "cleaned",
      "inspected",
      "status_reported",
      "repaired"
    ]
  },
  {
    "kind": "household_toilet",
    "statusAttr": "stage",
    "attrs": [
      {
        "name": "household_head",
        "type": "string",
        "maxLen": 32,
        "required": false,
        "must": true,
        "personal": true,
        "staffOnly": true
      },
      {
        "name": "type",
        "type": "enum",
        "enum": [
          "three_compartment",
          "double_urn",
          "sewer_flush",
          "biogas"
        ],
        "required": false,
        "must": true,
        "settled": true
      },
      {
        "name": "tap_water",
        "type": "bool",
        "default": false,
        "required": true
      },
      {
        "name": "subsidy_yuan",
        "type": "number",
        "min": 0,
        "max": 1000000,
        "required": false,
        "staffOnly": true,
        "settled": true
      },
      {
        "name": "stage",
        "type": "enum",
        "enum": [
          "planned",
          "building",
          "done",
          "accepted"
        ],
        "default": "planned",
        "required": true,
        "settled": true
      },
      {
        "name": "completed_on",
        "type": "date",
        "required": false,
        "settled": true
      },
      {
        "name": "household",
        "type": "string",
        "maxLen": 64,
        "required": false,
        "link": "household"
      },
      {
        "name": "name",
        "type": "string",
        "maxLen": 64,
        "required": false
      },
      {
        "name": "note",
        "type": "string",
        "maxLen": 500,
        "required": false
      }
    ],
    "events": [
      "stage_changed",
      "inspected",
      "corrected"
    ],
    "settledStages": [
      "accepted"
    ],
    "stageDate": {
      "attr": "completed_on",
      "stages": [
        "done",
        "accepted"
      ]
    }
  },
  {
    "kind": "demolition",
    "statusAttr": "stage",
    "attrs": [
      {
        "name": "owner",
        "type": "string",
        "maxLen": 32,
        "required": false,
        "must": true,
        "personal": true,
        "staffOnly": true
      },
      {
        "name": "structure",
        "type": "enum",
        "enum": [
          "adobe",
          "brick_wood",
          "other"
        ],
        "required": false,
        "must": true,
        "settled": true
      },
      {
        "name": "area_m2",
        "type": "number",
        "min": 1,
        "max": 10000,
        "required": false,
        "settled": true
      },
      {
        "name": "stage",
        "type": "enum",
        "enum": [
          "surveyed",
          "scheduled",
          "demolished"
        ],
        "default": "surveyed",
        "required": true,
        "settled": true
      },
      {
        "name": "demolished_on",
        "type": "date",
        "required": false,
        "settled": true
      },
      {
        "name": "household",
        "type": "string",
        "maxLen": 64,
        "required": false,
        "link": "household"
      },
      {
        "name": "name",
        "type": "string",
        "maxLen": 64,
        "required": false
      },
      {
        "name": "note",
        "type": "string",
        "maxLen": 500,
        "required": false
      }
    ],
    "events": [
      "stage_changed",
      "inspected",
      "corrected"
    ],
    "settledStages": [
      "demolished"
    ],
    "stageDate": {
      "attr": "demolished_on",
      "stages": [
        "demolished"
      ]
    }
  },
  {
    "kind": "housing_reform",
    "statusAttr": "stage",
    "attrs": [
      {
        "name": "household_head",
        "type": "string",
        "maxLen": 32,
        "required": false,
        "must": true,
        "personal": true,
        "staffOnly": true
      },
      {
        "name": "category",
        "type": "enum",
        "enum": [
          "homeless",
          "dilapidated",
          "five_guarantees",
          "minimum_living",
          "hardship"
        ],
        "required": false,
        "must": true
      },
      {
        "name": "mode",
        "type": "enum",
        "enum": [
          "new_build",
          "repair"
        ],
        "required": false,
        "settled": true
      },
      {
        "name": "subsidy_yuan",
        "type": "number",
        "min": 0,
        "max": 1000000,
        "required": false,
        "staffOnly": true,
        "settled": true
      },
      {
        "name": "plot_area_m2",
        "type": "number",
        "min": 1,
        "max": 10000,
        "required": false
      },
      {
        "name": "building_area_m2",
        "type": "number",
        "min": 1,
        "max": 10000,
        "required": false,
        "settled": true
      },
      {
        "name": "one_household_one_homestead",
        "type": "bool",
        "required": false
      },
      {
        "name": "old_house",
        "type": "string",
        "maxLen": 64,
        "required": false,
        "link": "demolition"
      },
      {
        "name": "stage",
        "type": "enum",
        "enum": [
          "surveyed",
          "applied",
          "approved",
          "started",
          "completed",
          "accepted"
        ],
        "default": "surveyed",
        "required": true,
        "settled": true
      },
      {
        "name": "completed_on",
        "type": "date",
        "required": false,
        "settled": true
      },
      {
        "name": "household",
        "type": "string",
        "maxLen": 64,
        "required": false,
        "link": "household"
      },
      {
        "name": "name",
        "type": "string",
        "maxLen": 64,
        "required": false
      },
      {
        "name": "note",
        "type": "string",
        "maxLen": 500,
        "required": false
      }
    ],
    "events": [
      "stage_changed",
      "inspected",
      "corrected"
    ],
    "settledStages": [
      "completed",
      "accepted"
    ],
    "stageDate": {
      "attr": "completed_on",
      "stages": [
        "completed",
        "accepted"
      ]
    }
  },
  {
    "kind": "household",
    "statusAttr": "",
    "attrs": [
      {
        "name": "household_head",
        "type": "string",
        "maxLen": 32,
        "required": false,
        "must": true,
        "personal": true,
        "staffOnly": true
      },
      {
        "name": "address",
        "type": "string",
        "maxLen": 100,
        "required": false
      },
      {
        "name": "members",
        "type": "int",
        "min": 1,
        "max": 50,
        "required": false
      },
      {
        "name": "phone",
        "type": "string",
        "maxLen": 20,
        "required": false,
        "personal": true,
        "staffOnly": true
      },
      {
        "name": "name",
        "type": "string",
        "maxLen": 64,
        "required": false
      },
      {
        "name": "note",
        "type": "string",
        "maxLen": 500,
        "required": false
      }
    ],
    "events": [
      "inspected"
    ]
  }
];

// Events that exist to set a status or stage, so the form asks for one.
export const STATUS_EVENTS = [
  "stage_changed",
  "status_reported"
];

// Events that, without a status, set it to "ok".
export const RESTORING_EVENTS = [
  "cleaned",
  "cleared",
  "emptied",
  "repaired",
  "replaced"
];

// The words for kinds, attributes, values and event types: key → {zh, en}.
export const LABELS = {
  "attr.address": {
    "zh": "地址（自然村、门牌）",
    "en": "Address (hamlet, house number)"
  },
  "attr.area_m2": {
    "zh": "面积（平方米）",
    "en": "Area (m²)"
  },
  "attr.bin_count": {
    "zh": "垃圾桶数",
    "en": "Bins"
  },
  "attr.building_area_m2": {
    "zh": "建筑面积（平方米）",
    "en": "Building area (m²)"
  },
  "attr.built_year": {
    "zh": "建成年份",
    "en": "Year built"
  },
  "attr.capacity_l": {
    "zh": "容量（升）",
    "en": "Capacity (litres)"
  },
  "attr.capacity_tpd": {
    "zh": "处理能力（吨/日）",
    "en": "Capacity (t/day)"
  },
  "attr.category": {
    "zh": "类别",
    "en": "Category"
  },
  "attr.completed_on": {
    "zh": "完工日期",
    "en": "Completed on"
  },
  "attr.demolished_on": {
    "zh": "拆除日期",
    "en": "Demolished on"
  },
  "attr.household": {
    "zh": "所属农户",
    "en": "Household"
  },
  "attr.household_head": {
    "zh": "户主",
    "en": "Household head"
  },
  "attr.members": {
    "zh": "家庭人口",
    "en": "Members"
  },
  "attr.mode": {
    "zh": "改造方式",
    "en": "Mode"
  },
  "attr.name": {
    "zh": "名称",
    "en": "Name"
  },
  "attr.note": {
    "zh": "备注",
    "en": "Note"
  },
  "attr.old_house": {
    "zh": "拆旧建新：所拆旧房编号",
    "en": "Old house demolished (id)"
  },
  "attr.one_household_one_homestead": {
    "zh": "一户一宅",
    "en": "One household, one homestead"
  },
  "attr.owner": {
    "zh": "房主",
    "en": "Owner"
  },
  "attr.phone": {
    "zh": "联系电话",
    "en": "Phone"
  },
  "attr.plot_area_m2": {
    "zh": "占地面积（平方米）",
    "en": "Plot area (m²)"
  },
  "attr.stage": {
    "zh": "进度",
    "en": "Stage"
  },
  "attr.stalls": {
    "zh": "厕位数",
    "en": "Stalls"
  },
  "attr.status": {
    "zh": "状态",
    "en": "Status"
  },
  "attr.structure": {
    "zh": "结构",
    "en": "Structure"
  },
  "attr.subsidy_yuan": {
    "zh": "补助（元）",
    "en": "Subsidy (yuan)"
  },
  "attr.tap_water": {
    "zh": "改水（通自来水）",
    "en": "Tap water"
  },
  "attr.type": {
    "zh": "厕所类型",
    "en": "Toilet type"
  },
  "attr.volume_m3": {
    "zh": "容积（立方米）",
    "en": "Volume (m³)"
  },
  "category.dilapidated": {
    "zh": "危房户",
    "en": "Dilapidated house"
  },
  "category.five_guarantees": {
    "zh": "五保户",
    "en": "Five guarantees"
  },
  "category.hardship": {
    "zh": "困难户",
    "en": "Hardship"
  },
  "category.homeless": {
    "zh": "无房户",
    "en": "Homeless"
  },
  "category.minimum_living": {
    "zh": "低保户",
    "en": "Minimum living allowance"
  },
  "event.cleaned": {
    "zh": "保洁",
    "en": "Cleaned"
  },
  "event.cleared": {
    "zh": "清理",
    "en": "Cleared"
  },
  "event.corrected": {
    "zh": "更正",
    "en": "Corrected"
  },
  "event.emptied": {
    "zh": "清运",
    "en": "Emptied"
  },
  "event.inspected": {
    "zh": "检查",
    "en": "Inspected"
  },
  "event.repaired": {
    "zh": "维修",
    "en": "Repaired"
  },
  "event.replaced": {
    "zh": "更换",
    "en": "Replaced"
  },
  "event.stage_changed": {
    "zh": "进度变更",
    "en": "Stage changed"
  },
  "event.status_reported": {
    "zh": "上报状态",
    "en": "Report status"
  },
  "kind.bin": {
    "zh": "垃圾桶",
    "en": "Garbage bin"
  },
  "kind.collection_point": {
    "zh": "垃圾收集点",
    "en": "Collection point"
  },
  "kind.demolition": {
    "zh": "危旧房拆除",
    "en": "Dilapidated house demolition"
  },
  "kind.garbage_pool": {
    "zh": "垃圾池",
    "en": "Garbage pool"
  },
  "kind.household": {
    "zh": "农户",
    "en": "Household"
  },
  "kind.household_toilet": {
    "zh": "户厕改造",
    "en": "Household toilet reform"
  },
  "kind.housing_reform": {
    "zh": "农村安居工程",
    "en": "Rural housing project"
  },
  "kind.public_toilet": {
    "zh": "公厕",
    "en": "Public toilet"
  },
  "kind.transfer_station": {
    "zh": "垃圾压缩中转站",
    "en": "Transfer station"
  },
  "mode.new_build": {
    "zh": "新建",
    "en": "New build"
  },
  "mode.repair": {
    "zh": "维修",
    "en": "Repair"
  },
  "stage.accepted": {
    "zh": "验收",
    "en": "Accepted"
  },
  "stage.applied": {
    "zh": "申请",
    "en": "Applied"
  },
  "stage.approved": {
    "zh": "审批",
    "en": "Approved"
  },
  "stage.building": {
    "zh": "施工",
    "en": "Building"
  },
  "stage.completed": {
    "zh": "竣工",
    "en": "Completed"
  },
  "stage.demolished": {
    "zh": "已拆除",
    "en": "Demolished"
  },
  "stage.done": {
    "zh": "完工",
    "en": "Done"
  },
  "stage.planned": {
    "zh": "计划",
    "en": "Planned"
  },
  "stage.scheduled": {
    "zh": "已排期",
    "en": "Scheduled"
  },
  "stage.started": {
    "zh": "开工",
    "en": "Started"
  },
  "stage.surveyed": {
    "zh": "摸底",
    "en": "Surveyed"
  },
  "status.closed": {
    "zh": "关闭",
    "en": "Closed"
  },
  "status.damaged": {
    "zh": "损坏",
    "en": "Damaged"
  },
  "status.dirty": {
    "zh": "脏乱",
    "en": "Dirty"
  },
  "status.full": {
    "zh": "已满",
    "en": "Full"
  },
  "status.missing": {
    "zh": "丢失",
    "en": "Missing"
  },
  "status.ok": {
    "zh": "正常",
    "en": "OK"
  },
  "status.overflowing": {
    "zh": "溢出",
    "en": "Overflowing"
  },
  "structure.adobe": {
    "zh": "土坯",
    "en": "Adobe"
  },
  "structure.brick_wood": {
    "zh": "砖木",
    "en": "Brick and wood"
  },
  "structure.other": {
    "zh": "其他",
    "en": "Other"
  },
  "type.biogas": {
    "zh": "沼气池式",
    "en": "Biogas"
  },
  "type.double_urn": {
    "zh": "双瓮式",
    "en": "Double urn"
  },
  "type.dry": {
    "zh": "旱厕",
    "en": "Dry"
  },
  "type.eco": {
    "zh": "生态厕所",
    "en": "Eco"
  },
  "type.flush": {
    "zh": "水冲式",
    "en": "Flush"
  },
  "type.other": {
    "zh": "其他",
    "en": "Other"
  },
  "type.sewer_flush": {
    "zh": "完整下水道水冲式",
    "en": "Sewer flush"
  },
  "type.three_compartment": {
    "zh": "三格式化粪池",
    "en": "Three-compartment septic tank"
  }
};
