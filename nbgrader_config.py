"""nbgrader configuration of the course (the course directory is the repository root).

`coursekit release`, `coursekit autograde` and the tests run nbgrader with this file.
"""

import os

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearHiddenTests,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    SaveAutoGrades,
)

from coursekit.grader.execute import TwoProcessExecute
from coursekit.grader.feedback import (
    HideHiddenTestOutputs,
    NeutraliseStudentMarkers,
    ScoreSummary,
)

c = get_config()  # noqa: F821  (injected by traitlets)

c.CourseDirectory.course_id = "deep-learning-in-practice"
# The course's language: "en" or "hu". `coursekit release` writes the student notebooks in it
# (Markdown translated through locales/, code unchanged) and the tests' messages and the
# feedback pages come in it. The scores do not depend on it.
c.CourseKit.language = os.environ.get("COURSEKIT_LANGUAGE", "en")
c.CourseDirectory.source_directory = "solutions"  # instructor version: solutions + all tests
c.CourseDirectory.release_directory = "exercises"  # generated student version, never hand-edited
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = os.environ.get("COURSEKIT_DB_URL", "sqlite:///gradebook.db")
# Only notebooks and the small files an assignment ships travel with it.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# Student stubs.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Execution while autograding: training cells get up to 5 minutes each; one timeout fails the
# cell, not the whole run.
c.Execute.timeout = 300
c.Execute.interrupt_on_timeout = True  # (nbgrader's Execute already goes on after an error)
# After an interrupt, a busy machine can take more than nbclient's default 4 s to send the
# cell's last output; waiting longer keeps one slow cell from failing the whole notebook.
c.Execute.iopub_timeout = 60

# A student who deletes a graded cell gets it back (with a note), so its tests still run.
c.OverwriteCells.add_missing_cells = True

# nbgrader gives zero points to a test cell that writes anything to stderr. TensorFlow's C++
# core and known library warnings do that without anyone's fault, so those outputs are
# dropped before grading. Real failures are `error` outputs and are never dropped.
_TF_NOISE = [
    r"^WARNING: All log messages before absl::InitializeLog\(\)",
    r"^[IWE]\d{4} [\d:.]+\s+\d+ \S+\.(cc|h):\d+\]",  # absl/glog lines: I0000 00:00:... file.cc:31]
    r"oneDNN custom operations are on",
    r"This TensorFlow binary is optimized to use available CPU instructions",
    r"Unable to register cu(DNN|FFT|BLAS) factory",
    r"(Deprecation|Future|User|Runtime)Warning:",
]
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = "(?m)" + "|".join(f"(?:{p})" for p in _TF_NOISE)

# Two processes per submission (coursekit/grader/execute.py): the student's cells run in a
# Jupyter kernel inside a bubblewrap sandbox (no course folder, no solutions, no network);
# the test cells run in the grader's process and reach the student's names as plain data
# only. The same preprocessor runs under `coursekit autograde`, plain `nbgrader autograde`
# and the formgrader's Autograde button: there is one way to grade. `coursekit autograde`
# adds parallel workers, time and memory limits and review flags.
c.Autograde.autograde_preprocessors = [
    TwoProcessExecute,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]

# Late submissions: nbgrader's LateSubmissionPlugin ('none' or 'zero'). Set the due date with
# `nbgrader db assignment add NAME --duedate=...`; `coursekit export` reports the penalties.
c.LateSubmissionPlugin.penalty_method = "none"

# Feedback sent to students shows their score per test and the failure message of each failing
# test, never the source, printed output or expected values of hidden tests (nbgrader's
# default feedback shows the whole autograded notebook, hidden tests included).
# Releasing feedback (coursekit feedback --release and the formgrader's button alike) holds
# back the flagged submissions the instructor has not reviewed (coursekit review, then
# coursekit feedback --release --reviewed STUDENT).
c.ExchangeFactory.release_feedback = "coursekit.grader.feedback.HoldFlaggedReleaseFeedback"

c.GenerateFeedback.preprocessors = [
    NeutraliseStudentMarkers,  # first: a marker a student typed must not break nbgrader
    GetGrades,
    HideHiddenTestOutputs,
    ClearHiddenTests,
    ScoreSummary,
    CSSHTMLHeaderPreprocessor,
]
