"""The built book in a real browser: headless Chromium (Debian's), driven by Playwright.

The HTML in _build/html is served from 127.0.0.1. Every page must load without a console
error or a failed request, show every image, and link only to pages that exist; search and
glossary links must work. A screenshot of a chapter is kept in _build/test-artifacts/.
"""

import functools
import html
import http.server
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
import yaml

from coursekit import course

pytestmark = pytest.mark.slow

HTML = course.REPO_ROOT / "_build" / "html"
ARTIFACTS = course.REPO_ROOT / "_build" / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOT_PAGE = "book/ch02_perceptrons.html"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(built_book):
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    assert Path(CHROMIUM).exists(), (
        "Debian's chromium is needed for the browser test: apt-get install chromium "
        "(.ci/run installs it)."
    )
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def _pages():
    """Every page in the table of contents, plus the landing, search and index pages."""
    toc = yaml.safe_load((course.REPO_ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part.get("chapters", [])]
    return [f"{name}.html" for name in files] + ["index.html", "search.html", "genindex.html"]


def _visit(browser, url):
    """Open url; return (page, problems) where problems lists console errors and failures."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = []
    page.on(
        "console",
        lambda message: message.type == "error" and problems.append(f"console: {message.text}"),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    page.on(
        "response",
        lambda response: (
            response.status >= 400 and problems.append(f"HTTP {response.status}: {response.url}")
        ),
    )
    page.goto(url, wait_until="networkidle")
    return page, problems


def test_every_page_loads_cleanly_with_its_images(built_book, server, browser):
    pages = _pages()
    assert len(pages) >= 5, pages
    report = []
    for name in pages:
        page, problems = _visit(browser, server + name)
        images = page.evaluate(
            "Array.from(document.images).map(i => [i.getAttribute('src'), i.complete,"
            " i.naturalWidth, i.naturalHeight])"
        )
        for src, complete, width, height in images:
            if not (complete and width > 0 and height > 0):
                problems.append(f"image not shown: {src}")
        if page.locator("div.math, span.math").count():
            page.wait_for_selector("mjx-container", timeout=15000)
        report += [f"{name}: {problem}" for problem in problems]
        page.close()
    assert not report, "\n".join(report)


def test_figures_have_alt_text_or_caption(built_book, server, browser):
    missing = []
    for name in _pages():
        if not name.startswith("book/ch"):
            continue
        page, _ = _visit(browser, server + name)
        missing += [
            f"{name}: {src}"
            for src in page.evaluate(
                """Array.from(document.querySelectorAll('main img')).filter(img => {
                    const alt = (img.getAttribute('alt') || '').trim();
                    const caption = img.closest('figure') &&
                        img.closest('figure').querySelector('figcaption');
                    return !(alt && !alt.endsWith('.png')) && !caption;
                }).map(img => img.getAttribute('src'))"""
            )
        ]
        page.close()
    assert not missing, "images without alt text or caption:\n" + "\n".join(missing)


def test_no_internal_link_is_broken(built_book, server, browser):
    page = browser.new_page()
    hrefs = set()
    for name in _pages():
        url = server + name
        text = page.request.get(url).text()
        for href in re.findall(r'<a[^>]+href="([^"]+)"', text):
            absolute = urljoin(url, html.unescape(href))
            if urlparse(absolute).netloc == urlparse(server).netloc:
                hrefs.add(absolute)
    broken = []
    anchors = {}
    for href in sorted(hrefs):
        target, fragment = urldefrag(href)
        response = page.request.get(target)
        if response.status != 200:
            broken.append(f"{response.status} {href}")
            continue
        if fragment and target.endswith(".html"):
            if target not in anchors:
                anchors[target] = set(re.findall(r'id="([^"]+)"', response.text()))
            if fragment not in anchors[target]:
                broken.append(f"missing anchor #{fragment} in {target}")
    page.close()
    assert len(hrefs) > 20, sorted(hrefs)
    assert not broken, "\n".join(broken)


def test_search_finds_autoencoder(built_book, server, browser):
    page, problems = _visit(browser, server + "search.html?q=autoencoder")
    page.wait_for_selector("#search-results li, ul.search li", timeout=20000)
    results = page.locator("ul.search li")
    assert results.count() >= 1
    assert not problems, problems
    page.close()


def test_glossary_links_land_on_their_entries(built_book, server, browser):
    page, _ = _visit(browser, server + SCREENSHOT_PAGE)
    links = page.locator("main a[href*='glossary.html#term-']")
    assert links.count() >= 5, "chapter 2 should link its key terms to the glossary"
    href = links.first.get_attribute("href")
    links.first.click()
    page.wait_for_load_state("load")
    fragment = urljoin(page.url, href).split("#", 1)[1]
    assert page.url.split("#")[0].endswith("glossary.html")
    entry = page.locator(f"[id='{fragment}']")
    assert entry.count() == 1
    assert entry.evaluate("e => e.tagName") == "DT"
    assert entry.is_visible()
    page.close()


def test_screenshot_of_a_chapter(built_book, server, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page, problems = _visit(browser, server + SCREENSHOT_PAGE)
    path = ARTIFACTS / "ch02_perceptrons.png"
    page.screenshot(path=str(path), full_page=False)
    page.close()
    assert path.stat().st_size > 20_000
    assert not problems, problems


def test_site_root_serves_a_favicon(server):
    """Browsers ask for /favicon.ico on pages without an icon link (the root redirect page);
    a 404 there shows up as a console error."""
    import urllib.request

    with urllib.request.urlopen(server + "favicon.ico", timeout=10) as response:
        assert response.status == 200
        assert len(response.read()) > 100


def test_assignment_page_opens_the_student_notebook_and_chapters_end_with_experiments(
    built_book, server, browser
):
    """The second edition's pages: an assignment page with its launch buttons and a working
    download of the student notebook (never the solution); a chapter's Experiments."""
    page, problems = _visit(browser, server + "book/assignments/a01_perceptron.html")
    links = [page.locator("main a").nth(i) for i in range(page.locator("main a").count())]
    hrefs = [link.get_attribute("href") or "" for link in links]
    assert any("user-redirect/lab/tree/a01_perceptron/a01_perceptron.ipynb" in h for h in hrefs)
    assert any("mybinder.org" in h and "exercises/a01_perceptron" in h for h in hrefs)
    assert any("colab.research.google.com" in h and "exercises/a01_perceptron" in h for h in hrefs)
    download = next(h for h in hrefs if h.endswith("a01_perceptron.ipynb") and "_downloads" in h)
    with page.expect_download() as event:
        page.locator(f"main a[href='{download}']").first.click()
    notebook = Path(event.value.path()).read_text()
    assert "BEGIN SOLUTION" not in notebook and "BEGIN HIDDEN TESTS" not in notebook
    assert "raise NotImplementedError()" in notebook  # the student version
    assert not problems, problems
    page.close()
    page, problems = _visit(browser, server + "book/ch05_convolution.html")
    heading = page.locator("main h2", has_text="Experiments")
    assert heading.count() == 1 and heading.first.is_visible()
    assert "Predict first" in page.locator("main").inner_text()
    assert not problems, problems
    page.close()


# -- the Hungarian edition -------------------------------------------------------------------
def test_hungarian_pages_load_cleanly_with_their_images(built_book, server, browser):
    report = []
    for name in _pages():
        page, problems = _visit(browser, server + "hu/" + name)
        if page.evaluate("document.documentElement.lang") != "hu":
            problems.append("the page is not marked lang=hu")
        broken = page.evaluate(
            "Array.from(document.images).filter(i => i.complete && i.naturalWidth === 0)"
            ".map(i => i.src)"
        )
        problems += [f"broken image: {src}" for src in broken]
        page.close()
        report += [f"hu/{name}: {problem}" for problem in problems]
    assert not report, "\n".join(report)


def test_language_switcher_opens_the_same_page_in_the_other_language(built_book, server, browser):
    page, problems = _visit(browser, server + "book/ch05_convolution.html")
    english_title = page.locator("main h1").first.inner_text()
    page.locator("nav.coursekit-languages a[hreflang='hu']").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/hu/book/ch05_convolution.html"), page.url
    hungarian_title = page.locator("main h1").first.inner_text()
    assert hungarian_title != english_title and "konvolúció" in hungarian_title.lower()
    page.locator("nav.coursekit-languages a[hreflang='en']").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/book/ch05_convolution.html") and "/hu/" not in page.url
    assert page.locator("main h1").first.inner_text() == english_title
    assert not problems, problems
    page.close()


@pytest.mark.parametrize("word", ["konvolúciós", "túltanulást"])
def test_hungarian_search_finds_inflected_words(built_book, server, browser, word):
    page, problems = _visit(browser, server + f"hu/search.html?q={word}")
    page.wait_for_selector("ul.search li", timeout=20000)
    assert page.locator("ul.search li").count() >= 1, word
    assert not problems, problems
    page.close()


@pytest.mark.parametrize(
    "chapter", ["ch02_perceptrons", "ch05_convolution", "ch10_kmeans_pca", "guide_student"]
)
def test_screenshots_of_hungarian_chapters(built_book, server, browser, chapter):
    """Full-page screenshots of Hungarian pages, for a reader to check (test-artifacts)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page, problems = _visit(browser, server + f"hu/book/{chapter}.html")
    path = ARTIFACTS / f"hu_{chapter}.png"
    page.screenshot(path=str(path), full_page=True)
    page.close()
    assert path.stat().st_size > 20_000
    assert not problems, problems
