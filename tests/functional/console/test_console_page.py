"""The console's page: strict CSP, no inline script, only its own files, in English and Spanish."""

from __future__ import annotations

import re

import pytest


def test_the_page_allows_only_its_own_scripts_and_has_none_inline(client):
    answer = client.http.get("/console")

    assert answer.status_code == 200
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe" not in policy and "frame-ancestors 'none'" in policy
    assert answer.headers["Cache-Control"] == "no-store"
    page = answer.body.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.DOTALL)
    inline = {attributes for attributes, content in scripts if content.strip()}
    assert inline == {' type="application/json" id="messages"'}  # data, never run
    assert all('src="console/static/' in a for a, content in scripts if not content.strip())
    assert "http" not in "".join(re.findall(r'(?:src|href)="([^"]*)"', page))  # nothing from another origin


def test_the_page_speaks_spanish_to_a_spanish_browser(client):
    page = client.http.get("/console", headers={"Accept-Language": "es-MX,es;q=0.9"}).body.decode()

    assert '<html lang="es">' in page and "Iniciar sesión" in page and "Reserva por teléfono" in page


@pytest.mark.parametrize(("name", "kind"), [("app.js", "text/javascript"), ("console.css", "text/css")])
def test_its_modules_and_stylesheet_are_served_with_their_types(client, name, kind):
    answer = client.http.get(f"/console/static/{name}")

    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith(kind)


@pytest.mark.parametrize("name", ["console.html", "..%2F..%2Fapp.py", "%2Fetc%2Fpasswd", "booking.css", "app.py"])
def test_nothing_but_its_files_is_served(client, name):
    assert client.http.get(f"/console/static/{name}").status_code == 404


def test_no_module_uses_eval_or_writes_html(client):
    from chalicelib.api.console import CONSOLE, files

    for name in files():
        source = (CONSOLE / name).read_text()
        for banned in ("eval(", "new Function", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                       "localStorage", "sessionStorage", "document.cookie"):
            assert banned not in source, (name, banned)
