"""Pages rendered in Chromium (render always): only the link a script added says "Found only after JavaScript
rendering: yes" in the Slack alert and the email; a link in the static HTML, a link turned nofollow, a removed
link and a page gone do not, though every one of those pages was rendered."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import linkwatch
from tests.support.pages import TestSite, page
from tests.support.scenario import agency_env, import_rows, section_for, slack_sections

LINK = '<a href="https://mysite.com/">Mysite</a>'
NOFOLLOW = '<a href="https://mysite.com/" rel="nofollow">Mysite</a>'
JS_LINK = ("<div id=x></div><script>var a = document.createElement('a'); a.href = 'https://mysite.com/'; "
           "a.textContent = 'Mysite'; document.getElementById('x').appendChild(a);</script>")
FLAG = "Found only after JavaScript rendering"
ROUTE = '[[alerts.route]]\nchannel = "slack"\nevents = ["new", "lost", "page_gone", "nofollow"]\n' \
        '[[alerts.route]]\nchannel = "email"\nevents = ["new", "lost", "page_gone", "nofollow"]\n'


@pytest.mark.chromium
@pytest.mark.timeout(600)
def test_only_a_link_added_by_a_script_is_said_to_need_rendering(site: TestSite, tmp_path: Path, http_sink,
                                                                  smtp_sink) -> None:
    env = agency_env(tmp_path, http_sink, smtp_sink, render="always", config=ROUTE)
    for path in ("/static", "/nofollow", "/removed", "/gone"):
        site.set_page(path, page(LINK))
    site.set_page("/js", page(JS_LINK))
    paths = ("/static", "/nofollow", "/removed", "/gone", "/js")
    import_rows(env, tmp_path, "links.csv", "source_url,target\n" + "".join(f"{site.url(p)},mysite.com\n"
                                                                           for p in paths))
    linkwatch(env, "run", "--once")
    site.set_page("/nofollow", page(NOFOLLOW))
    site.set_page("/removed", page("<p>no link now</p>"))
    site.set_page("/gone", "not here", status=404)
    linkwatch(env, "run", "--once", "--all")
    linkwatch(env, "run", "--once", "--all")
    linkwatch(env, "alerts", "send")

    sections = slack_sections(http_sink)
    assert FLAG in section_for(sections, site.url("/js"), "New link found")
    for path, title in (("/static", "New link found"), ("/nofollow", "Link became nofollow"),
                        ("/removed", "Link lost"), ("/gone", "Referring page gone")):
        assert FLAG not in section_for(sections, site.url(path), title), path
    assert sum(FLAG in s for s in sections) == 1, sections
    text = smtp_sink.messages[0].get_body(("plain",)).get_content()
    assert text.count(FLAG) == 1, text
