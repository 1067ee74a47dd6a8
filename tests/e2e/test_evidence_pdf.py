"""The evidence report opens in Chromium and as a PDF, and both list every control (issue 28)."""

from __future__ import annotations

from pypdf import PdfReader

from infra import local_stack
from scripts import controls, evidence


def test_the_report_opens_in_chromium_and_its_pdf_lists_every_control(browser, tmp_path):
    with local_stack.mocked_stack():
        html, pdf = evidence.write(tmp_path, results_file=tmp_path / "no-run-yet.json", browser=browser)
    ids = [control.id for control in controls.load()]

    page = browser.new_page()
    page.goto(html.resolve().as_uri())
    assert page.locator("tr[id^=control-]").count() == len(ids)
    assert page.get_by_role("heading", name="Controls proven by removal").is_visible()

    printed = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    words = printed.replace("-\n", "-").replace("\n", "")
    assert [ident for ident in ids if ident not in words] == []
