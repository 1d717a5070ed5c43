-- plan-targets.lua — the count targets the plans state, one indicator per
-- row of data/plan-targets.csv. The table holds the figures as the plans
-- print them (the sentence is in `note`); no observed values: none of the
-- plans reports one. A baseline of 0 appears only where the target counts
-- what is added during the period ("“十三五”期间新增", "累计").

-- "" in the table means "not given"
local function text(s)
  if s ~= "" then return s end
end

local function number(s)
  if s ~= "" then return tonumber(s) end
end

local function words(s)
  local list = {}
  for w in s:gmatch("%S+") do list[#list + 1] = w end
  return list
end

for _, row in ipairs(csv("data/plan-targets.csv")) do
  local baseline
  if row.baseline ~= "" then
    baseline = { year = number(row.baseline_year), value = number(row.baseline) }
  end
  indicator {
    id = row.id,
    name = row.name,
    unit = text(row.unit),
    plan = row.plan,
    goal = text(row.goal),
    tasks = words(row.tasks),
    lead = text(row.lead),
    direction = "up",
    baseline = baseline,
    target = { year = number(row.target_year), value = number(row.target) },
    source = text(row.source),
    note = text(row.note),
  }
end
