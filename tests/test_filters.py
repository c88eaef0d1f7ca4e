"""Topic filter and the article / not-article judgement."""

from __future__ import annotations

from corpus.article import Article, word_count
from corpus.filters import TopicFilter, rejection_reason

TOPIC = TopicFilter([["Venezuela", "venezolano", "Maduro"], ["Russia", "Moscú", "Kremlin"]])


def article(text: str, words: int = 0, link_words: int = 0) -> Article:
    paragraphs = [text] + ["filler " * 20] * (words // 20)
    return Article(
        url="https://n.example/a", title="T", paragraphs=paragraphs, link_words=link_words
    )


def test_topic_needs_a_term_of_every_group() -> None:
    assert TOPIC.matches("Maduro met envoys from the Kremlin.")
    assert not TOPIC.matches("Maduro met envoys from Colombia.")


def test_topic_ignores_case_and_accents_and_needs_whole_words() -> None:
    assert TOPIC.matches("EL GOBIERNO VENEZOLANO Y MOSCU FIRMARON")
    assert not TOPIC.matches("Venezuelan envoys went to Moscow")  # neither term is listed
    assert not TOPIC.matches("Maduros and Kremlinology")


def test_plain_list_is_one_group_and_empty_filter_accepts() -> None:
    assert TopicFilter([["oil", "gas"]]).matches("Gas prices")
    assert (
        not TopicFilter([]) and rejection_reason(article("x", 200), topic=TopicFilter([])) is None
    )


def test_rejection_reasons() -> None:
    assert rejection_reason(None) == "empty"
    assert rejection_reason(article("Short text.", 0)) == "too-short"
    assert rejection_reason(article("Maduro", 200, link_words=150)) == "listing"
    assert rejection_reason(article("Sports only", 200), topic=TOPIC) == "off-topic"
    assert rejection_reason(article("Maduro and the Kremlin", 200), topic=TOPIC) is None


def test_word_count_counts_cjk_characters() -> None:
    assert word_count("Hello, world!") == 2
    assert word_count("東京都の新しい") == 7


def test_the_crawl_judge_takes_the_source_minimum_else_corpus_min_words() -> None:
    from scraper.judge import Judge
    from scraper.sources import parse_sources
    from sitefixture.settings import settings

    brief = article("Maduro", 60)
    brief.page_type = "article"
    default, strict = parse_sources(
        '[[source]]\nname = "a"\nurl = "https://a.example/"\n[[source]]\nname = "b"\nurl = "https://b.example/"\nmin_words = 80\n'
    )
    judge = Judge.from_settings(settings({"CORPUS_MIN_WORDS": 40}))
    assert judge.verdict(brief, default) == "written"
    assert judge.verdict(brief, strict) == "filtered:too-short"
    assert (
        Judge.from_settings(settings({"CORPUS_MIN_WORDS": 70})).verdict(brief, default)
        == "filtered:too-short"
    )
    brief.page_type = None
    assert (
        judge.verdict(brief, default) == "filtered:not-article"
    )  # short, and the page says nothing
