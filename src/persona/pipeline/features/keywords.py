"""Free-text keywords of survey answers: each customer's most frequent words.

Text answers (questions of type ``text`` in the question bank) are split into runs of Chinese
characters and runs of other letters and digits. Chinese runs are segmented by jieba (precise
mode, ``lcut``); other runs are lower-cased words. A keyword is a token that is not a stop word
(`STOP_WORDS_ZH`, `STOP_WORDS_EN`), not a single character and not only digits.

Only the distinct answers go through Python, once each (a Chinese phrase shared by several
answers is segmented once); their keywords go back to the engine (`Engine.stage_arrow`), and the
counting and ranking per customer is SQL. jieba is imported, and its dictionary loaded (about a
second), only when there is Chinese text to segment.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import tempfile
import threading
import unicodedata
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa

from persona.engine.base import Engine

MAX_KEYWORDS = 5
"""Keywords kept per customer (`survey_keywords`), most frequent first."""
BATCH_ROWS = 50_000
"""Rows of (answer, keyword, occurrences) per Arrow batch sent back to the engine."""

# fmt: off
STOP_WORDS_ZH = frozenset(
    (
        "我们", "你们", "他们", "她们", "它们", "咱们", "大家", "自己", "别人", "这个", "那个",
        "这些", "那些", "这样", "那样", "这么", "那么", "这里", "那里", "这种", "那种", "一个",
        "一些", "一点", "一下", "一直", "一定", "一般", "什么", "怎么", "怎样", "怎么样", "如何",
        "为什么", "为何", "哪些", "哪里", "可以", "可能", "能够", "应该", "需要", "希望", "觉得",
        "感觉", "认为", "知道", "非常", "比较", "特别", "十分", "有点", "有些", "更加", "还是",
        "就是", "但是", "而且", "并且", "因为", "所以", "如果", "虽然", "然后", "已经", "还有",
        "或者", "以及", "没有", "不是", "不会", "不能", "不要", "其实", "真的", "总是", "经常",
        "时候", "现在", "目前", "东西", "问题", "暂无", "还好", "还行", "谢谢", "没什么",
        "无所谓",
    )
)
"""Chinese function words and survey fillers (无、没有、还行 ...); single characters are dropped
anyway, so the list holds words of two characters or more."""

STOP_WORDS_EN = frozenset(
    (
        "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any",
        "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both",
        "but", "by", "can", "could", "did", "do", "does", "doing", "don't", "down", "during",
        "each", "even", "ever", "few", "for", "from", "further", "get", "got", "had", "has", "have",
        "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i",
        "i'm", "i've", "if", "in", "into", "is", "isn't", "it", "it's", "its", "itself", "just",
        "let", "like", "lot", "lots", "many", "me", "more", "most", "much", "must", "my", "myself",
        "na", "no", "none", "nor", "not", "nothing", "of", "off", "often", "on", "once",
        "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "please", "really",
        "same", "she", "should", "so", "some", "still", "such", "than", "thank", "thanks", "that",
        "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this",
        "those", "through", "to", "too", "under", "until", "up", "us", "very", "want", "was", "we",
        "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with",
        "would", "you", "your", "yours", "yourself", "yourselves",
    )
)
"""English function words and survey fillers (please, nothing, na ...), lower-case."""
# fmt: on

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_LETTER = rf"(?:(?![{_HAN}])[^\W_])"
_TOKEN = re.compile(rf"(?P<han>[{_HAN}]+)|(?P<word>{_LETTER}+(?:'{_LETTER}+)*)")
"""A run of Chinese characters, or a word of other letters and digits (with inner apostrophes)."""

_jieba_lock = threading.Lock()
_segmenter: Any = None


def keywords(text: str) -> list[str]:
    """The keywords of one text, in order of appearance (repeats kept).

    Args:
        text: A free-text answer in Chinese, English or both.

    Returns:
        Its keywords: Chinese words from jieba and lower-cased English words, without stop
        words, punctuation, single characters and numbers.

    Example:
        >>> keywords("Faster delivery, please! Delivery is slow.")
        ['faster', 'delivery', 'delivery', 'slow']
    """
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").lower()
    found: list[str] = []
    for match in _TOKEN.finditer(text):
        han, word = match.group("han"), match.group("word")
        if han:
            found += (w for w in _segment(han) if len(w) > 1 and w not in STOP_WORDS_ZH)
        else:
            word = word.removesuffix("'s")
            if len(word) > 1 and not word.isdigit() and word not in STOP_WORDS_EN:
                found.append(word)
    return found


def top_keywords(texts: Iterable[str], limit: int = MAX_KEYWORDS) -> list[str]:
    """The `limit` most frequent keywords of some texts, ties in alphabetical order.

    The same ranking as the `survey_keywords` feature, in Python.

    Example:
        >>> top_keywords(["more coupons", "coupons and points", "points"], limit=2)
        ['coupons', 'points']
    """
    counts = Counter(k for text in texts for k in keywords(text))
    return [k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


def build_keywords(engine: Engine, texts: str, table: str) -> None:
    """Create temp `table` (cid, survey_keywords) from temp `texts` (cid, answer).

    Every customer of `texts` gets a row: up to `MAX_KEYWORDS` keywords of their answers, most
    occurrences first, ties in alphabetical (code point) order; an empty list when the answers
    hold no keyword.

    Args:
        engine: The engine holding `texts`.
        texts: A table of text answers, one row per answer.
        table: The temp table to create.
    """
    distinct = [str(r[0]) for r in engine.fetch_all(f"select distinct answer from {texts}")]
    staged = f"{table}_terms"
    engine.stage_arrow(staged, _term_batches(distinct))
    try:
        engine.drop(table)
        engine.execute(
            f"create temp table {table} as select c.cid, coalesce(list(k.keyword order by "
            "k.n desc, k.keyword) filter (where k.keyword is not null), []::varchar[]) "
            f"as survey_keywords from (select distinct cid from {texts}) c left join ("
            f"select t.cid, s.keyword, sum(s.occurrences) as n from {texts} t "
            f"join {staged} s on s.answer = t.answer group by t.cid, s.keyword "
            "qualify row_number() over (partition by t.cid order by n desc, s.keyword) "
            f"<= {MAX_KEYWORDS}) k on k.cid = c.cid group by c.cid"
        )
    finally:
        engine.drop(staged)


_SCHEMA = pa.schema(
    [("answer", pa.string()), ("keyword", pa.string()), ("occurrences", pa.int32())]
)


def _term_batches(texts: list[str]) -> Iterator[pa.RecordBatch]:
    """(answer, keyword, occurrences) of each text's keywords, in batches; at least one batch."""
    answers: list[str] = []
    terms: list[str] = []
    counts: list[int] = []
    for text in texts:
        for keyword, count in Counter(keywords(text)).items():
            answers.append(text)
            terms.append(keyword)
            counts.append(count)
        if len(answers) >= BATCH_ROWS:
            yield pa.record_batch([answers, terms, counts], schema=_SCHEMA)
            answers, terms, counts = [], [], []
    if answers or not texts:
        yield pa.record_batch([answers, terms, counts], schema=_SCHEMA)


@functools.lru_cache(maxsize=1 << 16)
def _segment(run: str) -> tuple[str, ...]:
    """The words jieba finds in a run of Chinese characters (cached: answers share phrases)."""
    global _segmenter
    if _segmenter is None:
        with _jieba_lock:
            if _segmenter is None:
                _segmenter = _load_jieba()
    return tuple(_segmenter.lcut(run))


def _load_jieba() -> Any:
    """A jieba tokenizer with its bundled dictionary loaded, quietly and without leftovers.

    Importing jieba 0.42 warns (it imports the deprecated ``pkg_resources`` and, when its
    bytecode is not compiled yet, has invalid escape sequences); these are jieba's own and
    harmless, so they are silenced around the import only. Loading the dictionary logs at DEBUG
    level to stderr and writes a cache file: the log is silenced while loading, and the cache
    goes to a private temporary folder removed right after (nothing is read from a shared
    cache, nothing is left behind, a read-only home or temp folder does no harm).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import jieba

    tokenizer = jieba.Tokenizer()  # our own, so the global jieba.dt stays the user's
    logger = logging.getLogger("jieba")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with tempfile.TemporaryDirectory(prefix="persona-jieba-", ignore_cleanup_errors=True) as d:
            tokenizer.tmp_dir = d
            tokenizer.initialize()
    except OSError:
        # No usable temp folder: name a folder that cannot exist, so jieba reads no cache and
        # fails to write one (which it tolerates, logging it) after loading the dictionary.
        tokenizer.tmp_dir = os.path.join(os.devnull, "persona-jieba")
        tokenizer.initialize()
    finally:
        logger.setLevel(level)
    return tokenizer
