from django import template
from django.utils.safestring import SafeString

from kehu.core.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    """Markdown as sanitised HTML (raw HTML and unsafe links never survive)."""
    return render_markdown(text)
