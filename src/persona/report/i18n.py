"""User-facing text in Chinese (zh-CN) and English.

Every message the CLI prints for people (not `--json` output, whose keys are English) goes
through `text(key, lang)`. The language comes from `--lang`, then `PERSONA_LANG`, then the
project's `language:`, then zh.
"""

from __future__ import annotations

import os
from typing import Literal

Lang = Literal["zh", "en"]

MESSAGES: dict[str, dict[Lang, str]] = {
    "error": {"zh": "错误", "en": "Error"},
    "init.done": {
        "zh": "已创建项目 {path}：编辑 persona.yaml 配置数据源，然后运行 persona ingest",
        "en": "Created project {path}: edit persona.yaml to add your sources, "
        "then run persona ingest",
    },
    "ingest.title": {"zh": "导入结果（本次）", "en": "Ingest (this run)"},
    "status.title": {"zh": "数据源累计", "en": "Sources (running totals)"},
    "col.source": {"zh": "数据源", "en": "source"},
    "col.kind": {"zh": "类型", "en": "kind"},
    "col.batches": {"zh": "批次", "en": "batches"},
    "col.received": {"zh": "接收", "en": "received"},
    "col.loaded": {"zh": "已加载", "en": "loaded"},
    "col.quarantined": {"zh": "隔离", "en": "quarantined"},
    "col.skipped": {"zh": "重复跳过", "en": "skipped"},
    "col.unchanged": {"zh": "未变文件", "en": "unchanged files"},
    "col.file": {"zh": "文件", "en": "file"},
    "col.line": {"zh": "行", "en": "line"},
    "col.column": {"zh": "列", "en": "column"},
    "col.value": {"zh": "值", "en": "value"},
    "col.reason": {"zh": "原因", "en": "reason"},
    "status.store": {"zh": "存储：{path}", "en": "Store: {path}"},
    "status.last_build": {"zh": "最近一次构建：{time}", "en": "Last build: {time}"},
    "status.never": {"zh": "尚未构建", "en": "never"},
    "quarantine.none": {"zh": "没有被隔离的记录。", "en": "No quarantined records."},
    "quarantine.count": {
        "zh": "共 {n} 条被隔离的记录；用 persona quarantine --export FILE 导出修正后重新导入。",
        "en": "{n} quarantined records; export them with persona quarantine --export FILE, "
        "fix them and ingest again.",
    },
    "quarantine.exported": {
        "zh": "已导出 {n} 条隔离记录到 {path}",
        "en": "Exported {n} quarantined records to {path}",
    },
    "ingest.errors": {
        "zh": "有 {n} 个问题导致部分文件未导入：",
        "en": "{n} problems kept some files from loading:",
    },
    "demo.data": {
        "zh": "已生成演示数据：{customers} 位客户，{events} 条行为事件，{orders} 笔订单 -> {path}",
        "en": "Generated demo data: {customers} customers, {events} events, "
        "{orders} orders -> {path}",
    },
    "build.done": {
        "zh": "构建 #{build_id} 完成（阶段：{stages}），用时 {seconds:.1f} 秒",
        "en": "Build #{build_id} finished (stages: {stages}) in {seconds:.1f} s",
    },
    "build.resolve": {
        "zh": "识别：{records} 条资料记录归并为 {customers} 位客户（概率匹配 {matches} 对，"
        "排除共用/占位标识 {excluded} 个）",
        "en": "Resolve: {records} profile records into {customers} customers ({matches} probable "
        "matches; {excluded} shared or placeholder identifiers excluded)",
    },
    "build.stale": {
        "zh": "人工决定已无对应数据，未应用：{decision}",
        "en": "A decision no longer names any data and was not applied: {decision}",
    },
    "features.done": {
        "zh": "特征：{customers} 位客户 × {columns} 个特征，截至 {as_of}（{seconds:.1f} 秒）",
        "en": "Features: {customers} customers x {columns} features as of {as_of} "
        "({seconds:.1f} s)",
    },
    "customers.exported": {
        "zh": "已导出 {n} 位客户到 {path}",
        "en": "Exported {n} customers to {path}",
    },
    "build.refresh": {
        "zh": "增量刷新：只重算了受新数据影响的 {n} 位客户（--full 可全部重算）",
        "en": "Incremental refresh: recomputed the {n} customers new data touched "
        "(--full recomputes all)",
    },
    "audience.count": {
        "zh": "人数：{count}（占 {share}，共 {population} 人）",
        "en": "Customers: {count} ({share} of {population})",
    },
    "audience.below_k": {
        "zh": "人数：少于 {k} 人（不显示）",
        "en": "Customers: fewer than {k} (not shown)",
    },
    "audience.left_out": {
        "zh": "已排除拒绝营销的客户：{n}",
        "en": "Left out (refused marketing): {n}",
    },
    "audience.breakdown": {"zh": "按 {column} 分布", "en": "By {column}"},
    "audience.other": {"zh": "其他", "en": "other"},
    "audience.unknown": {"zh": "未知", "en": "unknown"},
    "audience.region": {"zh": "区域", "en": "region"},
    "audience.customers": {"zh": "人数", "en": "customers"},
    "audience.share": {"zh": "占比", "en": "share"},
    "audience.value": {"zh": "值", "en": "value"},
    "audience.overlap": {"zh": "客群重叠", "en": "Audience overlap"},
    "audience.preview": {"zh": "样本（已脱敏）", "en": "Sample (masked)"},
    "audience.saved": {
        "zh": "已保存客群 {name}（版本 {version}），当前 {size} 人",
        "en": "Saved audience {name} (version {version}), now {size} customers",
    },
    "audience.list": {"zh": "已保存的客群", "en": "Saved audiences"},
    "audience.history": {"zh": "规模变化", "en": "Size over time"},
    "audience.refreshed": {"zh": "已刷新 {n} 个客群", "en": "Refreshed {n} audiences"},
    "audience.none": {
        "zh": "还没有保存的客群；用 persona audience save NAME EXPR 保存。",
        "en": "No saved audiences yet; save one with persona audience save NAME EXPR.",
    },
    "export.done": {
        "zh": "已导出 {count} 位客户（{format}）到 {target}，导出记录 #{export_id}",
        "en": "Exported {count} customers ({format}) to {target}, export #{export_id}",
    },
    "export.fields": {"zh": "字段：{fields}", "en": "Fields: {fields}"},
    "export.sha256": {"zh": "文件 SHA-256：{hash}", "en": "File SHA-256: {hash}"},
    "export.masked": {
        "zh": "姓名、手机、邮箱等直接标识已脱敏（--unmask 可导出原值，并记入审计日志）",
        "en": "Names, phones, e-mails and other direct identifiers are masked (--unmask exports "
        "them as they are and is recorded in the audit log)",
    },
    "export.unmasked": {
        "zh": "未脱敏：直接标识按原值导出，已记入审计日志",
        "en": "Unmasked: direct identifiers exported as they are; recorded in the audit log",
    },
    "export.pseudonymised": {
        "zh": "已假名化：客户编号为带密钥哈希，直接标识未导出",
        "en": "Pseudonymised: ids are keyed hashes, direct identifiers are not exported",
    },
    "export.left_out": {
        "zh": "未导出拒绝营销的客户：{n}",
        "en": "Not exported (refused marketing): {n}",
    },
    "export.registry": {"zh": "导出登记", "en": "Export registry"},
    "export.none": {
        "zh": "还没有导出记录；用 persona audience export EXPR --out FILE 导出。",
        "en": "No exports yet; export with persona audience export EXPR --out FILE.",
    },
    "export.col.export_id": {"zh": "编号", "en": "id"},
    "export.col.exported_at": {"zh": "时间", "en": "when"},
    "export.col.audience": {"zh": "客群/表达式", "en": "audience / expression"},
    "export.col.format": {"zh": "格式", "en": "format"},
    "export.col.target": {"zh": "目标", "en": "target"},
    "export.col.count": {"zh": "人数", "en": "count"},
    "export.col.fields": {"zh": "字段", "en": "fields"},
    "export.col.sha256": {"zh": "SHA-256", "en": "SHA-256"},
    "export.col.masked": {"zh": "脱敏", "en": "masked"},
    "export.col.forgotten": {"zh": "已删除的人", "en": "forgotten"},
    "col.expression": {"zh": "表达式", "en": "expression"},
    "col.refreshed_at": {"zh": "刷新时间", "en": "refreshed at"},
    "tags.done": {
        "zh": "标签：{customers} 位客户的 {tags} 个标签已计算，快照 #{snapshot}",
        "en": "Tags: {tags} tags for {customers} customers, snapshot #{snapshot}",
    },
    "tags.list.title": {"zh": "标签目录", "en": "Tag catalog"},
    "tags.coverage.title": {"zh": "标签覆盖率", "en": "Tag coverage"},
    "tags.diff.title": {
        "zh": "快照 #{old} → #{new} 的标签变化（两者共有 {both} 位客户）",
        "en": "Tag changes from snapshot #{old} to #{new} ({both} customers in both)",
    },
    "tags.diff.members": {
        "zh": "仅在 #{old} 中：{only_old} 位；仅在 #{new} 中：{only_new} 位",
        "en": "Only in #{old}: {only_old}; only in #{new}: {only_new}",
    },
    "tags.snapshots.title": {"zh": "快照", "en": "Snapshots"},
    "tags.accuracy.title": {
        "zh": "标签 {tag} 的准确率：{accuracy}（样本 {matched}/{received} 行匹配到客户）",
        "en": "Accuracy of tag {tag}: {accuracy} ({matched} of {received} sample rows matched)",
    },
    "col.tag": {"zh": "标签", "en": "tag"},
    "col.name": {"zh": "名称", "en": "name"},
    "col.category_name": {"zh": "类别", "en": "category"},
    "col.type": {"zh": "值类型", "en": "type"},
    "col.version": {"zh": "版本", "en": "version"},
    "col.coverage": {"zh": "覆盖率", "en": "coverage"},
    "col.null_share": {"zh": "空值率", "en": "null share"},
    "col.covered": {"zh": "覆盖客户", "en": "covered"},
    "col.changed": {"zh": "变化客户", "en": "changed"},
    "col.share": {"zh": "占比", "en": "share"},
    "col.transitions": {"zh": "主要变化", "en": "main transitions"},
    "col.count": {"zh": "人数", "en": "count"},
    "col.precision": {"zh": "精确率", "en": "precision"},
    "col.recall": {"zh": "召回率", "en": "recall"},
    "col.support": {"zh": "真实人数", "en": "support"},
    "col.predicted": {"zh": "打标人数", "en": "tagged"},
    "col.snapshot_id": {"zh": "快照", "en": "snapshot"},
    "col.build_id": {"zh": "构建", "en": "build"},
    "col.created_at": {"zh": "时间", "en": "created"},
    "col.as_of": {"zh": "数据截至", "en": "as of"},
    "col.incremental": {"zh": "增量", "en": "incremental"},
    "col.customers": {"zh": "客户数", "en": "customers"},
    "col.recomputed": {"zh": "重算客户", "en": "recomputed"},
    "build.clean": {
        "zh": "清洗：去除完全重复的记录 {duplicates} 条；数据质量得分 {score}/100"
        "（persona quality 查看详情）",
        "en": "Clean: {duplicates} exact duplicates dropped; data-quality score {score}/100 "
        "(details: persona quality)",
    },
    "quality.title": {
        "zh": "数据质量（总分 {score}/100）",
        "en": "Data quality (score {score}/100)",
    },
    "quality.source": {
        "zh": "{name}：得分 {score}，{records} 条记录，最新 {newest}（{days} 天前）",
        "en": "{name}: score {score}, {records} records, newest {newest} ({days} days ago)",
    },
    "quality.coverage": {
        "zh": "五类数据覆盖（{customers} 位有资料的客户）：{shares}",
        "en": "Coverage of the five kinds ({customers} customers with a profile): {shares}",
    },
    "kind.profiles": {"zh": "基础属性", "en": "profiles"},
    "kind.events": {"zh": "行为", "en": "events"},
    "kind.transactions": {"zh": "交易", "en": "transactions"},
    "kind.surveys": {"zh": "心理", "en": "surveys"},
    "kind.relations": {"zh": "社交", "en": "relations"},
    "col.field": {"zh": "字段", "en": "field"},
    "col.completeness": {"zh": "完整率", "en": "complete"},
    "col.validity": {"zh": "有效率", "en": "valid"},
    "col.uniqueness": {"zh": "唯一率", "en": "unique"},
    "col.distinct": {"zh": "不同值", "en": "distinct"},
    "col.top": {"zh": "常见值", "en": "top values"},
    "identity.decided": {
        "zh": "已记录人工决定 #{id}（{action}）；下次 persona build 起生效",
        "en": "Recorded decision #{id} ({action}); it applies from the next persona build on",
    },
    "identity.evaluated": {
        "zh": "两两精确率 {precision:.4f}，召回率 {recall:.4f}，F1 {f1:.4f}（{records} 条记录，"
        "完全还原的人 {exact_clusters:.2%}）",
        "en": "Pairwise precision {precision:.4f}, recall {recall:.4f}, F1 {f1:.4f} "
        "({records} records; people recovered exactly: {exact_clusters:.2%})",
    },
    "identity.health": {
        "zh": "{customers} 位客户（{customers_with_profiles} 位有资料）；单条记录占比 "
        "{singleton_share:.1%}；排除的标识 {excluded} 个；最大的客户：{largest}",
        "en": "{customers} customers ({customers_with_profiles} with profiles); singletons "
        "{singleton_share:.1%}; identifiers excluded {excluded}; largest: {largest}",
    },
    "col.node": {"zh": "节点", "en": "node"},
    "demo.where": {
        "zh": "项目：{project}；存储：{store}；真实答案（用于检验）：{truth}",
        "en": "Project: {project}; store: {store}; ground truth (for checking): {truth}",
    },
    "demo.next": {
        "zh": "下一步：persona status --project {path}；persona quarantine --project {path}",
        "en": "Next: persona status --project {path}; persona quarantine --project {path}",
    },
    "store.upgraded": {"zh": "存储已升级：{detail}", "en": "Store upgraded: {detail}"},
    "segments.done": {
        "zh": "客群：{k} 个（{method}），{segmented} 位客户参与分群，{excluded} 位因未同意画像分析"
        "而排除；稳定性 {stability}（{seconds:.1f} 秒）",
        "en": "Segments: {k} ({method}) of {segmented} customers; {excluded} left out for lack "
        "of profiling consent; stability {stability} ({seconds:.1f} s)",
    },
    "segments.skipped": {"zh": "客群：未分群（{reason}）", "en": "Segments: none ({reason})"},
    "segments.kept": {
        "zh": "（仅部分客户的特征更新：沿用第 {run} 次拟合的模型，未重新拟合；完整构建或 "
        "persona segments fit 会重新拟合）",
        "en": "(only some customers' features changed: the model of fit #{run} was kept; a full "
        "build or persona segments fit refits)",
    },
    "segments.list.title": {"zh": "客群", "en": "Segments"},
    "segments.evidence": {"zh": "依据", "en": "Evidence"},
    "segments.fit": {
        "zh": "方法 {method}，k = {k}，特征：{features}；稳定性（自助法 ARI）{stability}",
        "en": "Method {method}, k = {k}, features: {features}; stability (bootstrap ARI) "
        "{stability}",
    },
    "segments.migration.title": {
        "zh": "快照 #{old} → #{new} 的客群迁移（人数；<{k} 表示少于 {k} 人，不显示）",
        "en": "Segment migration from snapshot #{old} to #{new} (customers; <{k}: fewer than "
        "{k}, not shown)",
    },
    "segments.migration.totals": {
        "zh": "留在原客群 {stayed}，换客群 {moved}，新进入 {entered}，离开 {left}",
        "en": "Stayed {stayed}, moved {moved}, entered {entered}, left {left}",
    },
    "segments.drift": {
        "zh": "{name}：{size_from} → {size_to} 人（{growth}）；{changes}",
        "en": "{name}: {size_from} → {size_to} customers ({growth}); {changes}",
    },
    "segments.none": {"zh": "未分群", "en": "not segmented"},
    "col.segment": {"zh": "客群", "en": "segment"},
    "col.size": {"zh": "人数", "en": "customers"},
    "col.centre": {"zh": "中心（主要特征）", "en": "centre (main features)"},
    "privacy.forget.confirm": {
        "zh": "将从项目的所有表、快照和导出登记中永久删除客户 {customer_id}（不可撤销）。继续？",
        "en": "Permanently remove customer {customer_id} from every table, snapshot and the "
        "export registry of the project (cannot be undone). Continue?",
    },
    "privacy.forget.cancelled": {
        "zh": "已取消，未删除任何数据。",
        "en": "Cancelled; nothing was removed.",
    },
    "privacy.forget.done": {
        "zh": "已删除客户 {customer_id}",
        "en": "Forgot customer {customer_id}",
    },
    "privacy.forget.suppressed": {
        "zh": "已加入抑制名单的标识：{n}（之后导入的此人记录会被跳过）",
        "en": "Identifiers suppressed: {n} (later ingests skip this person's records)",
    },
    "privacy.forget.decisions": {
        "zh": "已删除提及此人的身份决定：{n} 条",
        "en": "Identity decisions naming the person removed: {n}",
    },
    "privacy.forget.exports": {
        "zh": "以下导出已包含此人（文件已发出），请删除或召回：",
        "en": "These exports already held the person (the files left); delete or recall them:",
    },
    "privacy.col.table": {"zh": "表", "en": "table"},
    "privacy.col.rows": {"zh": "删除行数", "en": "rows removed"},
    "privacy.audit.title": {"zh": "审计日志", "en": "Audit log"},
    "privacy.audit.none": {"zh": "审计日志中没有记录。", "en": "No audit log entries."},
    "privacy.col.entry_id": {"zh": "编号", "en": "entry"},
    "privacy.col.logged_at": {"zh": "时间", "en": "time"},
    "privacy.col.action": {"zh": "操作", "en": "action"},
    "privacy.col.subject": {"zh": "对象", "en": "subject"},
    "privacy.col.detail": {"zh": "详情", "en": "detail"},
    "privacy.col.actor": {"zh": "操作人", "en": "actor"},
    "privacy.export.left_out.analytics_refused": {
        "zh": "未导出拒绝数据分析的客户：{n}",
        "en": "Left out (refused analytics): {n}",
    },
    "privacy.export.left_out.marketing_opt_out": {
        "zh": "未导出拒绝营销的客户：{n}（分析用途可加 --include-opted-out）",
        "en": "Left out (refused marketing): {n} (for analysis only: --include-opted-out)",
    },
    "privacy.export.masked": {
        "zh": "直接标识已脱敏（--unmask 导出原值，会记入审计日志）",
        "en": "Direct identifiers masked (--unmask exports them as they are, audited)",
    },
    "privacy.export.unmasked": {
        "zh": "直接标识未脱敏导出（已记入审计日志）",
        "en": "Direct identifiers exported unmasked (recorded in the audit log)",
    },
    "privacy.export.pseudonymised": {
        "zh": "已假名化：客户编号为项目密钥下的哈希，直接标识已删除（已记入审计日志）",
        "en": "Pseudonymised: ids are keyed hashes, direct identifiers dropped (audited)",
    },
    "privacy.retention": {
        "zh": "保留期限：删除了 {n} 条早于 {cutoff} 的记录（{tables}）",
        "en": "Retention: removed {n} records older than {cutoff} ({tables})",
    },
    "privacy.tags.refused": {
        "zh": "拒绝画像的客户 {n} 位只保留基础属性标签",
        "en": "{n} customers who refused profiling keep only their basic (demographics) tags",
    },
    "coverage.audience": {"zh": "客群：{expression}", "en": "Audience: {expression}"},
    "coverage.rows": {
        "zh": "名单 {file}：收到 {received} 行 = 匹配 {matched} + 未匹配 {unmatched}"
        "（其中 {ambiguous} 行对应多位客户）+ 空 {empty} + 重复 {duplicate}",
        "en": "List {file}: {received} rows received = {matched} matched + {unmatched} "
        "unmatched ({ambiguous} naming several customers) + {empty} empty + {duplicate} "
        "duplicates",
    },
    "coverage.sizes": {
        "zh": "名单客户 {listed}，客群 {audience} 人（共 {population} 人），两者皆有 {in_both}",
        "en": "List customers {listed}, audience {audience} (of {population}), in both {in_both}",
    },
    "coverage.coverage": {
        "zh": "覆盖率 {value}：名单客户中在客群内的比例",
        "en": "Coverage {value}: share of the list's customers inside the audience",
    },
    "coverage.hit_rate": {
        "zh": "命中率（精准度）{value}：客群中在名单上的比例",
        "en": "Hit rate (precision) {value}: share of the audience on the list",
    },
    "coverage.lift": {
        "zh": "提升度 {value}：客群中名单客户的密度是全体客户的倍数",
        "en": "Lift {value}: how many times denser the list's customers are in the audience "
        "than among all customers",
    },
    "coverage.hidden": {"zh": "不显示（少于 {k} 人）", "en": "not shown (fewer than {k})"},
    "coverage.left_out": {
        "zh": "已排除拒绝营销的客户：客群 {audience}，名单 {listed}",
        "en": "Left out (refused marketing): {audience} from the audience, {listed} from the list",
    },
    "lookalike.chosen": {
        "zh": "相似人群：为种子 {expression} 选出 {size} 位客户"
        "（要求 {requested}，候选 {candidates}）",
        "en": "Lookalike of {expression}: {size} customers chosen (asked {requested}, "
        "from {candidates} candidates)",
    },
    "lookalike.seed": {
        "zh": "种子：{members} 位允许画像分析的成员，{training} 位用于训练，"
        "{held_out} 位留出用于检验",
        "en": "Seed: {members} members who allow profiling, {training} learned from, "
        "{held_out} held out to check the model",
    },
    "lookalike.precision": {
        "zh": "预期准确率 {value}：所选客户中预计真正与种子相似的比例（由留出成员估计）",
        "en": "Expected precision {value}: the share of the chosen customers expected to be "
        "really like the seed (estimated on the held-out members)",
    },
    "lookalike.recall": {
        "zh": "留出召回率 {value}：模型没见过的种子成员中，有这一比例的人会进入名单",
        "en": "Held-out recall {value}: of the seed members the model never saw, this share "
        "would have made the list",
    },
    "lookalike.auc": {
        "zh": "留出 AUC {value}（0.5 = 随机，1 = 完美；候选中含未发现的相似客户，真实值不低于此）",
        "en": "Held-out AUC {value} (0.5 chance, 1 perfect; candidates include undiscovered "
        "lookalikes, so the true AUC is at least this)",
    },
    "lookalike.features": {
        "zh": "最能使客户接近种子的特征",
        "en": "Features pushing customers towards the seed",
    },
    "lookalike.col.feature": {"zh": "特征", "en": "feature"},
    "lookalike.col.weight": {"zh": "权重", "en": "weight"},
    "lookalike.col.seed": {"zh": "种子均值", "en": "seed mean"},
    "lookalike.col.others": {"zh": "其他客户均值", "en": "others' mean"},
    "lookalike.left_out": {
        "zh": "已排除：拒绝画像分析 {refused} 位（不训练、不入选），"
        "拒绝营销 {opted_out} 位（不入选）",
        "en": "Left out: {refused} who refused profiling (neither learned from nor chosen), "
        "{opted_out} who refused marketing (not chosen)",
    },
    "lookalike.exported": {
        "zh": "已导出 {n} 位客户到 {path}（导出编号 {export_id}，已记入审计日志）",
        "en": "Exported {n} customers to {path} (export {export_id}, recorded in the audit log)",
    },
}


def resolve_lang(explicit: str | None = None, project_lang: str | None = None) -> Lang:
    """Pick the output language: explicit, then PERSONA_LANG, then the project's, then zh."""
    for candidate in (explicit, os.environ.get("PERSONA_LANG"), project_lang):
        if candidate in ("zh", "en"):
            return candidate  # type: ignore[return-value]
    return "zh"


def text(key: str, lang: Lang, **values: object) -> str:
    """Return the message `key` in `lang`, formatted with `values`.

    Example:
        >>> text("status.store", "en", path="/p/.persona/store.duckdb")
        'Store: /p/.persona/store.duckdb'
    """
    return MESSAGES[key][lang].format(**values)
