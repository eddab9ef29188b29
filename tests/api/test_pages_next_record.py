"""pages: after a decision the supervisor lands on the next record of the list they
were working through. Opened from a search and recorder filter, the next record is
the next of that filtered queue, and the filter stays in the URL (it was lost: the
head of the whole queue opened)."""

from __future__ import annotations

from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

from tests.api.test_pages_bad_input import Browser
from tests.helpers import PASSWORD


class _Page(HTMLParser):
    """The links and the decision form's action and fields of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._href: str | None = None
        self._in_form = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a":
            self._href = attrs.get("href")
        elif tag == "form" and "/decision" in (attrs.get("action") or ""):
            self.action, self._in_form = attrs["action"], True
        elif tag == "input" and self._in_form and attrs.get("type") == "hidden":
            self.fields[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "a":
            self._href = None

    def handle_data(self, data):
        if self._href and data.strip():
            self.links.append((data.strip(), self._href))


def _enroll(app, records, username: str, full_name: str) -> str:
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": username,
                                                     "password": PASSWORD}).get_json()["token"]
    payload = records.enrollment(full_name=full_name)
    answer = client.post("/api/v1/enrollments", json=payload,
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return payload["id"]


def _decide(browser: Browser, page_url: str, decision: str, reason: str = "") -> str:
    """Open a review page, send its decision form as a browser would; the redirect."""
    page = browser.get(page_url)
    assert page.status_code == 200, page_url
    form = _Page(page.get_data(as_text=True))
    assert form.action, "no decision form"
    answer = browser.client.post(unescape(form.action),
                                 data={**form.fields, "decision": decision, "reason": reason})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:300]
    return answer.headers["Location"]


def test_the_next_record_after_a_decision_is_the_next_of_the_filtered_queue(app, records):
    ids = {name: _enroll(app, records, who, name) for who, name in (
        ("enumerator", "Budi Santoso"),            # head of the whole queue
        ("enumerator2", "Hasan Basri"),            # Hasan, but another recorder
        ("enumerator", "Hasan Daeng Tayang"),
        ("enumerator", "Sitti Aminah"),
        ("enumerator", "Muhammad Hasan"),
    )}
    supervisor = Browser(app, "supervisor")
    queue = _Page(supervisor.get("/?q=Hasan&enumerator=enumerator").get_data(as_text=True))
    shown = [(name, href) for name, href in queue.links if name in ids]
    assert [name for name, _ in shown] == ["Hasan Daeng Tayang", "Muhammad Hasan"]
    first = unescape(shown[0][1])
    assert parse_qs(urlsplit(first).query) == {"q": ["Hasan"], "enumerator": ["enumerator"]}

    following = _decide(supervisor, first, "approve")
    assert urlsplit(following).path == f"/enrollments/{ids['Muhammad Hasan']}"
    assert parse_qs(urlsplit(following).query) == {"q": ["Hasan"], "enumerator": ["enumerator"]}

    # the last of the filtered list: back to the same filtered queue, not the whole queue
    back = _decide(supervisor, following, "needs_fix", "RT salah, cek KK")
    assert urlsplit(back).path == "/"
    assert parse_qs(urlsplit(back).query) == {"q": ["Hasan"], "enumerator": ["enumerator"]}
    page = supervisor.get(back).get_data(as_text=True)
    assert "Hasan Basri" not in page and "Budi Santoso" not in page
    back_link = [href for name, href in _Page(
        supervisor.get(f"/enrollments/{ids['Sitti Aminah']}?q=Hasan").get_data(as_text=True)).links
        if name.startswith("← Kembali")]
    assert back_link == ["/?q=Hasan"]


def test_without_a_filter_the_next_record_is_the_head_of_the_queue(app, records):
    first = _enroll(app, records, "enumerator", "Budi Santoso")
    second = _enroll(app, records, "enumerator2", "Hasan Basri")
    supervisor = Browser(app, "supervisor")
    following = _decide(supervisor, f"/enrollments/{first}", "approve")
    assert following == f"/enrollments/{second}"
