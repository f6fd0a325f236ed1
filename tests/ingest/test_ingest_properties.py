"""Property tests of the parsing entry points: feeds, URLs, HTML fragments, sentence spans, sources files."""

from __future__ import annotations

import re
import tempfile
from html import escape
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from pipeline.core.errors import FetchError, InputError, ItemRejected
from pipeline.core.outlets import Feed
from pipeline.core.record import Article
from pipeline.core.text import sentence_spans
from pipeline.ingest.extract import canonical_url, strip_html
from pipeline.ingest.feeds import parse_feed
from pipeline.ingest.sources import load_sources

PROPS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEED = Feed(url="http://feeds.test/rss.xml", outlet_id="o")
SOCIAL = Feed(url="http://feeds.test/s.xml", outlet_id="s", kind="social")

# Characters XML 1.0 allows (no controls but tab/newline/CR, no surrogates, no U+FFFE/U+FFFF).
xml_chars = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff") | st.sampled_from(
    "\t\n\r")
xml_text = st.text(xml_chars, max_size=40)


def check_articles(articles: list[Article], rejected: list[tuple[str, str]]) -> None:
    """What every parse must give: usable articles, readable rejections."""
    for a in articles:
        assert isinstance(a, Article)
        parts = urlsplit(a.url)
        assert parts.scheme in ("http", "https") and a.url.startswith(("http://", "https://")), a.url
        assert parts.hostname, f"article URL without a host: {a.url!r}"
        assert isinstance(a.title, str) and isinstance(a.text, str)
        assert a.published is None or a.published.tzinfo is not None
        assert a.feed_url == FEED.url or a.feed_url == SOCIAL.url
    for source, reason in rejected:
        assert isinstance(source, str) and isinstance(reason, str) and reason


def parse_or_fetch_error(data: bytes, feed: Feed = FEED) -> tuple[list[Article], list[tuple[str, str]]] | None:
    """parse_feed's result, or None when it raised FetchError (the only exception allowed)."""
    try:
        articles, rejected = parse_feed(data, feed, "secret")
    except FetchError as exc:
        assert str(exc).startswith(feed.url), str(exc)
        return None
    check_articles(articles, rejected)
    return articles, rejected


# --- parse_feed ------------------------------------------------------------------------------------

FEEDISH = [b"<?xml version='1.0'?>", b"<rss version='2.0'><channel>", b"<item>", b"</item>", b"<title>",
           b"</title>", b"<link>http://a.test/x</link>", b"<link>", b"</link>", b"<entry>", b"<feed xmlns="
           b"'http://www.w3.org/2005/Atom'>", b"<![CDATA[", b"]]>", b"&amp;", b"&#0;", b"&bogus;", b"\xef\xbb\xbf",
           b"<guid>", b"</guid>", b"<pubDate>", b"</pubDate>", b"http://", b"https://[", b":99999"]


@PROPS
@given(st.binary(max_size=2000) | st.lists(st.sampled_from(FEEDISH) | st.binary(max_size=20), max_size=30)
       .map(b"".join))
def test_parse_feed_on_arbitrary_bytes(data: bytes) -> None:
    parse_or_fetch_error(data)


links = st.one_of(
    st.builds(lambda scheme, host, path, q: f"{scheme}://{host}/{path}{q}",
              st.sampled_from(["http", "https", "HTTP", "Https", "ftp", "javascript", "mailto", "file"]),
              st.from_regex(r"[a-z0-9.-]{0,12}(:[0-9]{0,6})?", fullmatch=True) | st.sampled_from(
                  ["[::1]", "[::1", "[fe80::1]:8080", "h:abc", "EXAMPLE.com", "user:pw@h.test", "h.test:0"]),
              st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
              st.sampled_from(["", "?utm_source=x", "?a=1&utm_medium=y#frag", "?%zz=1", "#top"])),
    xml_text,
    st.sampled_from(["", "/relative/path", "//proto.test/x", "http://", "https:///x", "http:x"]),
)
dates = st.one_of(
    st.sampled_from(["Tue, 03 Mar 2026 10:00:00 +0100", "2026-03-03T10:00:00Z", "not a date", "",
                     "Mon, 30 Feb 2026 10:00:00 GMT", "2026-02-30T10:00:00Z", "Tue, 03 Mar 99999 10:00:00 GMT"]),
    st.datetimes().map(lambda d: d.strftime("%a, %d %b %Y %H:%M:%S +0000")),
    xml_text,
)
html_bits = st.sampled_from(["<p>", "</p>", "<br>", "<script>alert(1)</script>", "<b>", "</b>", "&amp;", "&lt;",
                             "&#x3c;script&#x3e;", "<img src=x onerror=alert(1)>", "<!-- c -->", "<"])
descriptions = st.lists(html_bits | xml_text, max_size=8).map("".join)


@st.composite
def rss_documents(draw: st.DrawFn) -> tuple[bytes, int]:
    """A well-formed RSS 2.0 document with random items; also the number of items."""
    items = []
    n = draw(st.integers(0, 6))
    for _ in range(n):
        parts = [f"<title>{escape(draw(xml_text | descriptions))}</title>"]
        if draw(st.booleans()):
            parts.append(f"<link>{escape(draw(links))}</link>")
        if draw(st.booleans()):
            parts.append(f"<guid>{escape(draw(links))}</guid>")
        if draw(st.booleans()):
            parts.append(f"<pubDate>{escape(draw(dates))}</pubDate>")
        if draw(st.booleans()):
            parts.append(f"<description>{escape(draw(descriptions))}</description>")
        if draw(st.booleans()):
            parts.append(f"<author>{escape(draw(xml_text))}</author>")
        items.append("<item>" + "".join(parts) + "</item>")
    encoding = draw(st.sampled_from(["utf-8", "UTF-8", None]))
    prolog = f'<?xml version="1.0" encoding="{encoding}"?>' if encoding else ""
    doc = (f'{prolog}<rss version="2.0"><channel><title>{escape(draw(xml_text))}</title>'
           f"<link>http://site.test/</link><description>d</description>{''.join(items)}</channel></rss>")
    return doc.encode("utf-8"), n


@PROPS
@given(rss_documents(), st.booleans())
@example((b'<rss version="2.0"><channel><title>t</title><item><link>http://[::1</link></item></channel></rss>', 1),
         False)
@example((b'<rss version="2.0"><channel><title>t</title><item><link>http://h:99999/x</link></item>'
          b"</channel></rss>", 1), False)
def test_parse_feed_on_generated_rss(doc: tuple[bytes, int], social: bool) -> None:
    data, n_items = doc
    result = parse_or_fetch_error(data, SOCIAL if social else FEED)
    assert result is not None, "a well-formed RSS document was refused"
    articles, rejected = result
    assert len(articles) + len(rejected) == n_items  # every item is accounted for
    if social:
        assert all(a.author is None or a.author.startswith("author:") for a in articles)


# --- canonical_url ---------------------------------------------------------------------------------

TRACKERS = st.from_regex(r"(utm_[a-z]{1,8}|UTM_Source|fbclid|gclid)", fullmatch=True)
url_chars = st.characters(blacklist_categories=("Cs",))
urls = st.one_of(
    st.text(url_chars, max_size=60),
    st.builds(lambda s, h, p, q, f: f"{s}://{h}{p}{q}{f}",
              st.sampled_from(["http", "https", "HTTP", "hTTps"]),
              st.from_regex(r"[A-Za-z0-9.-]{1,15}(:[0-9]{1,5})?", fullmatch=True)
              | st.sampled_from(["[::1]", "[2001:DB8::1]:8443", "User@Host.test", "h.test:80", "h.test:443"]),
              st.text(url_chars, max_size=15).map(lambda t: "/" + t),
              st.lists(st.tuples(st.text(url_chars, max_size=6) | TRACKERS, st.text(url_chars, max_size=6)),
                       max_size=4).map(lambda kv: ("?" + "&".join(f"{k}={v}" for k, v in kv)) if kv else ""),
              st.sampled_from(["", "#", "#frag", "#a?b"])),
)


def canonical_or_rejected(url: str) -> str | None:
    """canonical_url of a URL, or None when it says the URL is unusable (ItemRejected, nothing else)."""
    try:
        out = canonical_url(url)
    except ItemRejected as exc:
        assert str(exc)
        return None
    assert isinstance(out, str)
    return out


@PROPS
@given(urls)
@example("http://[::1]:8080/x/")
@example("http://[::1")
@example("http://h:99999/")
@example("http://a\uff03b/")
@example("http:////x/")
@example("0\x85#")
@example("http://h.test/a /#frag")
@example("http://h.test \x85/")
def test_canonical_url_is_idempotent(url: str) -> None:
    once = canonical_or_rejected(url)
    assume(once is not None)
    assert canonical_url(once) == once


@PROPS
@given(urls, st.lists(st.tuples(TRACKERS, st.text(url_chars, max_size=5)), min_size=1, max_size=3))
def test_canonical_url_drops_tracking_params(url: str, trackers: list[tuple[str, str]]) -> None:
    sep = "&" if "?" in url.split("#")[0] else "?"
    base, _, frag = url.partition("#")
    tracked = base + sep + "&".join(f"{k}={v}" for k, v in trackers) + (("#" + frag) if frag else "")
    out = canonical_or_rejected(tracked)
    assume(out is not None)
    keys = [k for k, _ in parse_qsl(urlsplit(out).query, keep_blank_values=True)]
    assert not [k for k in keys if re.match(r"(?i)utm_", k) or k in ("fbclid", "gclid")], out
    assert "#" not in out


def test_canonical_url_keeps_ipv6_hosts_bracketed() -> None:
    assert canonical_url("HTTP://[2001:DB8::1]:8443/a/?utm_source=x&b=2") == "http://[2001:db8::1]:8443/a?b=2"
    assert canonical_url("http://[::1]:80/") == "http://[::1]"


# --- strip_html --------------------------------------------------------------------------------------
# strip_html returns *plain text*, not HTML: it removes markup and then decodes entities, so text that was
# entity-escaped in the feed ("&lt;script&gt;") comes back as the literal characters "<script>". That is
# correct (it is what the author wrote), and it is why every output layer escapes (Jinja autoescape in the
# report, JSON in exports). The properties below are the ones a plain-text extractor must keep:
#   1. markup never survives: with no entities in the input, the output contains no tag at all;
#   2. escaped text survives exactly as literal text (no double decoding, no tag stripping after decoding);
#   3. the output is normalised: stripped paragraphs separated by one blank line, no runs of spaces or tabs.

TAG = re.compile(r"<[^>]+>")
fragments = st.lists(st.sampled_from(["<script>", "</script>", "<script src='x'>", "<SCRIPT>", "<scr<script>ipt>",
                                      "<p>", "</p>", "<br/>", "<BR >", "<a href='x'>", "</a>", "<", ">", "\n",
                                      "\n\n", " ", "\t", "alert(1)", "<!--", "-->", "<<", ">>"])
                     | st.text(st.characters(blacklist_categories=("Cs",)), max_size=10), max_size=15).map("".join)


@PROPS
@given(fragments)
def test_strip_html_removes_all_markup(fragment: str) -> None:
    assume("&" not in fragment)
    out = strip_html(fragment)
    assert not TAG.search(out), out
    assert "<script" not in out.lower()


@PROPS
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_strip_html_decodes_escaped_text_once(text: str) -> None:
    assume(text.strip() == text and "\n" not in text and not re.search(r"[ \t\r\f\v]{2}", text))
    assume(not any(c in text for c in "\r\f\v\t\x1c\x1d\x1e\x1f\x85\u2028\u2029") and text.isprintable())
    assert strip_html(escape(text)) == text
    assert strip_html("<p>" + escape("<script>alert(1)</script>") + "</p>") == "<script>alert(1)</script>"


@PROPS
@given(fragments | st.text(max_size=60))
def test_strip_html_output_is_normalised(fragment: str) -> None:
    out = strip_html(fragment)
    assert out == out.strip()
    assert "\n\n\n" not in out
    assert not re.search(r"[ \t\r\f\v]{2}", out)
    assert strip_html(out.replace("&", "&amp;").replace("<", "&lt;")) == out  # stable once escaped


# --- sentence_spans ----------------------------------------------------------------------------------

sentences = st.lists(st.sampled_from(["Hello world.", "Yes!", "Why?", "«Quoted.»", '"Said so."', "(Aside.)",
                                      "¿Qué?", "3 of them.", "@user hi.", "#tag.", "…", "\n\n", "\n", " ", "  ",
                                      "\t", "a", "Él vino."]) | st.text(max_size=8), max_size=20).map(" ".join)


@PROPS
@given(sentences | st.text(max_size=200))
def test_sentence_spans_are_sorted_disjoint_in_bounds_and_trimmed(text: str) -> None:
    spans = sentence_spans(text)
    prev_end = 0
    for start, end in spans:
        assert 0 <= prev_end <= start < end <= len(text), (spans, text)
        piece = text[start:end]
        assert piece == piece.strip() and piece, (piece, text)
        prev_end = end
    covered = "".join(text[s:e] for s, e in spans)
    assert "".join(covered.split()) == "".join(text.split())  # nothing but whitespace is left out


# --- load_sources ------------------------------------------------------------------------------------

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
KEYS = ["name", "feeds", "url", "kind", "media_type", "id", "country", "language", "outlets", "website"]
values = st.recursive(scalars | st.sampled_from(["http://a.test/rss", "file:///x", "rss", "atom", "newspaper",
                                                 "Bogus"]),
                      lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), inner, max_size=4),
                      max_leaves=12)
feed_entries = st.fixed_dictionaries({}, optional={"url": values, "kind": values}) | values
outlet_rows = st.fixed_dictionaries({"name": values}, optional={
    "feeds": st.lists(feed_entries, max_size=3) | values, "media_type": values, "id": values, "country": values})
outlet_docs = st.lists(outlet_rows, max_size=4).flatmap(lambda rows: st.sampled_from([rows, {"outlets": rows}]))
yaml_docs = st.one_of(values.map(lambda v: yaml.safe_dump(v, allow_unicode=True)),
                      outlet_docs.map(lambda v: yaml.safe_dump(v, allow_unicode=True)),
                      st.text(st.characters(blacklist_categories=("Cs",)), max_size=200))
csv_docs = st.one_of(
    st.lists(st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)
                      | st.sampled_from(["name", "feed_url", "kind", "media_type", "http://a.test/f", "atom",
                                         '"', '""', ",", "\n"]), max_size=5).map(",".join),
             max_size=5).map("\n".join),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=200),
)


def load_or_input_error(text: str, suffix: str) -> None:
    """load_sources on a file with this text returns or raises InputError, nothing else."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"sources{suffix}"
        path.write_text(text, encoding="utf-8")
        try:
            outlets, feeds = load_sources(path)
        except InputError as exc:
            assert str(exc)
            return
    assert outlets
    ids = {o.id for o in outlets}
    assert all(f.outlet_id in ids and re.match(r"^(https?://|file:)", f.url) for f in feeds)


@PROPS
@given(yaml_docs)
@example("- name: X\n  feeds: 5\n")
def test_load_sources_yaml_returns_or_raises_input_error(text: str) -> None:
    load_or_input_error(text, ".yaml")


@PROPS
@given(csv_docs)
@example("name,feed_url\nX,http://a.test/f,extra\n")
def test_load_sources_csv_returns_or_raises_input_error(text: str) -> None:
    load_or_input_error(text, ".csv")
