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
