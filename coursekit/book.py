"""Building the book: jupyter-book with warnings as errors, cached execution, local MathJax.

``coursekit book`` (and so ``make book``) calls :func:`build_book`. Chapters are executed
through jupyter-cache (``_build/.jupyter_cache``), so an unchanged chapter is not run again.
MathJax is served from the book itself rather than a CDN, so the book renders its formulas
on a hub without internet access.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .course import GRADING_ENV, REPO_ROOT
from .i18n import LANGUAGES, LOCALES, SOURCE_LANGUAGE, catalog_problems

__all__ = [
    "MATHJAX_VERSION",
    "assignment_page",
    "LANGUAGES",
    "build_book",
    "check_glued_bounds",
    "ensure_mathjax",
    "update_catalogs",
    "write_assignment_pages",
]

MATHJAX_VERSION = "3.2.2"
# What the book needs of the MathJax package: the TeX-to-HTML bundle and what it loads lazily.
_MATHJAX_PARTS = ("tex-chtml.js", "input", "output/chtml", "output/chtml.js", "ui", "a11y", "sre")
_MATHJAX_STATIC = Path("_build") / "mathjax_static"  # named in _config.yml html_static_path


def ensure_mathjax(root=REPO_ROOT):
    """Install MathJax (from npm) into ``_build/mathjax_static/mathjax`` unless it is there.

    Returns
    -------
    pathlib.Path
        The folder holding ``tex-chtml.js``.
    """
    target = Path(root) / _MATHJAX_STATIC / "mathjax"
    stamp = target / f".version-{MATHJAX_VERSION}"
    if stamp.is_file():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "The book serves MathJax itself and installs it with npm, but npm was not found. "
            "Install Node.js and npm (Debian: `apt-get install npm`) and build again."
        )
    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                scratch,
                "--no-audit",
                "--no-fund",
                "--silent",
                f"mathjax@{MATHJAX_VERSION}",
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"npm could not install mathjax@{MATHJAX_VERSION}:\n{done.stderr}")
        source = Path(scratch) / "node_modules" / "mathjax" / "es5"
        if target.exists():
            shutil.rmtree(target)
        for part in _MATHJAX_PARTS:
            origin = source / part
            if origin.is_dir():
                shutil.copytree(origin, target / part)
            elif origin.is_file():
                (target / part).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, target / part)
    stamp.touch()
    return target


# Words that turn the number after them into a bound ("at most 1e-5", "within 0.9 points").
_BOUND = (
    r"\b(?:at most|at least|no more than|not more than|more than|less than|fewer than|within"
    r"|under|below|above|over|up to|never exceeds?|exceeds?)"
)
_NUMBER = r"[-+]?\d[\d,_]*(?:\.\d+)?(?:e[-+]?\d+)?"
_GLUE = r"\{glue(?::\w+)?\}`[^`]*`"
_CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```\s*$", re.M | re.S)


def _as_float(text):
    try:
        return float(text.replace(",", "").replace("_", ""))
    except ValueError:
        return None


def _asserted_numbers(code):
    """The numbers the code checks: on ``assert`` lines (and their continuations), and after
    a comparison operator (``np.mean(edges > 0.3)`` defines the count the prose reports)."""
    numbers, in_assert = set(), False
    for found in re.findall(rf"[<>]=?\s*({_NUMBER})", code):
        value = _as_float(found)
        if value is not None:
            numbers.add(value)
    for line in code.splitlines():
        stripped = line.strip()
        if stripped.startswith("assert "):
            in_assert = True
        elif not line.startswith((" ", "\t")) or not stripped:
            in_assert = False
        if in_assert:
            for found in re.findall(_NUMBER, re.sub(r"[A-Za-z_]\w*", " ", stripped)):
                value = _as_float(found)
                if value is not None:
                    numbers.add(value)
    return numbers


def check_glued_bounds(text, name="chapter"):
    r"""Problems with the bounds that a chapter's prose puts on its measured (glued) values.

    The book's convention: a value computed when the chapter runs is shown with a glue role,
    and a sentence that **bounds** such a value ("at most", "within", "never more than", ...)

    1. never uses a glued value as the bound, because the rendered value is rounded
       ("at most 1e-06" next to a measured 1.3e-06);
    2. states the bound as a literal number that an ``assert`` in a code cell of the same
       chapter checks, so the build fails when a new run breaks it (or that the code uses as
       the threshold of what it counts: "the share of pixels above 0.3" next to
       ``np.mean(edges > 0.3)``). "90 %" in the prose matches 90 or 0.9 in the code.

    Parameters
    ----------
    text : str
        A chapter in MyST Markdown.
    name : str
        The chapter's name, used in the messages.

    Returns
    -------
    list of str
        One message per problem; empty when every bound holds by construction.

    Examples
    --------
    >>> check_glued_bounds("The error is at most {glue:text}`err:.0e`.")
    ["chapter: 'at most {glue:text}`err:.0e`' uses a rounded glued value as a bound; write a literal bound and assert it in a code cell"]
    >>> ok = "Below 1e-5 (measured: {glue:text}`err:.1e`).\n\n```{code-cell} ipython3\nassert err < 1e-5\n```\n"
    >>> check_glued_bounds(ok)
    []
    """
    code = "\n".join(_CODE_CELL.findall(text))
    prose = _CODE_CELL.sub("", text)
    asserted = _asserted_numbers(code)
    problems = []
    for match in re.finditer(rf"{_BOUND}\s+(?:~\s*)?{_GLUE}", prose, re.I):
        phrase = " ".join(match.group(0).split())
        problems.append(
            f"{name}: {phrase!r} uses a rounded glued value as a bound; write a literal bound "
            "and assert it in a code cell"
        )
    for paragraph in re.split(r"\n\s*\n", prose):
        if not re.search(_GLUE, paragraph):
            continue  # no measured value here: the bound is about something else
        for match in re.finditer(rf"({_BOUND})\s+(?:~\s*)?({_NUMBER})(\s*%)?", paragraph, re.I):
            value = _as_float(match.group(2))
            candidates = {value, value / 100} if match.group(3) and value is not None else {value}
            if value is None or candidates & asserted:
                continue
            phrase = " ".join(match.group(0).split())
            problems.append(
                f"{name}: the bound {phrase!r} stands next to a measured value, but no assert "
                f"in the chapter's code checks {match.group(2)}"
            )
    return problems


def _check_chapters(root):
    problems = []
    for chapter in sorted((Path(root) / "book").glob("ch*.md")):
        problems += check_glued_bounds(chapter.read_text(encoding="utf-8"), chapter.name)
    return problems


# Where the generated assignment pages go (book/assignments/, ignored by git): one page per
# folder of exercises/, the student release, never solutions/.
ASSIGNMENT_PAGES = Path("book") / "assignments"


def _cell_text(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _docstring(code):
    """The first line of a test cell's leading docstring, or ''."""
    match = re.match(r'\s*(?:"""|\'\'\')(.*?)(?:"""|\'\'\'|$)', code, re.S)
    return " ".join(match.group(1).split()) if match else ""


def _only_docstring(code):
    """True when a cell holds nothing but its docstring (and comments): nbgrader removed
    everything else, the hidden tests, from the student release."""
    rest = re.sub(r'^\s*(?:"""|\'\'\').*?(?:"""|\'\'\')', "", code, count=1, flags=re.S)
    return not [
        line for line in rest.splitlines() if line.strip() and not line.strip().startswith("#")
    ]


def _launch_config(root):
    import yaml

    config = yaml.safe_load((Path(root) / "_config.yml").read_text(encoding="utf-8"))
    repository = config.get("repository", {})
    url = repository.get("url", "").rstrip("/")
    org_repo = url.split("github.com/", 1)[-1] if "github.com/" in url else ""
    return {
        "repository": url,
        "org_repo": org_repo,
        "branch": repository.get("branch", "main"),
        **{key: str(value).rstrip("/") for key, value in config.get("launch_buttons", {}).items()},
    }


def _launch_links(name, launch):
    """(label, url, tooltip) of every launch button for exercises/NAME/NAME.ipynb."""
    path = f"exercises/{name}/{name}.ipynb"
    links = []
    if launch.get("jupyterhub_url"):
        # The hub copy is the one nbgrader fetched into the student's home: the one graded.
        url = f"{launch['jupyterhub_url']}/hub/user-redirect/lab/tree/{name}/{name}.ipynb"
        links.append(("Course hub", url, "your fetched copy on the course JupyterHub"))
    if launch.get("binderhub_url") and launch["org_repo"]:
        url = (
            f"{launch['binderhub_url']}/v2/gh/{launch['org_repo']}/{launch['branch']}"
            f"?urlpath=lab/tree/{path}"
        )
        links.append(("Binder", url, "a temporary copy on mybinder.org"))
    if launch.get("colab_url") and launch["org_repo"]:
        url = f"{launch['colab_url']}/github/{launch['org_repo']}/blob/{launch['branch']}/{path}"
        links.append(("Colab", url, "a temporary copy on Google Colab"))
    return links


def assignment_page(notebook, *, launch=None, root=REPO_ROOT):
    """The MyST Markdown page of one assignment, made from its **student** notebook.

    The page has the notebook's introduction (its first Markdown cell), buttons that open the
    notebook on the course hub, Binder and Colab, a download link, and a table of the graded
    cells with their points. Hidden-test cells appear only as "hidden tests" and their
    points: the student release holds nothing else of them, and the page is made from the
    release alone.

    Parameters
    ----------
    notebook : path-like
        ``exercises/NAME/NAME.ipynb`` (a notebook of the student release).
    launch : dict, optional
        The launch settings, as read from ``_config.yml`` (default: read them from ``root``).
    root : path-like
        The repository root.

    Returns
    -------
    str
        The page, MyST Markdown.
    """
    notebook = Path(notebook)
    name = notebook.stem
    if notebook.parent.parent.name != "exercises":
        raise ValueError(
            f"An assignment page is made from the student release exercises/NAME/NAME.ipynb; "
            f"received: {notebook}. Never make one from solutions/."
        )
    launch = _launch_config(root) if launch is None else launch
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    markdown = [cell for cell in cells if cell["cell_type"] == "markdown"]
    intro = _cell_text(markdown[0]) if markdown else f"# {name}"
    title, _, body = intro.partition("\n")
    if not title.startswith("# "):
        title, body = f"# {name}", intro
    # Links from the notebook (exercises/NAME/) to the book become links between pages.
    body = re.sub(r"\]\(\.\./\.\./book/([\w/]+)\.md\)", r"](../\1.md)", body)

    lines = [
        "% Generated by coursekit.book.write_assignment_pages from the student release",
        f"% exercises/{name}/{name}.ipynb at every book build; do not edit.",
        "",
        f"(assignment-{name})=",
        title,
        "",
        body.strip(),
        "",
        "## Open the notebook",
        "",
    ]
    lines += ["````{container} sd-d-flex-row", ""]  # the buttons side by side
    for label, url, tooltip in _launch_links(name, launch):
        lines += [
            f"```{{button-link}} {url}",
            ":color: primary",
            ":outline:",
            ":class: sd-mx-1",
            f":tooltip: {tooltip}",
            "",
            label,
            "```",
            "",
        ]
    lines += ["````", ""]
    lines += [
        f"Or download the student notebook, {{download}}`{name}.ipynb "
        f"<../../exercises/{name}/{name}.ipynb>`, and open it in your own Jupyter (see "
        "{ref}`ch00`). On the course hub, fetch the assignment first "
        "(*Nbgrader → Assignment List*, see {ref}`guide-student`): the course hub button "
        "opens that fetched copy, the one you validate and submit. Binder and Colab give you "
        "a temporary copy to try things in; nothing done there is graded.",
        "",
        "## What is graded",
        "",
        "| part | graded cell and what it checks | points |",
        "|---|---|---:|",
    ]
    heading, shown_heading, total, hidden_total, writes = "", None, 0.0, 0.0, []
    for cell in cells:
        text = _cell_text(cell)
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] == "markdown":
            found = re.findall(r"^#{2,4}\s+(.+)$", text, re.M)
            heading = found[-1].strip() if found else heading
            continue
        if meta.get("solution") and not meta.get("grade"):
            writes += re.findall(r"^def (\w+\(.*?\)):", text, re.M | re.S)
        if not meta.get("grade"):
            continue
        points = float(meta.get("points", 0) or 0)
        total += points
        grade_id = f"`{meta.get('grade_id', '?')}`"
        if meta.get("solution"):
            what = f"{grade_id}: your answer, graded by hand"
        elif _only_docstring(text):
            what, hidden_total = f"{grade_id}: hidden tests", hidden_total + points
        else:
            what = f"{grade_id}: visible test, " + _docstring(text).replace("|", "\\|")
        part = heading.replace("|", "\\|") if heading != shown_heading else ""
        shown_heading = heading
        lines.append(f"| {part} | {what} | {points:g} |")
    lines += [
        f"| **total** | {hidden_total:g} of the points come from hidden tests | **{total:g}** |",
        "",
    ]
    if writes:
        signatures = ", ".join(f"`{' '.join(signature.split())}`" for signature in writes)
        lines += [f"The functions you write: {signatures}.", ""]
    lines += [
        "The visible tests are in the notebook: run them as you go. The hidden tests run only "
        "when your submission is graded, on inputs you have not seen; {ref}`assignments-howto` "
        "explains the rules.",
        "",
    ]
    return "\n".join(lines)


def write_assignment_pages(root=REPO_ROOT):
    """Write ``book/assignments/NAME.md`` for every assignment of ``exercises/``.

    A page is rewritten only when its text changes, so that Sphinx does not read an
    unchanged page again. Returns the paths of the pages.
    """
    root = Path(root)
    target = root / ASSIGNMENT_PAGES
    notebooks = sorted((root / "exercises").glob("*/*.ipynb"))
    notebooks = [nb for nb in notebooks if nb.stem == nb.parent.name]
    if not notebooks:
        return []
    target.mkdir(parents=True, exist_ok=True)
    launch = _launch_config(root)
    pages = []
    for notebook in notebooks:
        page = target / f"{notebook.stem}.md"
        text = assignment_page(notebook, launch=launch, root=root)
        if not page.is_file() or page.read_text(encoding="utf-8") != text:
            page.write_text(text, encoding="utf-8")
        pages.append(page)
    return pages


_GETTEXT = Path("_build") / "gettext"


def _environment(jupyter_book):
    env = {**os.environ, **GRADING_ENV, "COURSEKIT_GRADING": "0"}
    # Chapters show their figures through the notebook's inline backend; a non-interactive
    # MPLBACKEND (Agg, as grading and tests use) would leave figure cells without an image.
    env.pop("MPLBACKEND", None)
    env["PATH"] = os.pathsep.join([str(jupyter_book.parent), env.get("PATH", "")])
    return env


def _sphinx(root, builder, outdir, doctrees, *, language=None, rebuild_all=False):
    """Run Sphinx the way jupyter-book does (same configuration), in a child process.

    jupyter-book's command line always shares ``_build/.doctrees`` between builders, and a
    gettext or translated build must not reuse the English doctrees; so the other builds call
    jupyter-book's own ``build_sphinx`` with a doctree folder of their own.
    """
    overrides = {
        "external_toc_path": str(Path(root, "_toc.yml").resolve()),
        "latex_individualpages": False,
    }
    if language:
        overrides["language"] = language
    script = (
        "import sys, json\n"
        "from jupyter_book.sphinx import build_sphinx\n"
        "a = json.loads(sys.argv[1])\n"
        "r = build_sphinx(a['root'], a['outdir'], builder=a['builder'], noconfig=True,\n"
        "    doctreedir=a['doctrees'], path_config=a['config'], confoverrides=a['overrides'],\n"
        "    force_all=a['all'], warningiserror=True, keep_going=True)\n"
        "sys.exit(r if isinstance(r, int) else 1)\n"
    )
    arguments = {
        "root": str(Path(root).resolve()),
        "outdir": str(Path(root, outdir).resolve()),
        "doctrees": str(Path(root, doctrees).resolve()),
        "config": str(Path(root, "_config.yml").resolve()),
        "builder": builder,
        "overrides": overrides,
        "all": rebuild_all,
    }
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    return subprocess.run(
        [sys.executable, "-c", script, json.dumps(arguments)],
        env=_environment(jupyter_book),
        cwd=root,
    ).returncode


def update_catalogs(root=REPO_ROOT, languages=None):
    """Extract the book's messages (``gettext`` builder) and update every language's catalogs.

    A changed English paragraph becomes a fuzzy or untranslated entry in the ``.po`` files
    (sphinx-intl keeps the old translation as a fuzzy suggestion), which the catalog test and
    the build's completeness check report; nothing goes stale silently.

    Returns
    -------
    int
        0 on success, else the failing step's exit status.
    """
    from sphinx_intl import basic

    write_assignment_pages(root)
    status = _sphinx(root, "gettext", _GETTEXT, Path("_build") / ".doctrees-gettext")
    if status:
        return status
    languages = languages or [code for code in LANGUAGES if code != SOURCE_LANGUAGE]
    basic.update(str(Path(root) / LOCALES), str(Path(root) / _GETTEXT), tuple(languages))
    return 0


def _build_translation(root, language, rebuild_all):
    """Build one translated edition into ``_build/html/<language>``.

    It is built in ``_build/<language>/html`` (so that its executed-notebook folder stays out of
    the published site) with the English edition's configuration and execution cache: the
    chapters are not executed again. Then it is copied under the English site.
    """
    staging = Path("_build") / language / "html"
    status = _sphinx(
        root,
        "html",
        staging,
        Path("_build") / language / ".doctrees",
        language=language,
        rebuild_all=rebuild_all,
    )
    if status:
        return status
    target = Path(root) / "_build" / "html" / language
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(Path(root) / staging, target)
    # As jupyter-book does for the English site: the edition's root opens its first page.
    (target / "index.html").write_text(
        '<meta http-equiv="Refresh" content="0; url=book/index.html" />\n', encoding="utf-8"
    )
    return 0


def build_book(*, rebuild_all=False, root=REPO_ROOT, languages=None, draft=False):
    """Build the book into ``_build/html`` (and each translation into ``_build/html/<lang>``).

    Parameters
    ----------
    rebuild_all : bool
        Rebuild every page (cached notebook outputs are still reused when unchanged).
    root : path-like
        The book's root folder (where ``_config.yml`` and ``_toc.yml`` are).
    languages : sequence of str, optional
        The editions to build (default: all of :data:`LANGUAGES`). The chapters are executed
        by the English build; translations reuse its execution cache.
    draft : bool
        Build a translation even when its catalogs are incomplete (untranslated entries show
        in English); for translators checking their work, never for a release.

    Returns
    -------
    int
        0 when every edition built without a warning, else non-zero.
    """
    languages = list(languages or LANGUAGES)
    unknown = sorted(set(languages) - set(LANGUAGES))
    if unknown:
        raise ValueError(
            f"languages must be among {sorted(LANGUAGES)}, got {unknown}; "
            "add a language to coursekit.book.LANGUAGES and give it catalogs under locales/."
        )
    problems = _check_chapters(root)
    if problems:
        print("\n".join(["The book's prose bounds glued values it does not check:", *problems]))
        return 1
    for language in languages:
        if language == SOURCE_LANGUAGE:
            continue
        incomplete = catalog_problems(language, root)
        if incomplete and not draft:
            print(f"The {LANGUAGES[language]} edition is incomplete ({len(incomplete)} entries);")
            print("translate them in the .po files (e.g. with Poedit) and build again:")
            print("\n".join(incomplete[:40]))
            return 1
    write_assignment_pages(root)
    ensure_mathjax(root)
    status = 0
    if SOURCE_LANGUAGE in languages:
        jupyter_book = Path(sys.executable).with_name("jupyter-book")
        command = [str(jupyter_book), "build", str(root), "--warningiserror", "--keep-going"]
        if rebuild_all:
            command.append("--all")
        status = subprocess.run(command, env=_environment(jupyter_book), cwd=root).returncode
        if status:
            return status
    for language in languages:
        if language != SOURCE_LANGUAGE:
            status = _build_translation(root, language, rebuild_all)
            if status:
                return status
    return status
