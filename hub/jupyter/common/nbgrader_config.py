"""nbgrader settings every server on the hub shares: course id, exchange, feedback.

The hub puts this folder on JUPYTER_CONFIG_PATH of the students' servers and of the
formgrader service (coursekit.hub.user_environment / grader_environment) and sets
COURSEKIT_HUB_EXCHANGE; the single-user image (hub/Dockerfile) does the same. In the
instructors' course directory the repository's nbgrader_config.py is read after this file.
"""

import os

import nbgrader
from nbgrader.preprocessors import ClearHiddenTests
from nbgrader.preprocessors.base import NbGraderPreprocessor

c = get_config()  # noqa: F821  (injected by traitlets)

c.CourseDirectory.course_id = "deep-learning-in-practice"
# The filesystem exchange: one folder every account can reach, mode 1777. nbgrader makes
# <exchange>/<course>/inbound write-only for students, so nobody can list the submissions.
c.Exchange.root = os.environ.get("COURSEKIT_HUB_EXCHANGE", "/srv/nbgrader/exchange")


class ClearHiddenTestsFromFeedback(ClearHiddenTests):
    """Feedback without hidden tests: drop their code, and the traceback of a failed one.

    Autograding runs the full test cells (hidden tests included), and nbgrader's feedback
    shows the autograded notebook as it is. This removes the hidden-test region from each
    test cell and, where such a cell failed, replaces the traceback (which quotes the
    failing line) by the error's type and message, which the tests write to teach.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        had_hidden = cell.cell_type == "code" and self.begin_test_delimeter in cell.source
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if had_hidden:
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


# nbgrader's preprocessors declare nbconvert's `display_data_priority` again, without making
# it configurable, so every feedback run (each Generate-feedback dialog of the formgrader)
# warned "Config option `display_data_priority` not recognized by `ClearHiddenTests`" when the
# HTML exporter passed nbconvert's default for it. Configurable again, the value is taken as
# nbconvert means it and nothing is logged (GetGrades already declares it so).
NbGraderPreprocessor.class_traits()["display_data_priority"].tag(config=True)

# Feedback pages load MathJax from the server that shows them (students' servers, the
# formgrader), not from a CDN: the template coursekit_feedback is nbgrader's feedback page with
# nbconvert's mathjax macro replaced (nbconvert_templates/coursekit_feedback/mathjax.html.j2).
# Scoped to GenerateFeedback so that the formgrader's manual-grading pages keep theirs.
c.GenerateFeedback.HTMLExporter.template_name = "coursekit_feedback"
c.GenerateFeedback.HTMLExporter.extra_template_basedirs = [
    os.path.join(os.path.dirname(__file__), "nbconvert_templates"),
    os.path.join(
        os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader", "templates"
    ),
]

c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    ClearHiddenTestsFromFeedback,
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
