"""The HTML reader on pages built here: a news page wrapped in boilerplate, the same page in a
legacy charset, documentation pages whose sections must all survive, hostile nesting."""

from __future__ import annotations

import pytest

from bot.readers import read as read_file
from bot.readers.base import Article, Limits, Unreadable
from bot.readers.webpage import read

ARTICLE = [
    ("p", "The board met on Monday and approved the budget for the coming year."),
    ("h2", "Revenue"),
    ("p", "Sales grew in every region, led by the northern stores."),
    ("h3", "By region"),
    ("p", "Figures per region, in millions:"),
]
BOILERPLATE = [
    "Home page link",
    "We use cookies to improve your experience",
    "Share on Facebook",
    "Tweet this",
    "Great article, thanks for writing it!",
    "I disagree with the second point.",
    "Copyright 2024 Daily Planet Media",
    "Five things you missed this week",
    "Subscribe to our newsletter",
]


def news_page(charset: str = "utf-8", extra: str = "") -> str:
    """A news article inside the furniture real news sites put around one."""
    body = "".join(f"<{tag}>{text}</{tag}>" for tag, text in ARTICLE)
    return f"""<!DOCTYPE html>
<html lang="en"><head>
<meta charset="{charset}">
<title>Quarterly results explained | Daily Planet</title>
<meta property="og:site_name" content="Daily Planet">
<meta name="author" content="Lois Lane">
<meta property="article:published_time" content="2024-03-05T09:30:00Z">
<script>var tracking = "Home page link";</script>
<style>.share {{ color: red }}</style>
</head><body>
<header class="site-header"><a href="/">Daily Planet</a>
  <nav><ul><li><a href="/">Home page link</a></li><li><a href="/world">World</a></li></ul></nav>
</header>
<div class="cookie-banner">We use cookies to improve your experience. <button>OK</button></div>
<main>
<article>
<h1>Quarterly results explained</h1>
<div class="share-buttons"><a href="#">Share on Facebook</a> <a href="#">Tweet this</a></div>
{body}
<table><tr><th>Region</th><th>Sales</th></tr><tr><td>North</td><td>12.5</td></tr>
<tr><td>South</td><td>9.1</td></tr></table>
<p>Before the vote, members had to:</p>
<ol start="3"><li>Read the report</li><li>Sign the register<ul><li>in ink</li></ul></li></ol>
<ul><li>Unordered one</li><li>Unordered two</li></ul>
<p>To reproduce the figures, run:</p>
<pre><code>python report.py --year 2024
  --format csv</code></pre>
{extra}
</article>
<aside class="related"><h2>Five things you missed this week</h2>
<ul><li><a href="/a">Story one</a></li><li><a href="/b">Story two</a></li></ul></aside>
<section id="comments" class="comments-area"><h3>2 Comments</h3>
<div class="comment"><p>Great article, thanks for writing it!</p></div>
<div class="comment"><p>I disagree with the second point.</p></div></section>
<form class="newsletter"><p>Subscribe to our newsletter</p><input type="email"></form>
</main>
<footer><p>Copyright 2024 Daily Planet Media</p></footer>
</body></html>"""


def texts(article: Article) -> list[str]:
    return [b.text for b in article.blocks]


def test_news_page_keeps_the_article_and_only_the_article() -> None:
    [article] = read(news_page().encode(), Limits())
    assert article.title == "Quarterly results explained"
    assert article.byline == "Lois Lane"
    assert article.date == "2024-03-05T09:30:00Z"
    body = texts(article)
    for _, text in ARTICLE:
        assert text in body
    joined = "\n".join(body)
    for junk in BOILERPLATE:
        assert junk not in joined
    assert "Quarterly results explained" not in body  # the <h1> is the title, not repeated


def test_news_page_structure() -> None:
    [article] = read(news_page().encode(), Limits())
    blocks = article.blocks
    headings = [(b.text, b.level) for b in blocks if b.kind == "heading"]
    assert headings == [("Revenue", 2), ("By region", 3)]
    rows = [b.text for b in blocks if b.kind == "row"]
    assert rows == ["Region | Sales", "North | 12.5", "South | 9.1"]
    items = [(b.text, b.level) for b in blocks if b.kind == "item"]
    assert items == [
        ("3. Read the report", 1),
        ("4. Sign the register", 1),
        ("in ink", 2),
        ("Unordered one", 1),
        ("Unordered two", 1),
    ]
    [code] = [b for b in blocks if b.kind == "code"]
    assert code.text == "python report.py --year 2024\n  --format csv"
    # The sentence introducing a list or a command is a paragraph in its place.
    kinds = [(b.kind, b.text) for b in blocks]
    assert kinds.index(("paragraph", "Before the vote, members had to:")) + 1 == kinds.index(
        ("item", "3. Read the report")
    )
    assert kinds.index(("paragraph", "To reproduce the figures, run:")) + 1 == kinds.index(
        ("code", code.text)
    )
    order = [texts(article).index(text) for _, text in ARTICLE]
    assert order == sorted(order)


def test_legacy_charset_declared_by_meta() -> None:
    extra = "<p>Der Vorstand tagte in Zürich; Umsatz: 5 € je Stück — très bien.</p>"
    data = news_page("windows-1252", extra).encode("cp1252")
    [article] = read(data, Limits())
    assert "Der Vorstand tagte in Zürich; Umsatz: 5 € je Stück — très bien." in texts(article)


def test_cyrillic_charset_from_http_equiv() -> None:
    text = "Совет директоров утвердил бюджет на следующий год."
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=koi8-r">'
        f"<title>Бюджет</title></head><body><p>{text}</p></body></html>"
    )
    [article] = read(page.encode("koi8-r"), Limits())
    assert article.title == "Бюджет"
    assert texts(article) == [text]


def test_utf8_page_without_declaration_and_with_bom() -> None:
    page = "<html><body><h1>Café</h1><p>Crème brûlée for everyone.</p></body></html>"
    for data in (page.encode(), b"\xef\xbb\xbf" + page.encode()):
        [article] = read(data, Limits())
        assert article.title == "Café"
        assert texts(article) == ["Crème brûlée for everyone."]


def test_documentation_sections_named_like_boilerplate_are_kept() -> None:
    """Generators make ids from headings (Sphinx "comments", DocBook "_search"), and a boxed
    DocBook sidebar or a Sphinx footnote is text: none of it is furniture."""
    page = """<html><head><title>Guide — Tool 1.0 documentation</title></head><body>
<div class="sphinxsidebar" role="navigation"><ul><li><a href="a.html">Contents</a></li></ul></div>
<div class="body" role="main"><section id="guide">
<h1>Guide<a class="headerlink" href="#guide">¶</a></h1>
<p>This guide explains the tool from installation to daily use.</p>
<section id="comments"><h2>Comments<a class="headerlink" href="#comments">¶</a></h2>
<p>Comments in configuration files start with a hash sign.</p></section>
<section id="search"><h2>Search</h2><p>The search command looks through every file.</p></section>
<div class="sidebar"><p class="title">Vocabulary</p><p>A repository is a place where packages
are published together with an index that tools download before installing anything.</p></div>
<table class="docutils"><thead><tr><th><p>Option</p></th><th><p>Meaning</p></th></tr></thead>
<tbody><tr><td><p>-v</p></td><td><p>more output</p></td></tr></tbody></table>
<aside class="footnote" role="doc-footnote"><p>Short footnote.</p></aside>
</section></div>
<div class="footer">© Copyright 2024, the authors.</div></body></html>"""
    [article] = read(page.encode(), Limits())
    assert article.title == "Guide"
    body = texts(article)
    assert ("heading", "Comments", 2) in [(b.kind, b.text, b.level) for b in article.blocks]
    for text in (
        "Comments in configuration files start with a hash sign.",
        "Search",
        "The search command looks through every file.",
        "Option | Meaning",
        "-v | more output",
        "Short footnote.",
    ):
        assert text in body
    assert any(t.startswith("A repository is a place") for t in body)
    assert not any("¶" in t or "Copyright" in t or t == "Contents" for t in body)


def test_index_page_of_links_is_not_emptied() -> None:
    links = "".join(f'<li><a href="ch{i}.html">Chapter {i}</a></li>' for i in range(1, 9))
    page = f"<html><head><title>Manual</title></head><body><h1>Manual</h1><ul>{links}</ul>"
    [article] = read(page.encode(), Limits())
    assert [b.text for b in article.blocks if b.kind == "item"] == [
        f"Chapter {i}" for i in range(1, 9)
    ]


@pytest.mark.parametrize(
    ("head", "h1", "title"),
    [
        ("<title>Untitled</title>", "Real heading", "Real heading"),
        ('<meta property="og:title" content="From og">', "Heading", "From og"),
        ("<title>index.html</title>", "Named by h1", "Named by h1"),
        ("<title>Site news - Launch day</title>", "Launch day", "Launch day"),
        ("<title>A title | Not the site</title>", "Other", "A title | Not the site"),
    ],
)
def test_title_sources(head: str, h1: str, title: str) -> None:
    page = f"<html><head>{head}</head><body><h1>{h1}</h1><p>Body text.</p></body></html>"
    [article] = read(page.encode(), Limits())
    assert article.title == title
    assert (h1 in texts(article)) == (title != h1)


def test_byline_and_date_from_json_ld_then_publisher() -> None:
    ld = (
        '{"@context": "https://schema.org", "@graph": [{"@type": "NewsArticle",'
        ' "author": [{"@type": "Person", "name": "Ann Example"}, {"name": "Bo Sample"}],'
        ' "datePublished": "2023-11-02"}]}'
    )
    page = (
        f'<html><head><script type="application/ld+json">{ld}</script></head>'
        "<body><p>Text.</p></body></html>"
    )
    [article] = read(page.encode(), Limits())
    assert (article.byline, article.date) == ("Ann Example, Bo Sample", "2023-11-02")
    publisher = '<html><head><meta property="og:site_name" content="The Site"></head><body><p>x</p>'
    assert read(publisher.encode(), Limits())[0].byline == "The Site"


def test_hidden_and_screen_reader_text_left_out() -> None:
    visible = "Visible text that a reader of the page sees on the screen, long enough to count."
    page = f"""<html><body><p>{visible}</p><p hidden>Hidden one.</p>
<p style="display: none">Hidden two.</p><span class="sr-only">Opens in a new window</span>
<div aria-hidden="true">Hidden three.</div><noscript>Please enable JavaScript.</noscript>
</body></html>"""
    assert texts(read(page.encode(), Limits())[0]) == [visible]


def test_article_hidden_until_a_script_shows_it_is_still_read() -> None:
    """Some pages hide their whole article (display:none, or only inside <noscript>) until a
    script runs: hiding most of the page is not furniture."""
    paragraph = "<p>Paragraph {} of the article that a script reveals.</p>"
    article = "".join(paragraph.format(i) for i in range(5))
    for wrapper in ('<div style="display:none">{}</div>', "<noscript>{}</noscript>"):
        page = f"<html><body><p>Menu</p>{wrapper.format(article)}</body></html>"
        body = texts(read(page.encode(), Limits())[0])
        assert [t for t in body if t.startswith("Paragraph")] == [
            f"Paragraph {i} of the article that a script reveals." for i in range(5)
        ]


def test_deeply_nested_page_is_refused_not_truncated() -> None:
    deep = "<html><body>" + "<div>" * 100_000 + "x" + "</div>" * 100_000 + "<p>after</p>"
    with pytest.raises(Unreadable, match="nested"):
        read(deep.encode(), Limits())
    shallow = "<div>" * 150 + "<p>inside</p>" + "</div>" * 150 + "<p>after</p>"
    assert texts(read(shallow.encode(), Limits())[0]) == ["inside", "after"]
    with pytest.raises(Unreadable, match="nested"):
        read(shallow.encode(), Limits(max_depth=100))


def test_empty_page_has_no_text() -> None:
    with pytest.raises(Unreadable):
        read_file(b"<!DOCTYPE html><html><head><title>x</title></head><body></body>", "a.html")
    with pytest.raises(Unreadable):
        read(b"   ", Limits())


def test_registry_reads_html_by_name_and_by_bytes() -> None:
    data = news_page().encode()
    assert read_file(data, "page.html") == read(data, Limits())
    assert read_file(data, "saved page")[0].title == "Quarterly results explained"
