"""Dossier text is Markdown rendered safely, and revisions compare line by line and within
lines, also for Chinese text written without spaces."""

from html.parser import HTMLParser

import pytest

from kehu.core.markdown import plain_summary, render_markdown
from kehu.dossier.diff import diff_inline, diff_lines


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "hello <img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "![x](javascript:alert(1))",
        '<a href="javascript:alert(1)" onclick="alert(2)">x</a>',
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        '<div onmouseover="alert(1)">悬停</div>',
        "<iframe src=https://evil.example></iframe>",
    ],
)
def test_scripts_unsafe_links_and_event_attributes_never_survive(text):
    elements = _elements(str(render_markdown(text)))
    assert not {"script", "iframe", "div"} & {tag for tag, _attrs in elements}
    for _tag, attrs in elements:
        for name, value in attrs:
            assert not name.startswith("on")
            if name in ("href", "src"):
                assert (value or "").lower().startswith(("http:", "https:", "mailto:", "x"))


def _elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Every element of the HTML with its attributes, as a browser would see them."""
    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, attrs))

    Collect().feed(html)
    return found


def test_raw_html_shows_as_text():
    html = str(render_markdown("<b>粗体</b>"))
    assert "&lt;b&gt;粗体&lt;/b&gt;" in html


def test_markdown_renders_headings_lists_tables_and_safe_links():
    html = str(
        render_markdown(
            "## 架构\n\n- 云主机\n- **对象存储**\n\n| 产品 | 用量 |\n|---|---|\n| CDN | 10 TB |\n\n"
            "[文档](https://docs.example.com/a?b=1)"
        )
    )
    assert "<h2>架构</h2>" in html
    assert "<li><strong>对象存储</strong></li>" in html
    assert "<table>" in html and "<td>CDN</td>" in html
    assert 'href="https://docs.example.com/a?b=1"' in html
    assert 'rel="noopener nofollow"' in html


def test_plain_summary_drops_markup_and_is_short():
    assert (
        plain_summary("## 标题\n\n**重保** <script>x</script>")
        == "标题 重保 &lt;script&gt;x&lt;/script&gt;"
    )
    assert len(plain_summary("字" * 500, limit=50)) == 50


def test_diff_marks_changed_chinese_characters_within_a_line():
    lines = diff_lines(
        "使用我们的云主机\n同时使用阿里云的CDN\n", "使用我们的云主机\n同时使用腾讯云的CDN\n"
    )
    kinds = [line.kind for line in lines]
    assert kinds == ["equal", "delete", "insert"]
    assert "<del>阿里</del>" in lines[1].html
    assert "<ins>腾讯</ins>" in lines[2].html
    assert lines[1].old_number == 2 and lines[2].new_number == 2


def test_diff_marks_english_words_and_added_or_removed_lines():
    lines = diff_lines("uses our CDN\nold line\n", "uses their CDN\n")
    assert "<del>our</del>" in lines[0].html
    assert "<ins>their</ins>" in lines[1].html
    assert lines[2].kind == "delete" and lines[2].html == "old line"


def test_diff_escapes_html_in_the_text():
    lines = diff_lines("a", "<script>alert(1)</script>")
    assert all("<script>" not in line.html for line in lines)
    assert "&lt;script&gt;" in lines[-1].html
    old, new = diff_inline("标题<b>", "标题<i>")
    assert "<b>" not in old and "<i>" not in new
    assert new == "标题&lt;<ins>i</ins>&gt;"
