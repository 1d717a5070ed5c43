-- science-literacy.lua — the share of citizens with basic scientific
-- literacy (公民具备科学素质的比例), the one target every provincial and
-- city plan here states, with the baselines the plans give. No observed
-- values: none of the plans reports one after its baseline year.

indicator {
  id = "hunan-sci-literacy",
  name = "全省公民具备科学素质的比例",
  unit = "%",
  plan = "hunan-cast-13th", goal = "g1", tasks = { "t2-4" },
  direction = "up",
  baseline = { year = 2015, value = 5.14 },
  target = { year = 2020, value = 10 },
  source = "《湖南省科协事业发展“十三五”规划纲要》一、“十二五”主要成就和“十三五”发展要求；三、主要任务 4",
  note = "《全民科学素质行动计划纲要》深入实施，全省公民具备科学素质比例达到5.14%，"
      .. "比“十一五”末提高2.96个百分点；……到“十三五”末，全省公民具备科学素质的比例达到10%。",
}

-- Derived from the one above with value(): the same target, told as the
-- percentage points still to gain over the 2015 baseline (10 - 5.14).
-- Its values follow any observation the indicator above gets.
indicator {
  id = "hunan-sci-literacy-gain",
  name = "全省公民具备科学素质的比例较2015年提高的百分点",
  unit = "个百分点",
  plan = "hunan-cast-13th", goal = "g1", tasks = { "t2-4" },
  direction = "up",
  baseline = function()
    return { year = 2015, value = 0 }
  end,
  target = function()
    return { year = 2020, value = 10 - value("hunan-sci-literacy", 2015) }
  end,
  values = function()
    local base, gains = value("hunan-sci-literacy", 2015), {}
    for year = 2016, 2020 do
      local ok, v = pcall(value, "hunan-sci-literacy", year)
      if ok then gains[year] = v - base end
    end
    return gains
  end,
  source = "由指标“全省公民具备科学素质的比例”计算：目标10%减去2015年的5.14%",
}

indicator {
  id = "hubei-sci-literacy",
  name = "全省公民科学素质达标率",
  unit = "%",
  plan = "hubei-cast-13th", goal = "g3", tasks = { "t3-1" }, lead = "hubei-cast",
  direction = "up",
  baseline = { year = 2015, value = 5.7 },
  target = { year = 2020, value = 10 },
  source = "《湖北省科学技术协会事业发展“十三五”规划》一、（一）2；二、（三）3；三、（三）1",
  note = "推动了全省公民科学素质达到5.7%的工作目标的实现（“十二五”）；……确保到2020年，"
      .. "实现全省公民科学素质达标率超10%的目标，达到创新型国家水平。",
}

indicator {
  id = "chuzhou-sci-literacy",
  name = "全市公民具备基本科学素质的比例",
  unit = "%",
  plan = "chuzhou-cast-13th", goal = "g3", tasks = { "t2" }, lead = "chuzhou-cast",
  direction = "up",
  target = { year = 2020, value = 10 },
  source = "《滁州市科学技术协会事业发展“十三五”规划》（征求意见稿）三、发展目标",
  note = "到2020年，全市公民具备基本科学素质比例与全省同步达10%。",
}
