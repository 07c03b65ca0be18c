"""
Escaping: the one way data text becomes HTML (or data inside a ``<script>``) on the pages.

Every page is built so that a name from the data (OSM schools and hubs are crowd-edited;
staff, agencies, meeting points and notes are typed by people) can never become markup:

- HTML is only ever built in Python, and every piece of text in it goes through :func:`_h`;
  that covers popups (the ``popup`` property), the notice, title, legend and index.
- Anything else the JavaScript gets is plain text and is shown with ``textContent``:
  tooltips (the ``tip`` property) and the "Find a school" result list (``name``).
- Layer names stay plain text in Python; Leaflet's layer switcher inserts names as HTML,
  so ``layers._LayerControl`` passes them through :func:`_h` at the one place they reach
  the page.
- Data embedded in a ``<script>`` goes through :func:`_compact_json`, which cannot close the
  script; vendored JavaScript goes through :func:`_safe_script`.
- No link is ever built from data; the index links only its own relative paths (:func:`_href`).
"""

from __future__ import annotations

import html
import json
import re
import urllib.parse


def _h(value: object) -> str:
    """
    Return ``str(value)`` escaped for HTML text and quoted attribute values.

    The only escape function of the pages this module writes: ``&``, ``<``, ``>``, ``"``
    and ``'`` become character references, so the browser shows the text as it was
    (``"St Mary's"`` and ``"A & B"`` read correctly) and never as markup. Use it once, on
    the plain text, where the text is put into HTML.

    Examples
    --------
    >>> _h('"><img src=x onerror=alert(1)>')
    '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;'
    >>> _h("St Mary's & All Saints")
    'St Mary&#x27;s &amp; All Saints'
    """
    return html.escape(str(value), quote=True)


def _href(relative: str) -> str:
    """
    Return a relative path as a safe ``href`` value (percent-encoded, then escaped).

    Every character outside letters, digits, ``/`` and ``_.-~`` is percent-encoded, so the
    path can hold no scheme (a folder called ``javascript:...`` becomes ``javascript%3A...``,
    a relative link), no query, fragment or quote.

    Examples
    --------
    >>> _href("rutland/2022-W45/shared.html")
    'rutland/2022-W45/shared.html'
    >>> _href("javascript:alert(1)/2022-W45/shared.html")
    'javascript%3Aalert%281%29/2022-W45/shared.html'
    """
    return _h(urllib.parse.quote(relative, safe="/"))


def _compact_json(data: object) -> str:
    """JSON with no spaces, safe inside a ``<script>`` element."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


_SCRIPT_END = re.compile(r"</(script)", re.IGNORECASE)


def _safe_script(js: str) -> str:
    """JavaScript that cannot end its ``<script>`` element early (``</script`` in any case)."""
    return _SCRIPT_END.sub(r"<\\/\1", js)
