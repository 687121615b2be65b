"""Take the README's screenshots from a running register with the demo data loaded.

    SPR_SECRET_KEY=... spr serve --port 8000 &
    python tests/pages/screenshots.py --base http://127.0.0.1:8000 --user demo --password '...'

Writes docs/screenshots/*.png. Uses the same Chromium as the browser tests.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="http://127.0.0.1:8000")
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--person", help="Person id for the profile (default: the first candidate)")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(180_000)  # the nominations list is computed live over every record
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(args.base) else r.abort())
        page.goto(f"{args.base}/login")
        page.get_by_label("Username").fill(args.user)
        page.get_by_label("Password").fill(args.password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{args.base}/nominations", timeout=120_000)
        page.screenshot(path=str(OUT / "nominations.png"))
        href = page.locator("table.data a[href^='/persons/']").first.get_attribute("href") or ""
        person = args.person or href.split("/persons/")[-1]
        query = urlencode({"purpose": "MAPPA_PANEL", "purpose_detail": "Demonstration"})
        page.goto(f"{args.base}/persons/{person}?{query}", timeout=120_000)
        page.wait_for_selector("#case-graph[data-settled]", timeout=60_000)
        page.screenshot(path=str(OUT / "person.png"))
        page.locator("section.timeline svg").screenshot(path=str(OUT / "timeline.png"))
        page.goto(f"{args.base}/persons/{person}/graph?{query}", timeout=120_000)
        page.wait_for_selector("#case-graph[data-settled]", timeout=60_000)
        page.locator(".cg-wrap").screenshot(path=str(OUT / "case-graph.png"))
        page.goto(f"{args.base}/consistency", timeout=120_000)
        page.screenshot(path=str(OUT / "consistency.png"))
        page.goto(f"{args.base}/alerts", timeout=120_000)  # the demo's later batch raised these
        page.screenshot(path=str(OUT / "alerts.png"))
        browser.close()
    print(f"screenshots of {person} in {OUT}")


if __name__ == "__main__":
    main()
