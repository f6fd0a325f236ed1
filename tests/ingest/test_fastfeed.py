"""The lxml fast path gives what feedparser gives, value for value, and leaves everything else to feedparser."""

from __future__ import annotations

import warnings
from html import escape
from pathlib import Path
from typing import Any

import feedparser
import pytest
from feedparser.sanitizer import _sanitize_html
from feedparser.urls import resolve_relative_uris
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.feedserver import feed_xml
from pipeline.core.errors import FetchError
from pipeline.core.outlets import Feed
from pipeline.ingest import fastfeed
from pipeline.ingest.feeds import articles_of, feed_entries, feedparser_entries, fix_declared_charset, parse_feed
from pipeline.sample.server import atom, rss, sample_items

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
NEWS = Feed(url="http://feeds.test/news.xml", outlet_id="news")
SOCIAL = Feed(url="http://feeds.test/posts.xml", outlet_id="posts", kind="social")
SECRET = "fastfeed-test-pseudonym-key"
KEYS = ("title", "link", "id", "summary", "author", "published", "published_parsed", "updated", "updated_parsed")
PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NS = ('xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
      'xmlns:media="http://search.yahoo.com/mrss/" xmlns:slash="http://purl.org/rss/1.0/modules/slash/" '
      'xmlns:atom="http://www.w3.org/2005/Atom"')


def rss_doc(items: str, prolog: str = '<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    """An RSS 2.0 document around some <item> elements (with the channel furniture of a WordPress feed)."""
    return (f'{prolog}<rss version="2.0" {NS}><channel><title>T</title><link>http://t.test/</link>'
            '<atom:link href="http://t.test/feed/" rel="self" type="application/rss+xml"/>'
            "<description>d</description><language>en-GB</language><lastBuildDate>Tue, 03 Mar 2026 10:00:00 +0000"
            "</lastBuildDate><image><url>http://t.test/i.png</url><title>T</title><link>http://t.test/</link>"
            f"</image>{items}</channel></rss>").encode()


def atom_doc(entries: str) -> bytes:
    """An Atom 1.0 document around some <entry> elements."""
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>A</title><id>urn:a</id><updated>2026-01-01T00:00:00Z</updated>{entries}</feed>").encode()


def values(entries: list[Any]) -> list[dict[str, Any]]:
    """What the ingest reads from each entry (FeedParserDict.get, its aliases included)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # feedparser's updated -> published alias
        return [{**{k: e.get(k) for k in KEYS}, "content": [c.get("value") for c in e.get("content", [])]}
                for e in entries]


def assert_same(data: bytes, fast_expected: bool = True) -> list[Any]:
    """Both paths give the same values and the same records (news and social); the fast path read it."""
    data = fix_declared_charset(data)
    fast, slow = fastfeed.entries(data), feedparser_entries(data, NEWS)
    assert (fast is not None) == fast_expected
    if fast is not None:
        assert values(fast) == values(slow)
        for feed in (NEWS, SOCIAL):
            assert articles_of(fast, feed, SECRET) == articles_of(slow, feed, SECRET)
    return slow


def sample_documents() -> list[bytes]:
    """The bundled sample's feeds (RSS, social RSS and Atom), as the demo serves them."""
    by_outlet: dict[str, list[dict[str, Any]]] = {}
    for item in sample_items():
        by_outlet.setdefault(item["outlet"], []).append(item)
    docs = []
    for outlet, items in sorted(by_outlet.items()):
        docs += [rss(outlet, "http://127.0.0.1:8765", items, False).encode(),
                 rss(outlet, "http://127.0.0.1:8765", items, True).encode(),
                 atom(outlet, "http://127.0.0.1:8765", items).encode()]
    return docs


def test_sample_and_bench_feeds_take_the_fast_path_with_the_same_records() -> None:
    docs = sample_documents() + [feed_xml(3, 7, 20)]
    docs += [(RESOURCES / n).read_text().replace("{base}", "http://a.test").encode()
             for n in ("rss_basic.xml", "atom_basic.xml", "social.xml")]
    docs.append((RESOURCES / "kinds" / "reddit.xml").read_bytes())
    assert len(docs) > 10
    for doc in docs:
        assert assert_same(doc)


ITEMS = {
    "dates": "<item><title>a</title><link>http://a.test/1</link><pubDate>Tue, 03 Mar 2026 10:00:00 +0100</pubDate>"
             "<dc:date>2026-03-04T05:06:07-02:00</dc:date></item>"
             "<item><title>b</title><link>http://a.test/2</link><pubDate>3 Mar 2026 10:00 EST</pubDate></item>"
             "<item><title>c</title><link>http://a.test/3</link><pubDate>2026-02-30T10:00:00Z</pubDate></item>"
             "<item><title>d</title><link>http://a.test/4</link><pubDate>not a date</pubDate></item>"
             "<item><title>e</title><link>http://a.test/5</link><dc:date>2026-03-04</dc:date></item>"
             "<item><title>f</title><link>http://a.test/6</link>"
             "<pubDate>Wed, 04 Mar 2026 10:00:00 GMT</pubDate></item>",
    "guids": "<item><guid>http://a.test/g1</guid></item>"
             "<item><guid isPermaLink=\"false\">http://a.test/g2</guid><title>t</title></item>"
             "<item><guid isPermaLink=\"False\">tag:a.test,2026:3</guid><link>http://a.test/3</link></item>"
             "<item><link>http://a.test/4</link><guid>http://a.test/g4</guid></item>"
             "<item><guid>http:///a.test/g5</guid><link></link></item>"
             "<item><guid>  relative/6  </guid><link>  http://a.test/6?utm_source=x&amp;b=2  </link></item>",
    "links": "<item><link>http://a.test/q?a=1&amp;b;=2&amp;amp;c=3</link></item>"
             "<item><link>/relative/path</link><guid>http://a.test/abs</guid></item>"
             "<item><link>ftp://a.test/x</link></item><item><link>HTTP://A.TEST/Up/</link></item>",
    "authors": "<item><link>http://a.test/1</link><author>jane@a.test (Jane Doe)</author></item>"
               "<item><link>http://a.test/2</link><dc:creator>  Zoë Ålund  </dc:creator></item>"
               "<item><link>http://a.test/3</link><author></author></item>",
    "content": "<item><link>http://a.test/1</link><description>short</description>"
               "<content:encoded><![CDATA[<p>The <b>long</b> version &amp; more</p>]]></content:encoded></item>"
               "<item><link>http://a.test/2</link><content:encoded>&lt;p&gt;only content&lt;/p&gt;</content:encoded>"
               "<description>after</description></item>"
               "<item><link>http://a.test/3</link><content:encoded></content:encoded><description>d</description></item>"
               "<item><link>http://a.test/4</link><description><![CDATA[a<br/>b<script>alert(1)</script>c]]>"
               "</description></item>",
    "escaping": "<item><title>Fish &amp; chips &lt;3</title><link>http://a.test/1</link>"
                "<description>&lt;p&gt;x &amp;amp;nbsp; y &amp;lt;b&amp;gt;&lt;/p&gt;&lt;!-- c --&gt;"
                "</description></item>"
                "<item><title>&lt;b&gt;Bold&lt;/b&gt; &amp;amp; title</title><link>http://a.test/2</link>"
                "<description>a &lt; b &amp;&amp; c &gt; d</description></item>"
                "<item><title>&amp;eacute;t&amp;#233; &#233;t&#xE9;</title><link>http://a.test/3</link>"
                "<description>&lt;img src=x onerror=alert(1)&gt;&lt;a href='javascript:x'&gt;l&lt;/a&gt;"
                "&lt;style&gt;p{}&lt;/style&gt;&lt;iframe src=//e.test&gt;&lt;/iframe&gt;</description></item>",
    "categories": "<item><title>t</title><link>http://a.test/1</link><category>News</category>"
                  "<category domain=\"http://a.test/c\">Local</category><comments>http://a.test/1#c</comments>"
                  "<enclosure url=\"http://a.test/1.mp3\" length=\"1\" type=\"audio/mpeg\"/>"
                  "<media:thumbnail url=\"http://a.test/1.jpg\"/><slash:comments>4</slash:comments>"
                  "<source url=\"http://b.test/rss\">B</source><x:y xmlns:x=\"urn:x\">z</x:y></item>",
    "unicode": "<item><title>Ã©tÃ© Ã  la plage \u0080\u0093quoted\u0094</title><link>http://a.test/1</link>"
               "<description>caf\u00e9 \u00c3\u00a9 \u0085 \u00a0 &#13;&#10;line</description></item>"
               "<item><title> \u2003 Ünïcödé — “quotes” 日本語 </title><link>http://a.test/2</link></item>",
    "wordpress": "<item><title>Council approves the new ferry timetable</title>"
                 "<link>https://harbour.example/2026/03/ferry/</link>"
                 "<comments>https://harbour.example/2026/03/ferry/#respond</comments>"
                 "<dc:creator><![CDATA[Amal Khoury]]></dc:creator><pubDate>Tue, 03 Mar 2026 10:00:00 +0000</pubDate>"
                 "<category><![CDATA[Local]]></category><category><![CDATA[Transport]]></category>"
                 "<guid isPermaLink=\"false\">https://harbour.example/?p=1234</guid>"
                 "<description><![CDATA[<p>The council voted on Tuesday&#8230;</p> <a href=\"https://harbour.example/"
                 "2026/03/ferry/\">Read more</a>]]></description>"
                 "<content:encoded><![CDATA[<p>The council voted on Tuesday to approve the timetable.</p>\n"
                 "<figure><img src=\"/wp-content/ferry.jpg\" alt=\"The ferry\"/><figcaption>The ferry</figcaption>"
                 "</figure>\n<p>Refugee families who work early shifts welcomed the change.</p>]]></content:encoded>"
                 "<slash:comments>3</slash:comments><media:thumbnail url=\"https://harbour.example/t.jpg\"/></item>",
    "comments": "<item><!-- a comment --><title>a<!-- in -->b</title><link>http://a.test/1</link>"
                "<?pi x?><description>c<!-- d -->e</description></item>",
}


@pytest.mark.parametrize("name", sorted(ITEMS))
def test_written_rss_feeds_give_the_same_records(name: str) -> None:
    assert assert_same(rss_doc(ITEMS[name]))


ENTRIES = {
    "basic": "<entry><title>T</title><link href=\"http://a.test/1\"/><id>urn:1</id>"
             "<updated>2026-04-02T08:00:00Z</updated><published>2026-04-01T08:00:00+02:00</published>"
             "<author><name>Ann</name><email>ann@a.test</email><uri>http://a.test/ann</uri></author>"
             "<summary>s</summary><content type=\"html\">&lt;p&gt;long &amp;amp; rich&lt;/p&gt;</content></entry>",
    "links": "<entry><id>http://a.test/id</id><link rel=\"self\" href=\"http://a.test/self\"/>"
             "<link rel=\"enclosure\" href=\"http://a.test/e.mp3\" type=\"audio/mpeg\"/>"
             "<link rel=\"alternate\" type=\"text/html\" href=\"http://a.test/one\"/>"
             "<link href=\"http://a.test/two\" type=\"application/pdf\"/>"
             "<title type=\"html\">&lt;i&gt;x&lt;/i&gt;</title>"
             "</entry><entry><link href=\"/rel\"/><id>tag:a.test,2026:2</id><title>no alternate</title></entry>"
             "<entry><link rel=\"Alternate\" href=\" http://a.test/3 \"/><title>t</title></entry>",
    "authors": "<entry><id>http://a.test/1</id><author><name>  Only Name </name></author></entry>"
               "<entry><id>http://a.test/2</id><author><email>e@a.test</email></author></entry>"
               "<entry><id>http://a.test/3</id><author><uri>http://a.test/u</uri></author></entry>"
               "<entry><id>http://a.test/4</id><author><name></name></author></entry>",
    "text": "<entry><id>http://a.test/1</id><title type=\"text\">a &lt;b&gt; c &amp;amp;</title>"
            "<summary type=\"text\">&lt;p&gt;kept as text&lt;/p&gt;</summary><content>plain content</content>"
            "<category term=\"news\"/><rights>r</rights></entry>",
}


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_written_atom_feeds_give_the_same_records(name: str) -> None:
    assert assert_same(atom_doc(ENTRIES[name]))


DECLINED = {
    "rdf": (RESOURCES / "kinds" / "rdf10.xml").read_bytes(),
    "rss091 doctype": (RESOURCES / "kinds" / "rss091.xml").read_bytes(),
    "entities": b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY w "wide">]><rss version="2.0"><channel>'
                b"<item><title>&w;</title><link>http://a.test/1</link></item></channel></rss>",
    "undefined entity": rss_doc("<item><title>caf&eacute;</title><link>http://a.test/1</link></item>"),
    "latin-1": rss_doc("<item><title>caf\u00e9</title><link>http://a.test/1</link></item>",
                       prolog='<?xml version="1.0" encoding="iso-8859-1"?>').decode().encode("latin-1"),
    "malformed": rss_doc("<item><title>a</title><link>http://a.test/1</link>"),
    "xml 1.1": rss_doc("<item><title>a</title><link>http://a.test/1</link></item>",
                       prolog='<?xml version="1.1" encoding="utf-8"?>'),
    "xml:base": rss_doc('<item xml:base="http://b.test/"><title>a</title><link>rel</link></item>'),
    "itunes summary": rss_doc('<item><title>a</title><link>http://a.test/1</link>'
                              '<itunes:summary xmlns:itunes="http://www.itunes.com/DTDs/PodCast-1.0.dtd">s'
                              "</itunes:summary></item>"),
    "media title": rss_doc('<item><link>http://a.test/1</link><media:content url="http://a.test/v">'
                           "<media:title>m</media:title></media:content><title>t</title></item>"),
    "repeated title": rss_doc("<item><title>a</title><title>b</title><link>http://a.test/1</link></item>"),
    "bare date element": rss_doc("<item><title>a</title><link>http://a.test/1</link><date>x</date></item>"),
    "markup in title": rss_doc("<item><title>a<b>b</b></title><link>http://a.test/1</link></item>"),
    "xhtml content": atom_doc('<entry><id>http://a.test/1</id><content type="xhtml">'
                              '<div xmlns="http://www.w3.org/1999/xhtml"><p>x</p></div></content></entry>'),
    "dc prefix rebound": rss_doc('<item xmlns:dc="http://purl.org/rss/1.0/modules/content/">'
                                 "<title>a</title><link>http://a.test/1</link><dc:encoded>x</dc:encoded></item>"),
    "unknown default namespace": rss_doc('<item><title>a</title><link>http://a.test/1</link>'
                                         '<title2 xmlns="urn:x">b</title2></item>'),
    "no items": rss_doc(""),
}


@pytest.mark.parametrize("name", sorted(DECLINED))
def test_what_the_fast_path_does_not_read_goes_to_feedparser(name: str) -> None:
    data = DECLINED[name]
    assert fastfeed.entries(fix_declared_charset(data)) is None
    try:
        expected = feedparser.parse(fix_declared_charset(data)).entries
        assert values(feed_entries(data, NEWS)) == values(expected)
    except FetchError:
        with pytest.raises(FetchError):
            feedparser_entries(fix_declared_charset(data), NEWS)


def test_hostile_documents_are_refused_without_expansion_or_network() -> None:
    laughs = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">'
              b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;">]><rss version="2.0"><channel><item><title>&c;</title>'
              b"</item></channel></rss>")
    external = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>'
                b'<rss version="2.0"><channel><item><title>&x;</title></item></channel></rss>')
    for data in (laughs, external):
        assert fastfeed.entries(data) is None


# --- generated feeds -----------------------------------------------------------------------------------------

PIECES = st.sampled_from(list("ab Z09.,;:!?'\"<>&/=-_#%()[]{}\t\n") + ["é", "Ã©", "\u0085", "\u0093", "\u00a0",
                                                                       "日", "—", "\u2028", "  ", "\r\n"])
WORDS = st.lists(PIECES, max_size=24).map("".join)
HTML = st.sampled_from(["{}", "<p>{}</p>", "<b>{}</b> &amp; {}", "<script>{}</script>{}", "{}<br/>{}",
                        "<a href='/rel'>{}</a>", "&nbsp;{}", "&#233;{}", "<!-- {} -->{}", "<img src=x>{}",
                        "&lt;{}&gt;", "{}&", "<p>{}<p>{}", "<style>{}</style>", "&unknownentity;{}"])
DATES = st.sampled_from(["Tue, 03 Mar 2026 10:00:00 +0100", "Sun, 1 Nov 2026 00:00:00 GMT", "2026-11-01T10:00:00Z",
                         "2026-11-01", "2026-02-30T00:00:00Z", "03 Mar 2026", "garbage", "", "  2026-03-03T10:00Z ",
                         "Mon, 30 Feb 2026 10:00:00 GMT", "Thu, 01 Jan 1970 00:00:00 -0000"])
URLS = st.sampled_from(["http://a.test/1", "https://a.test/p?a=1&b=2", "/relative", "http:///a.test/x",
                        " http://a.test/sp ", "https://a.test/q?utm_source=x&id=3#frag", "tag:a.test,2026:1",
                        "HTTPS://A.TEST/Up/", "javascript:alert(1)", "", "http://a.test/&b;=1"])


@st.composite
def text_value(draw: st.DrawFn) -> str:
    """Element content: escaped text or HTML, or the same in a CDATA section."""
    template = draw(HTML)
    raw = template.format(*[draw(WORDS) for _ in range(template.count("{}"))])
    if "]]>" not in raw and draw(st.booleans()):
        return f"<![CDATA[{raw}]]>"
    return escape(raw, quote=False)


@st.composite
def rss_item(draw: st.DrawFn) -> str:
    """An <item> with a random subset of the elements the fast path reads or skips, in random order."""
    parts = []
    for tag in draw(st.lists(st.sampled_from(["title", "link", "guid", "description", "content:encoded", "pubDate",
                                              "dc:date", "author", "category", "comments", "enclosure"]),
                             unique=True, max_size=9)):
        if tag in ("link", "comments"):
            parts.append(f"<{tag}>{escape(draw(URLS))}</{tag}>")
        elif tag == "guid":
            flag = draw(st.sampled_from(["", ' isPermaLink="false"', ' isPermaLink="true"', ' isPermaLink="False"']))
            parts.append(f"<guid{flag}>{escape(draw(URLS))}</guid>")
        elif tag in ("pubDate", "dc:date"):
            parts.append(f"<{tag}>{draw(DATES)}</{tag}>")
        elif tag == "enclosure":
            parts.append(f'<enclosure url="{escape(draw(URLS))}" type="audio/mpeg"/>')
        else:
            parts.append(f"<{tag}>{draw(text_value())}</{tag}>")
    return "<item>" + "".join(parts) + "</item>"


@st.composite
def atom_entry(draw: st.DrawFn) -> str:
    """An <entry> with random text constructs, links, dates and author parts."""
    parts = []
    for tag in draw(st.lists(st.sampled_from(["title", "summary", "content", "id", "published", "updated", "author",
                                              "link", "link2", "category"]), unique=True, max_size=9)):
        if tag in ("title", "summary", "content"):
            ctype = draw(st.sampled_from(["", ' type="text"', ' type="html"', ' type="text/html"']))
            parts.append(f"<{tag}{ctype}>{draw(text_value())}</{tag}>")
        elif tag == "id":
            parts.append(f"<id>{escape(draw(URLS))}</id>")
        elif tag in ("published", "updated"):
            parts.append(f"<{tag}>{draw(DATES)}</{tag}>")
        elif tag == "author":
            name, email = draw(st.sampled_from(["", "<name>Ann B</name>", "<name> </name>"])), draw(
                st.sampled_from(["", "<email>a@b.test</email>"]))
            parts.append(f"<author>{name}{email}</author>")
        elif tag.startswith("link"):
            rel = draw(st.sampled_from(["", ' rel="alternate"', ' rel="self"', ' rel="enclosure"']))
            kind = draw(st.sampled_from(["", ' type="text/html"', ' type="application/pdf"']))
            parts.append(f'<link{rel}{kind} href="{escape(draw(URLS))}"/>')
        else:
            parts.append('<category term="t"/>')
    return "<entry>" + "".join(parts) + "</entry>"


@PROPS
@given(st.lists(rss_item(), min_size=1, max_size=4))
def test_generated_rss_feeds_give_the_same_records(items: list[str]) -> None:
    assert_same(rss_doc("".join(items)))


@PROPS
@given(st.lists(atom_entry(), min_size=1, max_size=4))
def test_generated_atom_feeds_give_the_same_records(entries: list[str]) -> None:
    assert_same(atom_doc("".join(entries)))


@PROPS
@given(st.text(st.characters(blacklist_characters="<&", blacklist_categories=("Cs",)), max_size=60))
def test_text_without_markup_skips_the_sanitiser_exactly(text: str) -> None:
    stripped = text.strip()
    expected = _sanitize_html(resolve_relative_uris(stripped, "", "utf-8", "text/html"), "utf-8", "text/html")
    assert stripped.replace("\r\n", "\n") == expected


def test_parse_feed_uses_the_fast_path_and_keeps_its_errors() -> None:
    articles, rejected = parse_feed(rss_doc(ITEMS["guids"]), NEWS, SECRET)
    # A guid that is no permalink still gives the address when the link is missing; http:/// is repaired.
    assert [a.url for a in articles] == ["http://a.test/g1", "http://a.test/g2", "http://a.test/3", "http://a.test/4",
                                         "http://a.test/g5", "http://a.test/6?b=2"]
    articles, rejected = parse_feed(rss_doc("<item><title>No link</title><guid>g3</guid></item>"), NEWS, SECRET)
    assert (articles, rejected) == ([], [("entry 0", "entry 'No link' has no link (http or https URL)")])
    with pytest.raises(FetchError, match="not a readable feed"):
        parse_feed(b"<html><body>not a feed</body></html>", NEWS, SECRET)
