"""The formgrader in a real browser: headless Chromium (Debian's), driven by Playwright.

A trial hub (``coursekit hub``) serves the course; the instructor logs in with the hub's login
form and opens the formgrader as the hub's home page links it. It must land in JupyterLab with
the formgrader in a tab (the browser would refuse to show it there if the formgrader's server
kept JupyterHub's ``frame-ancestors 'none'``), without the "Jupyter news" question, and the
formgrader's *Preview* link must open the student version in JupyterLab's file browser
(outside Lab, nbgrader links it to ``/tree/...`` at the site's root, which the hub sends on to
the formgrader's Lab, and students to a 404). A feedback page, shown by
the server, typesets its formulas with that server's MathJax and asks nothing of the network.
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import sys

import pytest
from test_browser import ARTIFACTS, browser  # noqa: F401  (browser: the fixture)
from test_hub import ASSIGNMENT, NOTEBOOK, HubClient, _stop_hub, _wait_for_hub

from coursekit import course
from coursekit import hub as coursekit_hub

pytestmark = pytest.mark.slow

LOAD_TIMEOUT_MS = 90_000  # JupyterLab's first load on a busy two-core machine


@pytest.fixture
def trial_hub(tmp_path):
    """``coursekit hub`` with a course directory holding one assignment; its URL and password."""
    coursekit_hub.proxy_command()
    port = coursekit_hub.free_port()
    password = secrets.token_urlsafe(12)
    course_dir = tmp_path / "course"
    (course_dir / "solutions").mkdir(parents=True)
    shutil.copy(course.REPO_ROOT / "nbgrader_config.py", course_dir)
    shutil.copytree(
        course.REPO_ROOT / "solutions" / ASSIGNMENT, course_dir / "solutions" / ASSIGNMENT
    )
    command = [
        sys.executable,
        "-c",
        "import sys; from coursekit.hub import main_hub; sys.exit(main_hub(sys.argv[1:]))",
        *("--port", str(port), "--password", password),
        *("--state-dir", str(tmp_path / "trial"), "--course-dir", str(course_dir)),
    ]
    log_path = tmp_path / "trial.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    process.log_file = open(log_path)  # noqa: SIM115  (closed by _stop_hub)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_hub(url, process, log_path)
        yield url, password, course_dir
    finally:
        _stop_hub(process, tmp_path / "trial")


def test_formgrader_in_lab(trial_hub, browser):  # noqa: F811  (the fixture)
    url, password, course_dir = trial_hub
    instructor = HubClient(url, "instructor", password)
    reply = instructor.json(
        "POST", f"services/formgrader/formgrader/api/assignment/{ASSIGNMENT}/assign"
    )
    assert reply["success"], reply

    page = browser.new_page(viewport={"width": 1400, "height": 900})
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Refused to" in m.text else None)
    page.goto(f"{url}/hub/login")
    page.fill("#username_input", "instructor")
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_url(f"{url}/hub/**")

    # The home page's Grading panel leads to the formgrader, which lands in JupyterLab.
    page.goto(f"{url}/hub/home")
    page.click("#coursekit-grading a[href$='/services/formgrader/']")
    page.wait_for_url(
        "**/services/formgrader/lab?formgrader=true*", timeout=LOAD_TIMEOUT_MS, wait_until="commit"
    )
    formgrader = page.frame_locator("#formgrader-iframe iframe")
    preview = formgrader.locator("td.preview a").first
    preview.wait_for(timeout=LOAD_TIMEOUT_MS)
    assert not refused, refused
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    # Preview opens the released student version in Lab's file browser.
    preview.click()
    item = page.locator(".jp-DirListing-itemText", has_text=NOTEBOOK)
    item.first.wait_for(timeout=30_000)
    breadcrumbs = page.locator(".jp-BreadCrumbs").first.inner_text()
    assert ASSIGNMENT in breadcrumbs, breadcrumbs
    assert page.get_by_text("official Jupyter news").count() == 0

    # The formgrader page on its own (the top frame, not Lab): nbgrader links the assignment's
    # name to /tree/... at the site's root, which the hub sends on to the formgrader's Lab.
    page.goto(f"{url}/services/formgrader/formgrader/manage_assignments")
    name = page.locator("td.name a", has_text=ASSIGNMENT)
    href = name.get_attribute("href", timeout=LOAD_TIMEOUT_MS)
    assert href.startswith("/tree/") and href.endswith(f"/{ASSIGNMENT}"), href
    with page.expect_popup() as opened:
        name.click()
    lab = opened.value
    # (Lab may move a second window to a workspace of its own: .../lab/workspaces/auto-x/tree/...)
    in_lab = re.compile(rf"/services/formgrader/lab/(workspaces/[^/]+/)?tree/(.+/)?{ASSIGNMENT}$")
    lab.wait_for_url(in_lab, wait_until="commit")
    listed = lab.locator(".jp-DirListing-itemText", has_text=NOTEBOOK)
    listed.first.wait_for(timeout=LOAD_TIMEOUT_MS)
    assert ASSIGNMENT in lab.locator(".jp-BreadCrumbs").first.inner_text()
    lab.screenshot(path=str(ARTIFACTS / "formgrader-link-in-lab.png"))
    lab.close()
    # A student who follows such a link gets the hub's 404, as before.
    student = HubClient(url, "student", password)
    assert student.session.get(f"{url}{href}", timeout=30).status_code == 404

    # A feedback page typesets its formulas with MathJax from the server that shows it.
    (course_dir / "feedback-check").mkdir()
    (course_dir / "feedback-check" / "feedback.html").write_text(_feedback_page("$x^2$"))
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{url}/services/formgrader/files/feedback-check/feedback.html")
    page.locator("mjx-container").first.wait_for(timeout=30_000)
    assert any(r.endswith("/services/formgrader/static/mathjax/es5/tex-chtml.js") for r in requests)
    assert all(r.startswith(url) for r in requests), requests

    page.screenshot(path=str(ARTIFACTS / "formgrader-in-lab.png"))
    page.close()


def _feedback_page(markdown):
    """The HTML nbgrader's feedback step makes of a one-cell notebook, with the hub's settings."""
    import nbformat
    from nbconvert import HTMLExporter
    from nbgrader.converters import GenerateFeedback
    from traitlets.config import PyFileConfigLoader

    common = coursekit_hub.HUB_DIR / "jupyter" / "common"
    config = PyFileConfigLoader("nbgrader_config.py", path=str(common)).load_config()
    converter = GenerateFeedback(config=config)
    exporter = HTMLExporter(parent=converter, config=converter.config)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(markdown)])
    grades = {"notebook": "check", "score": 1, "max_score": 1, "late_penalty": 0}
    page, _ = exporter.from_notebook_node(notebook, resources={"nbgrader": grades})
    return page
